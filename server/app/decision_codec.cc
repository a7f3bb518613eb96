// DecisionCodec: the string table, the reference walk over the answer's
// string fields (by reflection, so every string field is covered as the
// message grows), and the per-digest table cache.
#include "server/app/decision_codec.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "openssl/sha.h"
#include "server/app/assessment_proto.h"
#include "server/app/assessment_view.h"
#include "server/app/request_assessor.h"
#include "server/ledger/record_codec.h"

namespace lantern {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kMark = '\x01';
constexpr int kBase = 126;  // digits are the bytes 0x02 .. 0x7f
constexpr char kZero = '\x02';

std::string Reference(int index, int digits) {
  std::string r(1 + digits, kMark);
  for (int k = digits; k >= 1; --k) {
    r[k] = static_cast<char>(kZero + index % kBase);
    index /= kBase;
  }
  return r;
}

// What a string visitor did.
enum class Visit { kKept, kChanged, kBad };

// Calls `f(value, &out)` for every string in `*m` and its messages; on
// kChanged the field becomes `out`; kBad stops the walk (false).
template <typename F>
bool ForEachString(Message* m, F& f) {
  const Reflection* reflection = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(*m, &fields);
  std::string scratch, out;
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        const int n = reflection->FieldSize(*m, field);
        for (int i = 0; i < n; ++i) {
          if (!ForEachString(reflection->MutableRepeatedMessage(m, field, i),
                             f)) {
            return false;
          }
        }
      } else if (!ForEachString(reflection->MutableMessage(m, field), f)) {
        return false;
      }
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) continue;
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(*m, field);
      for (int i = 0; i < n; ++i) {
        switch (
            f(reflection->GetRepeatedStringReference(*m, field, i, &scratch),
              &out)) {
          case Visit::kKept:
            break;
          case Visit::kChanged:
            reflection->SetRepeatedString(m, field, i, out);
            break;
          case Visit::kBad:
            return false;
        }
      }
    } else {
      switch (f(reflection->GetStringReference(*m, field, &scratch), &out)) {
        case Visit::kKept:
          break;
        case Visit::kChanged:
          reflection->SetString(m, field, out);
          break;
        case Visit::kBad:
          return false;
      }
    }
  }
  return true;
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::Status DataLoss(absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("the compact assessment cannot be read: ", why));
}

absl::Status UnknownFormat(const v1::DecisionRecord& record) {
  return absl::DataLossError(absl::StrCat("decision ", record.decision_id(),
                                          ": record format ", record.format(),
                                          " is not one this build reads"));
}

}  // namespace

RecordStrings::RecordStrings(const RuleSetVersion& version) {
  const RuleSet& ruleset = *version.ruleset;
  std::set<std::string> all;
  auto add = [&all](const std::string& s) {
    if (!s.empty()) all.insert(s);
  };
  for (const Rule& rule : ruleset.rules) {
    add(rule.id);
    add(rule.title);
    add(rule.cite);
    add(rule.concern);
    add(rule.grade_floor);
    for (const std::string& flag : rule.flags) add(flag);
    for (const std::string& action : rule.actions) add(action);
  }
  const Policy& policy = ruleset.policy;
  for (const std::string& grade : policy.grades) add(grade);
  for (const std::string& level : policy.levels) add(level);
  for (const ConcernDef& concern : policy.concerns) {
    add(concern.name);
    add(absl::StrCat("concern:", concern.name));
  }
  for (const ConcernFloor& floor : policy.concern_floors) {
    add(floor.id);
    add(floor.cite);
  }
  for (const PromptDef& prompt : policy.prompts) {
    add(prompt.name);
    add(absl::StrCat("prompt:", prompt.name));
    add(prompt.title);
    add(prompt.cite);
    for (const PromptFinding& finding : prompt.findings) {
      add(finding.name);
      add(absl::StrCat("prompt:", prompt.name, "/", finding.name));
      add(finding.title);
      add(finding.cite);
    }
  }
  for (const ActionDef& action : policy.actions) {
    add(action.code);
    add(absl::StrCat("action:", action.code));
    add(action.title);
    add(action.owner);
    add(action.cite);
  }
  for (const Catalogue& catalogue : ruleset.catalogues) {
    add(catalogue.name);
    for (const CatalogueEntry& entry : catalogue.entries) {
      add(entry.code);
      add(entry.description);
      add(entry.source);
    }
  }
  for (const std::string& text : version.program->texts) add(text);
  for (const std::string& text : version.program->policy.texts) add(text);
  strings_.assign(all.begin(), all.end());
  index_.reserve(strings_.size());
  for (int i = 0; i < size(); ++i) index_.emplace(strings_[i], i);
  for (int capacity = kBase; capacity < size(); capacity *= kBase) ++digits_;

  SHA256_CTX sha;
  SHA256_Init(&sha);
  for (const std::string& s : strings_) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    const unsigned char len[4] = {static_cast<unsigned char>(n >> 24),
                                  static_cast<unsigned char>(n >> 16),
                                  static_cast<unsigned char>(n >> 8),
                                  static_cast<unsigned char>(n)};
    SHA256_Update(&sha, len, 4);
    SHA256_Update(&sha, s.data(), s.size());
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &sha);
  for (int i = 0; i < 8; ++i) fingerprint_ = (fingerprint_ << 8) | digest[i];
}

