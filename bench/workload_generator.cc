// workload_generator: Lantern's own generator of neutral matcher workloads
// ("neutral-episode-rules/1", bench/README.md), so that the benchmark needs
// nothing outside the project.
//
//   workload_generator --rules N --episodes M --seed S --out FILE
//
// Deterministic: the same arguments give a byte-identical file (a
// SplitMix64 generator of our own, no library distributions, no hash
// order). How it works:
//  * Episodes (bench/workload_episodes.h) come from one of five hidden
//    profiles that tilt every field, so fields correlate; narratives are
//    filler words, near-miss words and a few safeguarding phrases written
//    in varied surface forms.
//  * Rules are built against a private calibration sample of episodes,
//    each predicate a bitset over the sample: a rule starts from a random
//    shape (a conjunction, optionally with a nested `any`, a `not`, or an
//    `any` of two conjunctions) and is tightened by adding predicates to
//    its top-level conjunction until its firing rate on the sample is at
//    most 3·T/N (T = max(2, 2·log10 N)); rules that end too selective
//    (below T/(3N), when the sample can resolve that) are dropped. So a
//    handful of rules fire per episode at every N.
//
// Thread-safety: a single-threaded program.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/json_reader.h"
#include "bench/workload_episodes.h"

namespace lantern::bench {
namespace {

constexpr int kSample = 4096;
constexpr int kWords = kSample / 64;
using Bits = std::vector<uint64_t>;

// A generated `when` tree: its JSON and its bitset over the sample.
struct Node {
  std::string json;
  Bits bits;
};

int Count(const Bits& b) {
  int n = 0;
  for (uint64_t w : b) n += __builtin_popcountll(w);
  return n;
}

Node Combine(const char* op, const std::vector<Node>& children) {
  Node n{"", Bits(kWords, op[1] == 'l' ? ~uint64_t{0} : 0)};
  std::vector<std::string> parts;
  for (const Node& c : children) {
    parts.push_back(c.json);
    for (int w = 0; w < kWords; ++w) {
      n.bits[w] = op[1] == 'l' ? n.bits[w] & c.bits[w] : n.bits[w] | c.bits[w];
    }
  }
  n.json = absl::StrCat("{\"", op, "\": [", absl::StrJoin(parts, ", "), "]}");
  return n;
}

Node Not(const Node& child) {
  Node n{absl::StrCat("{\"not\": ", child.json, "}"), child.bits};
  for (uint64_t& w : n.bits) w = ~w;
  return n;
}

class RuleMaker {
 public:
  RuleMaker(Rng* rng, const std::vector<Episode>& sample)
      : rng_(*rng), sample_(sample) {}

  // One predicate on a field not in `used` (which it joins).
  Node Predicate(std::vector<int>* used) {
    int f = 0;
    do {
      f = RandomField();
    } while (Contains(*used, f) && Fields()[f].type != FieldType::kSet &&
             Fields()[f].type != FieldType::kText);
    used->push_back(f);
    const FieldDef& def = Fields()[f];
    const Episode& seen = sample_[rng_.Below(kSample)];
    switch (def.type) {
      case FieldType::kInt:
        return IntPredicate(f, seen.values[f]);
      case FieldType::kBool:
        return Compare(f, rng_.Chance(0.8) ? "eq" : "ne",
                       rng_.Chance(0.85) ? 1 : 0);
      case FieldType::kEnum:
        return EnumPredicate(f, seen.values[f]);
      case FieldType::kSet:
        return Has(f, seen.values[f]);
      case FieldType::kText:
        return PhrasePredicate(f);
    }
    return Has(f, 0);
  }

  // A rule's tree of the given shape, tightened to at most `high` sample
  // hits; false when it cannot be.
  bool Rule(int high, Node* out) {
    std::vector<int> used;
    std::vector<Node> all = {Predicate(&used), Predicate(&used)};
    const double shape = rng_.Uniform();
    if (shape < 0.15) {
      all.push_back(Combine("any", {Predicate(&used), Predicate(&used)}));
    } else if (shape < 0.25) {
      all.push_back(Not(Predicate(&used)));
    } else if (shape < 0.30) {
      all.push_back(Not(Combine("any", {Predicate(&used), Predicate(&used)})));
    } else if (shape < 0.35) {
      std::vector<int> other = used;
      Node second = Combine("all", {Predicate(&other), Predicate(&other)});
      all = {Combine("any", {Combine("all", all), second})};
      used = other;
    }
    Node node = Combine("all", all);
    while (Count(node.bits) > high && all.size() < 7) {
      all.push_back(Predicate(&used));
      node = Combine("all", all);
    }
    *out = std::move(node);
    return Count(out->bits) <= high;
  }

