// DecisionCodec: how a decision's answer is kept in the ledger
// (ledger.proto DecisionRecord.format), and the answers a record gives
// back: the answer as sent, and the FULL answer.
//
// A record written now (format 3) keeps the answer exactly as sent, in the
// request's view, and not the FULL answer: FULL is worked out again on
// read (Full, Reevaluate) from the recorded facts, derived facts, as_of,
// time received and decision id under the recorded ruleset, and Replay
// checks that it cuts (assessment_view.h) to exactly the answer sent. So
// a DECISION call costs the DECISION answer and its record, never FULL.
//
// The compact form (formats 2 and 3, compact_assessment): the answer's
// deterministic serialization, with every string field whose value is in
// the string table of the record's ruleset (RecordStrings) replaced by a
// reference, then zlib-compressed (record_codec.h Deflate). A reference is
// the byte 0x01 followed by the entry's index in base 126, most
// significant digit first, each digit as the byte 0x02 + digit, in a fixed
// number of digits for the table (RecordStrings::digits); a string of the
// answer that itself begins with 0x01 is kept with one more 0x01 in front.
// The table is built from the ruleset alone (RecordStrings, below), so the
// ruleset the ledger already stores under ruleset_digest is all that
// expansion needs; strings_fingerprint detects a table built otherwise.
//
// Formats (all stay readable; only 3 and 4 are written):
//   0  records made before views: `assessment` is the answer as sent,
//      which was then always FULL;
//   1  `assessment` is the FULL answer inline; sent: it cut to the view;
//   2  compact_assessment is the FULL answer; sent: it cut to the view;
//   3  compact_assessment is the answer as sent; FULL recomputed;
//   4  `assessment` is the answer as sent (no codec); FULL recomputed.
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
inline constexpr uint32_t kRecordFormatSentCompact = 3;
inline constexpr uint32_t kRecordFormatSentInline = 4;

// Whether the record keeps only the answer as sent (formats 3 and 4), so
// its FULL answer is recomputed on read.
inline bool KeepsOnlySent(const v1::DecisionRecord& record) {
  return record.format() == kRecordFormatSentCompact ||
         record.format() == kRecordFormatSentInline;
}

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

// The answer `answer` (FULL for format 2, as sent for format 3) in compact
// form: compact_assessment and strings_fingerprint of `*record` are set
// (format is left to the caller).
void CompactAssessment(const v1::Assessment& answer,
                       const RecordStrings& strings,
                       v1::DecisionRecord* record);

// The answer of a format-2 or -3 record's compact_assessment. DATA_LOSS
// when the bytes do not inflate or parse, the fingerprint is not
// `strings`', or a reference is out of range.
absl::StatusOr<v1::Assessment> ExpandAssessment(
    const v1::DecisionRecord& record, const RecordStrings& strings);

// `record` evaluated again under `version` (EvaluateFacts, request_assessor.h)
// with its recorded inputs and stamp: its facts, with the derived facts of
// `recorded` (an answer of the record: as sent, or FULL), its as_of (else
// `recorded`'s), its decision id and time received; the digest is
// `version`'s. Recorded facts passed the server's limits when they were
// assessed, so none apply. The FULL answer, or `view`'s.
absl::StatusOr<v1::Assessment> Reevaluate(const v1::DecisionRecord& record,
                                          const v1::Assessment& recorded,
                                          const RuleSetVersion& version,
                                          v1::View view = v1::FULL);

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

  // Makes `*record` a format-3 record of `sent`, the answer exactly as
  // sent in record->view(), leaving `assessment` unset. Errors: `find`'s.
  absl::Status CompactSent(const v1::Assessment& sent,
                           v1::DecisionRecord* record);

  // Makes `*record` a format-2 record of the FULL answer `full` (sent in
  // record->view()), leaving `assessment` unset: records this build no
  // longer writes, for tests of old records. Errors: `find`'s.
  absl::Status Compact(const v1::Assessment& full, v1::DecisionRecord* record);

  // The FULL answer of the record: as it holds it (formats 0 to 2), or
  // worked out again (formats 3 and 4: Reevaluate under the recorded
  // ruleset, by this build's engine; Replay is what checks it against the
  // answer sent). Errors: DATA_LOSS for a record that does not read,
  // `find`'s, EvaluateFacts'.
  absl::StatusOr<v1::Assessment> Full(const v1::DecisionRecord& record);

  // The answer exactly as sent (any format; no evaluation).
  absl::StatusOr<v1::Assessment> Sent(const v1::DecisionRecord& record);

  // The answer as sent, in `record->assessment` (any format; format 0
  // and its assessment are left as they are).
  absl::Status FillSent(v1::DecisionRecord* record);

 private:
  // The answer in compact_assessment (formats 2 and 3).
  absl::StatusOr<v1::Assessment> Expand(const v1::DecisionRecord& record);

  const FindVersion find_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const RecordStrings>>
      strings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_DECISION_CODEC_H_