int RecordStrings::Find(absl::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? -1 : it->second;
}

void CompactAssessment(const v1::Assessment& answer,
                       const RecordStrings& strings,
                       v1::DecisionRecord* record) {
  v1::Assessment compact = answer;
  auto to_reference = [&strings](const std::string& value, std::string* out) {
    const int i = strings.Find(value);
    if (i >= 0) {
      *out = Reference(i, strings.digits());
      return Visit::kChanged;
    }
    if (value.empty() || value[0] != kMark) return Visit::kKept;
    *out = absl::StrCat(std::string(1, kMark), value);
    return Visit::kChanged;
  };
  ForEachString(&compact, to_reference);  // never kBad
  record->set_compact_assessment(
      ledger::Deflate(ledger::EncodeCanonical(compact)));
  record->set_strings_fingerprint(strings.fingerprint());
}

absl::StatusOr<v1::Assessment> ExpandAssessment(
    const v1::DecisionRecord& record, const RecordStrings& strings) {
  if (record.strings_fingerprint() != strings.fingerprint()) {
    return DataLoss(absl::StrCat(
        "its strings_fingerprint ", record.strings_fingerprint(),
        " is not that of the string table of ruleset ", record.ruleset_digest(),
        " (", strings.fingerprint(), ")"));
  }
  absl::StatusOr<std::string> bytes =
      ledger::Inflate(record.compact_assessment());
  if (!bytes.ok()) return bytes.status();
  v1::Assessment full;
  if (!full.ParseFromString(*bytes)) {
    return DataLoss("the inflated bytes are not a lantern.v1.Assessment");
  }
  std::string bad;
  auto from_reference = [&strings, &bad](const std::string& value,
                                         std::string* out) {
    if (value.empty() || value[0] != kMark) return Visit::kKept;
    if (value.size() >= 2 && value[1] == kMark) {
      out->assign(value, 1);
      return Visit::kChanged;
    }
    int index = 0;
    bool ok = static_cast<int>(value.size()) == 1 + strings.digits();
    for (size_t k = 1; ok && k < value.size(); ++k) {
      const int digit = value[k] - kZero;
      ok = digit >= 0 && digit < kBase;
      index = index * kBase + digit;
    }
    if (!ok || index >= strings.size()) {
      bad = "a reference is malformed or out of the string table";
      return Visit::kBad;
    }
    *out = strings.at(index);
    return Visit::kChanged;
  };
  if (!ForEachString(&full, from_reference)) return DataLoss(bad);
  return full;
}

absl::StatusOr<v1::Assessment> Reevaluate(const v1::DecisionRecord& record,
                                          const v1::Assessment& recorded,
                                          const RuleSetVersion& version,
                                          v1::View view) {
  static const RequestLimits kNoLimits{std::numeric_limits<int>::max(),
                                       std::numeric_limits<int64_t>::max(),
                                       std::numeric_limits<int64_t>::max()};
  v1::AssessRequest request;
  *request.mutable_facts() = record.facts();
  // What Assess derived from the episode index, as it recorded it.
  if (recorded.has_derived()) {
    *request.mutable_facts()->mutable_derived() = recorded.derived();
  }
  const absl::Time as_of =
      TimeOf(record.has_as_of() ? record.as_of() : recorded.as_of());
  const DecisionStamp stamp{record.decision_id(), version.digest,
                            TimeOf(record.received_at())};
  v1::Assessment answer;
  absl::Status status =
      EvaluateFacts(version, request, kNoLimits, as_of, stamp, &answer, view);
  if (!status.ok()) return status;
  return answer;
}

