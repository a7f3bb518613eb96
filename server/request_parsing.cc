// ParseRequest: protobuf's parser over the ByteBuffer's slices
// (grpc::ProtoBufferReader), with protobuf's error lines for this thread
// captured by the log handler; then a reflection walk for unknown fields.
// The log limiter keys each line by protobuf's file:line.
#include "server/request_parsing.h"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/unknown_field_set.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr size_t kMaxUnknownListed = 10;
constexpr size_t kMaxCapturedBytes = 300;

// Protobuf's error text for the parse running on this thread, if any.
thread_local std::string* captured = nullptr;

struct LogKind {
  absl::Time last_printed;
  int64_t held_back = 0;
};

absl::Mutex log_mu(absl::kConstInit);
absl::flat_hash_map<std::string, LogKind>* log_kinds ABSL_GUARDED_BY(log_mu) =
    nullptr;

const char* LevelName(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      return "INFO";
    case google::protobuf::LOGLEVEL_WARNING:
      return "WARNING";
    case google::protobuf::LOGLEVEL_ERROR:
      return "ERROR";
    case google::protobuf::LOGLEVEL_FATAL:
      return "FATAL";
  }
  return "?";
}

void LimitedLog(google::protobuf::LogLevel level, const char* filename,
                int line, const std::string& message) {
  if (captured != nullptr && captured->size() < kMaxCapturedBytes) {
    absl::StrAppend(captured, captured->empty() ? "" : "; ",
                    message.substr(0, kMaxCapturedBytes));
  }
  const std::string where = absl::StrCat(filename, ":", line);
  int64_t held_back = 0;
  if (level != google::protobuf::LOGLEVEL_FATAL) {
    absl::MutexLock lock(&log_mu);
    if (log_kinds == nullptr) {
      log_kinds = new absl::flat_hash_map<std::string, LogKind>;
    }
    LogKind& kind = (*log_kinds)[where];
    const absl::Time now = absl::Now();
    if (kind.last_printed != absl::Time() &&
        now - kind.last_printed < absl::Minutes(1)) {
      ++kind.held_back;
      return;
    }
    held_back = std::exchange(kind.held_back, 0);
    kind.last_printed = now;
  }
  std::cerr << "[libprotobuf " << LevelName(level) << " " << where << "] "
            << message.substr(0, 1000)
            << (held_back > 0
                    ? absl::StrCat(" (", held_back,
                                   " more like this in the last minute)")
                    : std::string(" (lines like this: at most one a minute)"))
            << std::endl;
}

void CollectUnknown(const Message& message, std::string* path, size_t limit,
                    std::vector<std::string>* out) {
  const google::protobuf::Reflection* r = message.GetReflection();
  const google::protobuf::UnknownFieldSet& unknown =
      r->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count() && out->size() < limit; ++i) {
    out->push_back(
        absl::StrCat(*path, ": unknown field ", unknown.field(i).number()));
  }
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  const size_t base = path->size();
  for (const FieldDescriptor* field : fields) {
    if (out->size() >= limit) break;
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    path->resize(base);
    absl::StrAppend(path, path->empty() ? "" : ".", field->name());
    if (!field->is_repeated()) {
      CollectUnknown(r->GetMessage(message, field), path, limit, out);
      continue;
    }
    const size_t field_end = path->size();
    for (int j = 0; j < r->FieldSize(message, field) && out->size() < limit;
         ++j) {
      path->resize(field_end);
      absl::StrAppend(path, "[", j, "]");
      CollectUnknown(r->GetRepeatedMessage(message, field, j), path, limit,
                     out);
    }
  }
  path->resize(base);
}

}  // namespace

std::vector<std::string> UnknownFields(const Message& message, size_t limit) {
  std::vector<std::string> out;
  std::string path;
  CollectUnknown(message, &path, limit, &out);
  for (std::string& line : out) {
    if (line[0] == ':') line.insert(0, message.GetDescriptor()->full_name());
  }
  return out;
}

absl::Status ParseRequest(const grpc::ByteBuffer& raw, Message* request) {
  request->Clear();
  std::string why;
  bool parsed = false;
  {
    grpc::ByteBuffer copy(raw);  // the reader consumes its buffer
    grpc::ProtoBufferReader reader(&copy);
    captured = &why;
    parsed = request->ParseFromZeroCopyStream(&reader) && reader.status().ok();
    captured = nullptr;
  }
  const std::string& type = request->GetDescriptor()->full_name();
  if (!parsed) {
    request->Clear();
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid request: the bytes are not a valid ", type, ": ",
        why.empty() ? "truncated, or not protobuf wire format" : why));
  }
  std::vector<std::string> unknown =
      UnknownFields(*request, kMaxUnknownListed + 1);
  if (unknown.empty()) return absl::OkStatus();
  if (unknown.size() > kMaxUnknownListed) {
    unknown.back() = "and more";
  }
  request->Clear();
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid request: ", absl::StrJoin(unknown, "; "), " (", type,
      " and its parts define no such field numbers; this server refuses "
      "fields it does not know rather than ignore them)"));
}

void InstallProtobufLogLimiter() {
  google::protobuf::SetLogHandler(&LimitedLog);
}

}  // namespace lantern
