// DecisionCodec: the compact form of a decision's answer in the ledger
// (ledger.proto DecisionRecord.format 2), and the answers a record holds.
//
// A record keeps the FULL answer and the view it was sent in; what was
// sent is the FULL answer cut to that view (assessment_view.h). Format 2
// keeps the FULL answer as compact_assessment: its deterministic
// serialization, with every string field whose value is in the string
// table of the record's ruleset (RecordStrings) replaced by a reference,
// then zlib-compressed (record_codec.h Deflate). A reference is the byte
// 0x01 followed by the entry's index in base 126, most significant digit
// first, each digit as the byte 0x02 + digit, in a fixed number of digits
// for the table (RecordStrings::digits); a string of the answer that
// itself begins with 0x01 is kept with one more 0x01 in front. The table
// is built from the ruleset alone (RecordStrings, below), so the ruleset
// the ledger already stores under ruleset_digest is all that expansion
// needs; strings_fingerprint detects a table built otherwise.
//
// Formats: 0, records made before views: `assessment` is the answer as
// sent, which was then always FULL. 1: `assessment` is the FULL answer
// inline (a recorder without a codec). 2: compact_assessment.
//
// Thread-safety: every method may be called concurrently.
#ifndef LANTERN_SERVER_APP_DECISION_CODEC_H_
#define LANTERN_SERVER_APP_DECISION_CODEC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "lantern/v1/ledger.pb.h"
#include "server/app/ruleset_registry.h"

namespace lantern {

// The record format numbers (DecisionRecord.format).
inline constexpr uint32_t kRecordFormatSent = 0;
inline constexpr uint32_t kRecordFormatInline = 1;
inline constexpr uint32_t kRecordFormatCompact = 2;

// The string table of one ruleset: the sorted distinct non-empty strings
// among its rules' ids, titles, cites, concerns, grade floors, flags and
// actions; its policy's grades, levels, concern names, concern floors' ids
// and cites, prompts' and findings' names, titles and cites, actions'
// codes, titles, owners and cites; its catalogues' names and entries'
// codes, descriptions and sources; "prompt:<name>" and "action:<code>" for
// each prompt and action, "concern:<name>" for each concern; and the
// condition texts evidence quotes (the compiled rules' and policy's
// texts). Immutable.
class RecordStrings {
 public:
  explicit RecordStrings(const RuleSetVersion& version);

  // The index of `s`, or -1.
  int Find(absl::string_view s) const;
  // REQUIRES: 0 <= i < size().
  const std::string& at(int i) const { return strings_[i]; }
  int size() const { return static_cast<int>(strings_.size()); }
  // Digits of a reference (at least 1).
  int digits() const { return digits_; }
  // The first 8 bytes (big-endian) of the SHA-256 of the table: each
  // string's length as 4 bytes big-endian, then the string.
  uint64_t fingerprint() const { return fingerprint_; }

 private:
  std::vector<std::string> strings_;
  absl::flat_hash_map<absl::string_view, int> index_;
  int digits_ = 1;
  uint64_t fingerprint_ = 0;
};

// The FULL answer `full` in compact form: compact_assessment and
// strings_fingerprint of `*record` are set (format is left to the caller).
void CompactAssessment(const v1::Assessment& full, const RecordStrings& strings,
                       v1::DecisionRecord* record);

// The FULL answer of a format-2 record. DATA_LOSS when the bytes do not
// inflate or parse, the fingerprint is not `strings`', or a reference is
// out of range.
absl::StatusOr<v1::Assessment> ExpandAssessment(
    const v1::DecisionRecord& record, const RecordStrings& strings);

class DecisionCodec {
 public:
  // A ruleset version by digest (AuditRuleSets::Find, or the registry).
  using FindVersion =
      std::function<absl::StatusOr<std::shared_ptr<const RuleSetVersion>>(
          const std::string& digest)>;

  // REQUIRES: what `find` reads outlives this.
  explicit DecisionCodec(FindVersion find) : find_(std::move(find)) {}

  // The string table of the ruleset with this digest, built once.
  absl::StatusOr<std::shared_ptr<const RecordStrings>> StringsFor(
      const std::string& digest);

  // Makes `*record` a format-2 record of the FULL answer `full` (sent in
  // record->view()), leaving `assessment` unset. Errors: `find`'s.
  absl::Status Compact(const v1::Assessment& full, v1::DecisionRecord* record);

  // The FULL answer the record holds (any format).
  absl::StatusOr<v1::Assessment> Full(const v1::DecisionRecord& record);

  // The answer as sent, in `record->assessment` (any format; format 0
  // and its assessment are left as they are).
  absl::Status FillSent(v1::DecisionRecord* record);

 private:
  const FindVersion find_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const RecordStrings>>
      strings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_DECISION_CODEC_H_
