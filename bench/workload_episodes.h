// The episode side of Lantern's neutral workload generator
// (bench/workload_generator.cc): the fixed schema of 44 fields, the
// safeguarding phrase list, a deterministic random source, and random
// episodes with correlated fields and varied narratives, in the neutral
// format (bench/README.md).
//
// Thread-safety: Fields() and Phrases() are immutable; an Rng and the
// episodes it makes belong to one thread.
#ifndef LANTERN_BENCH_WORKLOAD_EPISODES_H_
#define LANTERN_BENCH_WORKLOAD_EPISODES_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace lantern::bench {

// SplitMix64: small, fast, and the same on every platform and library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

enum class FieldType { kInt, kBool, kEnum, kSet, kText };

struct FieldDef {
  std::string name;
  FieldType type;
  int64_t min = 0, max = 0;         // kInt
  std::vector<std::string> values;  // kEnum, kSet
};

// The rule-visible fields, in schema order (the key `episode_id` is not
// among them).
const std::vector<FieldDef>& Fields();

// Every phrase rules may ask about: lowercase words joined by one space.
const std::vector<std::string>& Phrases();

struct Episode {
  // By field: the int, bool (0/1), enum value index, or set bitmask
  // (bit k = values[k] present); unused for the text field.
  std::vector<int64_t> values;
  std::string narrative;
  // The narrative's tokens, lower-cased, as " w1 w2 ... wn ".
  std::string words;
};

Episode MakeEpisode(Rng* rng);

// `{"episode_id": "E000123", "age": 14, ...}`.
std::string EpisodeJson(const Episode& episode, int64_t number);

// The file up to and including `"rules": [`.
void WriteHeader(std::ostream& out, int64_t seed, int64_t rules,
                 int64_t episodes);

}  // namespace lantern::bench

#endif  // LANTERN_BENCH_WORKLOAD_EPISODES_H_