 private:
  // A field by kind first: narrative phrases, the richest signal, are a
  // quarter of all predicates, as are number comparisons; then enums,
  // flags and set membership.
  int RandomField() {
    static const double kShare[] = {0.25, 0.15, 0.2, 0.15, 0.25};
    double u = rng_.Uniform();
    int type = 0;
    while (type < 4 && u >= kShare[type]) u -= kShare[type++];
    std::vector<int> of_type;
    for (size_t f = 0; f < Fields().size(); ++f) {
      if (static_cast<int>(Fields()[f].type) == type) of_type.push_back(f);
    }
    return of_type[rng_.Below(of_type.size())];
  }

  static bool Contains(const std::vector<int>& v, int x) {
    for (int y : v) {
      if (y == x) return true;
    }
    return false;
  }

  // A predicate by its JSON; its bitset is computed once.
  template <typename Test>
  Node Leaf(std::string json, Test test) {
    Bits& bits = leaves_[json];
    if (bits.empty()) {
      bits.assign(kWords, 0);
      for (int i = 0; i < kSample; ++i) {
        if (test(sample_[i])) bits[i / 64] |= uint64_t{1} << (i % 64);
      }
    }
    return Node{std::move(json), bits};
  }

  std::string Head(int f, const char* op) {
    return absl::StrCat("{\"field\": \"", Fields()[f].name, "\", \"op\": \"",
                        op, "\", \"value\": ");
  }

  Node Compare(int f, const std::string& op, int64_t v) {
    const bool is_bool = Fields()[f].type == FieldType::kBool;
    const std::string value =
        is_bool ? (v != 0 ? "true" : "false") : absl::StrCat(v);
    return Leaf(Head(f, op.c_str()) + value + "}", [=](const Episode& e) {
      const int64_t x = e.values[f];
      if (op == "eq") return x == v;
      if (op == "ne") return x != v;
      if (op == "lt") return x < v;
      if (op == "le") return x <= v;
      if (op == "gt") return x > v;
      return x >= v;
    });
  }

  // Rules test indicators, mostly rare conditions: an order comparison's
  // threshold is the most extreme of three sample values, so it holds for
  // about a quarter of episodes.
  Node IntPredicate(int f, int64_t seen) {
    static const char* const kOps[] = {"lt", "le", "gt", "ge", "eq", "ne"};
    const double pick = rng_.Uniform();
    if (pick < 0.75) {
      const int op = static_cast<int>(rng_.Below(4));
      for (int k = 0; k < 2; ++k) {
        const int64_t other = sample_[rng_.Below(kSample)].values[f];
        seen = op < 2 ? std::min(seen, other) : std::max(seen, other);
      }
      return Compare(f, kOps[op], seen);
    }
    if (pick < 0.85) return Compare(f, kOps[4 + rng_.Below(2)], seen);
    const int64_t other = sample_[rng_.Below(kSample)].values[f];
    return Leaf(absl::StrCat(Head(f, "in"), "[", seen, ", ", other, "]}"),
                [=](const Episode& e) {
                  return e.values[f] == seen || e.values[f] == other;
                });
  }

  Node EnumPredicate(int f, int64_t seen) {
    const std::vector<std::string>& values = Fields()[f].values;
    const double pick = rng_.Uniform();
    if (pick < 0.9) {
      const std::string op = pick < 0.75 ? "eq" : "ne";
      return Leaf(Head(f, op.c_str()) + JsonQuoted(values[seen]) + "}",
                  [=](const Episode& e) {
                    return (e.values[f] == seen) == (op == "eq");
                  });
    }
    const int64_t other = static_cast<int64_t>(rng_.Below(values.size()));
    return Leaf(absl::StrCat(Head(f, "in"), "[", JsonQuoted(values[seen]), ", ",
                             JsonQuoted(values[other]), "]}"),
                [=](const Episode& e) {
                  return e.values[f] == seen || e.values[f] == other;
                });
  }