absl::StatusOr<std::shared_ptr<const RecordStrings>> DecisionCodec::StringsFor(
    const std::string& digest) {
  {
    absl::MutexLock lock(&mu_);
    auto it = strings_.find(digest);
    if (it != strings_.end()) return it->second;
  }
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version = find_(digest);
  if (!version.ok()) return version.status();
  auto strings = std::make_shared<const RecordStrings>(**version);
  absl::MutexLock lock(&mu_);
  return strings_.emplace(digest, std::move(strings)).first->second;
}

absl::Status DecisionCodec::CompactSent(const v1::Assessment& sent,
                                        v1::DecisionRecord* record) {
  absl::StatusOr<std::shared_ptr<const RecordStrings>> strings =
      StringsFor(record->ruleset_digest());
  if (!strings.ok()) return strings.status();
  CompactAssessment(sent, **strings, record);
  record->set_format(kRecordFormatSentCompact);
  return absl::OkStatus();
}

absl::Status DecisionCodec::Compact(const v1::Assessment& full,
                                    v1::DecisionRecord* record) {
  absl::StatusOr<std::shared_ptr<const RecordStrings>> strings =
      StringsFor(record->ruleset_digest());
  if (!strings.ok()) return strings.status();
  CompactAssessment(full, **strings, record);
  record->set_format(kRecordFormatCompact);
  return absl::OkStatus();
}

absl::StatusOr<v1::Assessment> DecisionCodec::Expand(
    const v1::DecisionRecord& record) {
  absl::StatusOr<std::shared_ptr<const RecordStrings>> strings =
      StringsFor(record.ruleset_digest());
  if (!strings.ok()) return strings.status();
  return ExpandAssessment(record, **strings);
}

absl::StatusOr<v1::Assessment> DecisionCodec::Full(
    const v1::DecisionRecord& record) {
  switch (record.format()) {
    case kRecordFormatSent:
    case kRecordFormatInline:
      return record.assessment();
    case kRecordFormatCompact:
      return Expand(record);  // format 2 compacts the FULL answer
    case kRecordFormatSentCompact:
    case kRecordFormatSentInline: {
      absl::StatusOr<v1::Assessment> sent = Sent(record);
      if (!sent.ok()) return sent.status();
      absl::StatusOr<std::shared_ptr<const RuleSetVersion>> version =
          find_(record.ruleset_digest());
      if (!version.ok()) return version.status();
      return Reevaluate(record, *sent, **version);
    }
    default:
      return UnknownFormat(record);
  }
}

absl::StatusOr<v1::Assessment> DecisionCodec::Sent(
    const v1::DecisionRecord& record) {
  switch (record.format()) {
    case kRecordFormatSent:
    case kRecordFormatSentInline:
      return record.assessment();
    case kRecordFormatInline: {
      v1::Assessment sent = record.assessment();
      CutToView(record.view(), &sent, record.engine_version());
      return sent;
    }
    case kRecordFormatCompact: {
      absl::StatusOr<v1::Assessment> full = Expand(record);
      if (full.ok()) CutToView(record.view(), &*full, record.engine_version());
      return full;
    }
    case kRecordFormatSentCompact:
      return Expand(record);
    default:
      return UnknownFormat(record);
  }
}

absl::Status DecisionCodec::FillSent(v1::DecisionRecord* record) {
  if (record->format() == kRecordFormatSent ||
      record->format() == kRecordFormatSentInline) {
    return absl::OkStatus();
  }
  absl::StatusOr<v1::Assessment> sent = Sent(*record);
  if (!sent.ok()) return sent.status();
  *record->mutable_assessment() = *std::move(sent);
  return absl::OkStatus();
}

}  // namespace lantern
