// NeutralWorkload: the engine-neutral matcher workload
// ("neutral-episode-rules/1", see bench/README.md) as a Lantern ruleset and
// Lantern facts.
//
// Nothing is bypassed: the workload's schema becomes a FactSchema served by
// a FactTypes (NeutralFactTypes), its rules become the files of a ruleset
// directory (manifest.yaml, policy.yaml, rules/*.yaml with `when:`
// conditions in the rule language) for the real loader and checker, and its
// episodes become FactRecords.
//
// Translation of a rule's `when` tree:
//   all / any / not          → `( && )`, `( || )`, `!( )`
//   eq / ne / lt / le / gt / ge → `field == value` ... (ints, bools, enums)
//   in                       → `field in [v1, v2]`
//   has                      → `"value" in field` (a repeated string)
//   phrase                   → `field.mentions("words")`
// A value of the wrong type can never be equal ("true never equals 1"):
// such an `eq` or `in` becomes `false` and such an `ne` becomes `true`.
// Fields map as int → int, bool → bool, enum → an enum whose zero is an
// unknown `NEUTRAL_UNSPECIFIED` and whose values are numbered from 1 in the
// workload's order, set → list(string), text → string; every scalar has
// presence, so a missing value would be UNKNOWN.
//
// Lantern rule ids are "r" and the workload id zero-padded to nine digits,
// so the loader's id order is the workload's numeric order.
//
// Thread-safety: immutable after Parse.
#ifndef LANTERN_BENCH_NEUTRAL_WORKLOAD_H_
#define LANTERN_BENCH_NEUTRAL_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/json_reader.h"
#include "engine/facts/fact_types.h"
#include "engine/ruleset/ruleset.h"

namespace lantern::bench {

inline constexpr char kNeutralMessage[] = "neutral.v1.Episode";

struct NeutralField {
  std::string name;
  std::string type;                 // int, bool, enum, set, text
  std::vector<std::string> values;  // enum and set values
  int32_t index = 0;                // in the Lantern message
  int32_t enum_ref = -1;
};

class NeutralFactTypes : public FactTypes {
 public:
  NeutralFactTypes(std::shared_ptr<const FactSchema> schema,
                   std::vector<NeutralField> fields)
      : schema_(std::move(schema)), fields_(std::move(fields)) {}

  absl::StatusOr<std::shared_ptr<const FactSchema>> SchemaFor(
      absl::string_view message_name) const override;
  absl::StatusOr<FactRecord> DecodeJson(const FactSchema& schema,
                                        absl::string_view message_name,
                                        absl::string_view json) const override;

  // One episode object as facts. INVALID_ARGUMENT names a bad field.
  absl::StatusOr<FactRecord> Decode(const JsonValue& episode) const;

 private:
  std::shared_ptr<const FactSchema> schema_;
  std::vector<NeutralField> fields_;
};

class NeutralWorkload {
 public:
  // Reads a workload file's text.
  static absl::StatusOr<NeutralWorkload> Parse(absl::string_view json_text);

  const NeutralFactTypes& fact_types() const { return *types_; }
  int64_t rule_count() const { return static_cast<int64_t>(rules_.size()); }
  int64_t episode_count() const {
    return static_cast<int64_t>(episodes_->size());
  }

  // The ruleset directory: manifest, policy, and rules/rules_NNN.yaml.
  absl::StatusOr<std::vector<SourceFile>> RulesetFiles() const;
  // Every episode as facts, in file order.
  absl::StatusOr<std::vector<FactRecord>> Episodes() const;

  // The workload's id of a Lantern rule id ("r000000012" → 12).
  static int64_t WorkloadId(const std::string& lantern_id);

 private:
  absl::StatusOr<std::string> Condition(const JsonValue& node, int depth) const;
  absl::StatusOr<std::string> Predicate(const JsonValue& node) const;
  const NeutralField* Field(absl::string_view name) const;

  std::shared_ptr<JsonValue> document_;
  std::vector<NeutralField> fields_;
  std::shared_ptr<const NeutralFactTypes> types_;
  const std::vector<JsonValue>* episodes_ = nullptr;
  std::vector<const JsonValue*> rules_;
};

}  // namespace lantern::bench

#endif  // LANTERN_BENCH_NEUTRAL_WORKLOAD_H_