  Node Has(int f, int64_t seen_mask) {
    const std::vector<std::string>& values = Fields()[f].values;
    int64_t v = static_cast<int64_t>(rng_.Below(values.size()));
    for (size_t k = 0; k < values.size() && seen_mask != 0; ++k) {
      const int64_t c = static_cast<int64_t>((v + k) % values.size());
      if ((seen_mask >> c) & 1) {
        v = c;
        break;
      }
    }
    return Leaf(Head(f, "has") + JsonQuoted(values[v]) + "}",
                [=](const Episode& e) { return (e.values[f] >> v) & 1; });
  }

  Node PhrasePredicate(int f) {
    const std::vector<std::string>& phrases = Phrases();
    // Zipf-like: the front of the list is asked about most.
    const size_t p = static_cast<size_t>(std::pow(rng_.Uniform(), 2.0) *
                                         static_cast<double>(phrases.size()));
    const std::string needle = absl::StrCat(" ", phrases[p], " ");
    return Leaf(Head(f, "phrase") + JsonQuoted(phrases[p]) + "}",
                [&, needle](const Episode& e) {
                  return e.words.find(needle) != std::string::npos;
                });
  }

  Rng& rng_;
  const std::vector<Episode>& sample_;
  absl::flat_hash_map<std::string, Bits> leaves_;
};

struct Options {
  int64_t rules = 1000, episodes = 5000, seed = 1;
  std::string out;
};

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--rules") {
      o.rules = std::atoll(value);
    } else if (flag == "--episodes") {
      o.episodes = std::atoll(value);
    } else if (flag == "--seed") {
      o.seed = std::atoll(value);
    } else if (flag == "--out") {
      o.out = value;
    } else {
      o.rules = -1;
    }
  }
  if (argc % 2 == 0 || o.rules <= 0 || o.episodes <= 0 || o.out.empty()) {
    std::fprintf(stderr,
                 "usage: workload_generator --rules N --episodes M --seed S "
                 "--out FILE\n");
    std::exit(2);
  }
  return o;
}

int Main(int argc, char** argv) {
  const Options o = ParseArgs(argc, argv);
  std::ofstream out(o.out, std::ios::binary);
  if (!out) {
    std::fprintf(stderr, "workload_generator: cannot write %s\n",
                 o.out.c_str());
    return 2;
  }
  Rng calibration(static_cast<uint64_t>(o.seed) * 2 + 1);
  std::vector<Episode> sample;
  for (int i = 0; i < kSample; ++i) sample.push_back(MakeEpisode(&calibration));
  const double n = static_cast<double>(o.rules);
  const double target = std::max(2.0, 2.0 * std::log10(n)) / n;
  const int high = std::max(1, static_cast<int>(3 * target * kSample));
  const int low = static_cast<int>(target / 3 * kSample);
  Rng rules_rng(static_cast<uint64_t>(o.seed) * 2 + 2);
  RuleMaker maker(&rules_rng, sample);
  static const char* const kCategories[] = {"CSE", "CCE", "TRAFFICKING", "NRM",
                                            "GENERAL"};
  WriteHeader(out, o.seed, o.rules, o.episodes);
  int64_t made = 0, tried = 0;
  while (made < o.rules) {
    ++tried;
    Node rule;
    if (!maker.Rule(high, &rule) || Count(rule.bits) < low) continue;
    out << (made == 0 ? "\n  " : ",\n  ") << "{\"id\": " << made + 1
        << ", \"category\": \"" << kCategories[rules_rng.Below(5)]
        << "\", \"weight\": " << 1 + rules_rng.Below(10)
        << ", \"when\": " << rule.json << "}";
    ++made;
  }
  out << "\n],\n\"episodes\": [";
  Rng episodes_rng(static_cast<uint64_t>(o.seed) * 2 + 3);
  for (int64_t i = 0; i < o.episodes; ++i) {
    out << (i == 0 ? "\n  " : ",\n  ")
        << EpisodeJson(MakeEpisode(&episodes_rng), i + 1);
  }
  out << "\n],\n\"generator_stats\": {\"generator\": \"lantern "
         "workload_generator\", \"rules_tried\": "
      << tried << ", \"sample\": " << kSample << ", \"rate_window\": [" << low
      << ", " << high << "]}}\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "workload_generator: error writing %s\n",
                 o.out.c_str());
    return 2;
  }
  std::printf("%s: %lld rules (%lld tried), %lld episodes\n", o.out.c_str(),
              static_cast<long long>(made), static_cast<long long>(tried),
              static_cast<long long>(o.episodes));
  return 0;
}

}  // namespace
}  // namespace lantern::bench

int main(int argc, char** argv) { return lantern::bench::Main(argc, argv); }
