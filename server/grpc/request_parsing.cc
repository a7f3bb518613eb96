// ParseRequest: protobuf's parser over the ByteBuffer's slices
// (grpc::ProtoBufferReader), with protobuf's error lines for this thread
// captured by the log handler; then a reflection walk for unknown fields.
// The log limiter keys each line by protobuf's file:line.
#include "server/grpc/request_parsing.h"

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
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/app/unknown_fields.h"

namespace lantern {
namespace {

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

}  // namespace

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
