// EpisodeGenerator: deterministic, seeded episodes over a ruleset's fact
// schema, aimed at the values its conditions test.
//
// Entry point: EpisodeGenerator::Next. The generator walks the FactSchema
// from the root and fills every field: a field with presence is left unset
// (UNKNOWN) now and then; otherwise its value comes from a pool gathered
// from the ruleset at construction, so that conditions are exercised on
// both sides of every boundary:
//   numbers   each literal or constant a field is compared with, and one
//             step below and above it (ints ±1, doubles ±0.5), and 0;
//   enums     the values conditions name, and any other value;
//   strings   the literals a field is compared with; text fields get a few
//             of the phrases the conditions' mentions() look for;
//   codes     list(string) fields get codes of the catalogues bound to them;
//   times     timestamps are placed relative to as_of and to each other by
//             every duration the ruleset names, just under or just over it;
//   lists     of messages and enums: none to a few elements.
// as_of is one of the test cases' as_of times, or a day either side of a
// rule's effective date. Randomness is a SplitMix64 stream of the seed, so
// one (ruleset, seed) always gives the same episodes on every platform.
//
// Thread-safety: not thread-safe; one generator per thread. The RuleSet
// must outlive the generator.
#ifndef LANTERN_ENGINE_DECIDE_EPISODE_GENERATOR_H_
#define LANTERN_ENGINE_DECIDE_EPISODE_GENERATOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "engine/facts/facts.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

struct GeneratedEpisode {
  FactRecord facts;
  absl::Time as_of;
};

class EpisodeGenerator {
 public:
  // REQUIRES: `ruleset` was loaded (has a schema) and outlives this.
  EpisodeGenerator(const RuleSet& ruleset, uint64_t seed);

  GeneratedEpisode Next();

 private:
  // (message type, field index) of a fact field.
  using FieldKey = std::pair<int32_t, int32_t>;

  uint64_t Random();
  uint64_t Below(uint64_t n);  // uniform-ish in [0, n); 0 when n == 0
  bool Chance(int percent);

  void Collect(const Expr& expr);
  void CollectComparison(const Expr& field, const Expr& other);
  void CollectCatalogues();
  void CollectAsOf();

  FactRecord Message(int32_t type, int depth);
  void Fill(const FieldDef& def, int32_t type, int depth, FactRecord* out);
  FactScalar Scalar(const FieldDef& def, const FieldKey& key, int depth);
  int64_t Int(const FieldKey& key);
  double Double(const FieldKey& key);
  std::string String(const FieldKey& key);
  absl::Time Time();
  absl::Duration Duration();
  EnumNumber Enum(const FieldKey& key, int32_t enum_ref);

  const RuleSet& ruleset_;
  const FactSchema& schema_;
  uint64_t state_;

  std::map<FieldKey, std::vector<LiteralValue>> compared_;
  std::map<FieldKey, std::vector<std::string>> phrases_;
  std::map<FieldKey, std::vector<std::string>> codes_;
  std::vector<std::string> all_phrases_;
  // While collecting: comprehension variables in scope, innermost last,
  // with the list field each ranges over (null when not a field).
  std::vector<std::pair<std::string, const Expr*>> iterated_;
  std::vector<absl::Duration> durations_;
  std::vector<absl::Time> as_of_choices_;

  // Per episode.
  absl::Time as_of_;
  std::vector<absl::Time> times_;  // timestamps placed so far
};

// A deep copy of `facts`.
FactRecord CopyFacts(const FactRecord& facts);

// Every way to make `facts` smaller by one step: each set singular field
// cleared, each list element removed, and the same inside nested records.
// Results come largest step first (whole messages before their fields).
std::vector<FactRecord> SmallerFacts(const FactRecord& facts);

}  // namespace lantern

#endif  // LANTERN_ENGINE_DECIDE_EPISODE_GENERATOR_H_
