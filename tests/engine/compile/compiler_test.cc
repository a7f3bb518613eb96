// Tests engine/compile/compiler.h on its own: a small checked ruleset over
// lantern.testing.v1.ExampleFacts, written here so that each rule exercises
// one path of the compiler, is compiled and the CompiledRuleSet
// (engine/match/program.h) is inspected directly — frame layout, atom
// deduplication and sources, ordered thresholds and their rows, the lead
// index, logical trees and jump code, compiled VM code (run with RunAtom),
// effective periods, the path report — and the errors for what cannot be
// compiled.
#include "engine/compile/compiler.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/match/atom_vm.h"
#include "engine/match/fact_frame.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using ::lantern::testing::ReadTree;
using ::lantern::testing::TestDataPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kRules[] = R"(rules:
  - id: a.young
    title: Under 13
    concern: CSE
    score: 10
    cite: "c"
    when: child.age_years < 13
  - id: b.young_again
    title: Under 13, the same atom again
    concern: CCE
    score: 5
    cite: "c"
    when: child.age_years < 13
  - id: c.older
    title: 16 or over, or exactly 13
    concern: CSE
    score: 1
    cite: "c"
    when: child.age_years >= 16 || child.age_years == 13
  - id: d.disputed
    title: Age recorded as disputed
    concern: CCE
    score: 1
    cite: "c"
    when: has(child.age_disputed)
  - id: e.marker
    title: CSE marker and narrative
    concern: CSE
    score: 1
    cite: "c"
    when: '"CSE_RISK" in child.markers && episode.narrative.mentions("trap house")'
  - id: f.older_associate
    title: An associate five years older
    concern: CSE
    score: 1
    cite: "c"
    when: episode.found.with.exists(a, a.age_years - child.age_years >= 5)
  - id: g.mixed
    title: Not disputed, and young or out of character
    concern: CCE
    score: 1
    cite: "c"
    when: '!(child.age_disputed == true) && (child.age_years < 13 || episode.out_of_character == true)'
  - id: trafficking.dated
    title: In force from 2024 only
    concern: TRAFFICKING
    score: 1
    cite: "c"
    effective_from: 2024-01-01
    when: episodes_last_90d >= 3
)";

class CompilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<SourceFile> example =
        ReadTree(TestDataPath("rulesets/example"));
    std::vector<SourceFile> files;
    for (SourceFile& f : example) {
      if (f.path == "manifest.yaml" || f.path == "policy.yaml" ||
          f.path == "rules/constants.yaml") {
        files.push_back(std::move(f));
      }
    }
    SourceFile rules;
    rules.path = "rules/test.yaml";
    rules.content = kRules;
    files.push_back(std::move(rules));
    LoadResult loaded = LoadRuleSetFromFiles(std::move(files), types_, "t");
    ASSERT_NE(loaded.ruleset, nullptr) << loaded.diagnostics.ToString();
    ruleset_ = loaded.ruleset;
    auto program = CompileRuleSet(ruleset_);
    ASSERT_TRUE(program.ok()) << program.status();
    program_ = *program;
  }

  int32_t RuleIndex(const std::string& id) const {
    for (size_t i = 0; i < ruleset_->rules.size(); ++i) {
      if (ruleset_->rules[i].id == id) return static_cast<int32_t>(i);
    }
    ADD_FAILURE() << "no rule " << id;
    return -1;
  }
  // The atom bits of a rule's occurrences, in source order.
  std::vector<int32_t> AtomsOf(const std::string& id) const {
    const int32_t r = RuleIndex(id);
    std::vector<int32_t> bits;
    for (int32_t o = program_->occ_begin[r]; o < program_->occ_begin[r + 1];
         ++o) {
      bits.push_back(program_->occurrences[o].atom);
    }
    return bits;
  }
  int32_t SlotOf(const std::string& path) const {
    for (int32_t s = 0; s < program_->layout.size(); ++s) {
      const SlotDef& def = program_->layout.slot(s);
      if (def.mode == SlotDef::Mode::kValue && def.path() == path) return s;
    }
    return -1;
  }
  const SourceDef& SourceOfAtom(int32_t bit) const {
    return program_->sources[program_->atoms[bit].source];
  }
  // Whether `bit` is TRUE in row `cls` of its ordered source.
  bool RowHas(int32_t bit, int32_t cls) const {
    const SourceDef& src = SourceOfAtom(bit);
    const int32_t word = bit / 64 - src.first_word;
    return (src.rows[cls * src.words + word] >> (bit % 64)) & 1;
  }
  std::vector<int32_t> LeadRules(int32_t bit) const {
    std::vector<int32_t> rules;
    for (int32_t g = program_->lead_begin[bit];
         g < program_->lead_begin[bit + 1]; ++g) {
      const int32_t begin = g == 0 ? 0 : program_->lead_groups[g - 1].end;
      for (int32_t e = begin; e < program_->lead_groups[g].end; ++e) {
        rules.push_back(program_->leads[e].rule);
      }
    }
    return rules;
  }

  ProtoFactTypes types_;
  std::shared_ptr<const RuleSet> ruleset_;
  std::shared_ptr<const CompiledRuleSet> program_;
};

TEST_F(CompilerTest, RejectsWhatCannotBeCompiled) {
  auto null = CompileRuleSet(nullptr);
  EXPECT_EQ(null.status().code(), absl::StatusCode::kInvalidArgument);
  auto no_schema = CompileRuleSet(std::make_shared<const RuleSet>());
  EXPECT_EQ(no_schema.status().code(), absl::StatusCode::kInvalidArgument);
  // A schema but a rule whose condition was never parsed and checked.
  auto unchecked = std::make_shared<RuleSet>();
  unchecked->schema = ruleset_->schema;
  Rule rule;
  rule.id = "x.unchecked";
  unchecked->rules.push_back(std::move(rule));
  auto refused = CompileRuleSet(std::move(unchecked));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CompilerTest, ReportCountsEveryRuleAndPath) {
  const CompileReport& r = program_->report;
  EXPECT_EQ(r.rules, 8);
  EXPECT_EQ(program_->rule_count(), 8);
  EXPECT_EQ(r.rules_indexed + r.rules_always, r.rules);
  EXPECT_EQ(r.slots, program_->layout.size());
  EXPECT_EQ(r.sources, static_cast<int32_t>(program_->sources.size()));
  EXPECT_GE(r.atoms_ordered, 4);  // < 13, >= 16, == 13, >= 3 (and more)
  EXPECT_GE(r.atoms_presence, 1);
  EXPECT_GE(r.atoms_set, 1);
  EXPECT_GE(r.atoms_text, 1);
  EXPECT_GE(r.atoms_compiled, 1);
  EXPECT_GE(r.rules_compiled, 1);
  EXPECT_EQ(r.atoms_compiled, program_->code.atom_count());
  EXPECT_EQ(r.phrases, 1);
  // occurrences: 1+1+2+1+2+1+3+1
  EXPECT_EQ(r.occurrences, 12);
  EXPECT_EQ(static_cast<int32_t>(program_->occurrences.size()), 12);
  EXPECT_EQ(program_->jumps.size(), program_->occurrences.size());
  EXPECT_FALSE(r.ToString().empty());
}

TEST_F(CompilerTest, LayoutHasOneSlotPerPathRead) {
  for (const char* path :
       {"child.age_years", "child.markers", "episode.narrative",
        "episode.found.with", "episodes_last_90d"}) {
    EXPECT_NE(SlotOf(path), -1) << path;
  }
  // Paths only read inside a comprehension body are not root slots.
  EXPECT_EQ(SlotOf("episode.found.with.age_years"), -1);
  // Every (path, mode) is there once.
  for (int32_t a = 0; a < program_->layout.size(); ++a) {
    for (int32_t b = a + 1; b < program_->layout.size(); ++b) {
      const SlotDef& x = program_->layout.slot(a);
      const SlotDef& y = program_->layout.slot(b);
      EXPECT_FALSE(x.mode == y.mode && x.step_paths == y.step_paths)
          << x.path();
    }
  }
}

TEST_F(CompilerTest, EqualAtomsShareOneBitAcrossRules) {
  const std::vector<int32_t> a = AtomsOf("a.young");
  const std::vector<int32_t> b = AtomsOf("b.young_again");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0], b[0]);
  const std::vector<int32_t> g = AtomsOf("g.mixed");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[1], a[0]);  // child.age_years < 13 again
  const std::vector<int32_t> c = AtomsOf("c.older");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(c[0], c[1]);
  EXPECT_NE(c[0], a[0]);
}

TEST_F(CompilerTest, OrderedSourceThresholdsAndRows) {
  const int32_t young = AtomsOf("a.young")[0];
  const std::vector<int32_t> c = AtomsOf("c.older");
  const SourceDef& src = SourceOfAtom(young);
  EXPECT_EQ(src.kind, SourceKind::kOrdered);
  EXPECT_EQ(src.slot, SlotOf("child.age_years"));
  EXPECT_EQ(src.domain, Domain::kInt);
  EXPECT_THAT(src.ints, ElementsAre(13, 16));  // sorted, distinct
  EXPECT_EQ(&SourceOfAtom(c[0]), &src);
  EXPECT_EQ(&SourceOfAtom(c[1]), &src);
  // Classes: 0 below 13, 1 at 13, 2 between, 3 at 16, 4 above; 5 is NaN.
  const int32_t at_least_16 = c[0], is_13 = c[1];
  EXPECT_TRUE(RowHas(young, 0));
  EXPECT_FALSE(RowHas(young, 1));
  EXPECT_FALSE(RowHas(young, 2));
  EXPECT_FALSE(RowHas(young, 4));
  EXPECT_FALSE(RowHas(is_13, 0));
  EXPECT_TRUE(RowHas(is_13, 1));
  EXPECT_FALSE(RowHas(is_13, 2));
  EXPECT_FALSE(RowHas(at_least_16, 2));
  EXPECT_TRUE(RowHas(at_least_16, 3));
  EXPECT_TRUE(RowHas(at_least_16, 4));
}

TEST_F(CompilerTest, EachAtomKindGetsItsSource) {
  const int32_t presence = AtomsOf("d.disputed")[0];
  EXPECT_EQ(SourceOfAtom(presence).kind, SourceKind::kPresence);
  const std::vector<int32_t> e = AtomsOf("e.marker");
  ASSERT_EQ(e.size(), 2u);
  const SourceDef& set = SourceOfAtom(e[0]);
  EXPECT_EQ(set.kind, SourceKind::kSet);
  EXPECT_EQ(set.slot, SlotOf("child.markers"));
  EXPECT_TRUE(set.string_members.contains("CSE_RISK"));
  const SourceDef& text = SourceOfAtom(e[1]);
  EXPECT_EQ(text.kind, SourceKind::kText);
  EXPECT_EQ(text.slot, SlotOf("episode.narrative"));
  const int32_t compiled = AtomsOf("f.older_associate")[0];
  EXPECT_EQ(SourceOfAtom(compiled).kind, SourceKind::kCompiled);
  EXPECT_EQ(SourceOfAtom(compiled).slot, -1);
  const int32_t index = program_->atoms[compiled].compiled;
  ASSERT_GE(index, 0);
  ASSERT_LT(index, program_->code.atom_count());
  EXPECT_EQ(program_->compiled_bits[index], compiled);
}

TEST_F(CompilerTest, CompiledAtomCodeRunsWithTheLanguageSemantics) {
  const int32_t bit = AtomsOf("f.older_associate")[0];
  const int32_t atom = program_->atoms[bit].compiled;
  const FactSchema& schema = *program_->schema;
  const MessageType& root = schema.root_type();
  const int32_t child_type = root.FindField("child")->type.ref;
  const int32_t episode_type = root.FindField("episode")->type.ref;
  const MessageType& episode = schema.message_type(episode_type);
  const int32_t found_type = episode.FindField("found")->type.ref;
  const MessageType& found = schema.message_type(found_type);
  const int32_t associate_type = found.FindField("with")->type.ref;
  const MessageType& associate = schema.message_type(associate_type);
  const MessageType& child = schema.message_type(child_type);

  auto run = [&](std::optional<int64_t> child_age,
                 std::vector<std::optional<int64_t>> ages) {
    FactRecord facts(schema.root(), static_cast<int32_t>(root.fields.size()));
    FactRecord c(child_type, static_cast<int32_t>(child.fields.size()));
    if (child_age) c.Set(child.FindField("age_years")->index, *child_age);
    facts.Set(root.FindField("child")->index,
              std::make_unique<FactRecord>(std::move(c)));
    FactRecord f(found_type, static_cast<int32_t>(found.fields.size()));
    for (const auto& age : ages) {
      FactRecord a(associate_type,
                   static_cast<int32_t>(associate.fields.size()));
      if (age) a.Set(associate.FindField("age_years")->index, *age);
      f.Append(found.FindField("with")->index,
               std::make_unique<FactRecord>(std::move(a)));
    }
    FactRecord e(episode_type, static_cast<int32_t>(episode.fields.size()));
    e.Set(episode.FindField("found")->index,
          std::make_unique<FactRecord>(std::move(f)));
    facts.Set(root.FindField("episode")->index,
              std::make_unique<FactRecord>(std::move(e)));
    std::vector<FrameValue> frame(program_->layout.size());
    ScratchStrings strings;
    DecodeFrame(program_->layout, schema, facts, absl::UnixEpoch(), &strings,
                frame.data());
    AtomScratch scratch;
    return RunAtom(program_->code, atom, schema, frame.data(), &scratch,
                   nullptr);
  };
  EXPECT_EQ(run(14, {19}), Truth::kTrue);
  EXPECT_EQ(run(14, {18}), Truth::kFalse);
  EXPECT_EQ(run(14, {}), Truth::kFalse);
  EXPECT_EQ(run(14, {15, std::nullopt}), Truth::kUnknown);
  EXPECT_EQ(run(14, {25, std::nullopt}), Truth::kTrue);
  EXPECT_EQ(run(std::nullopt, {25}), Truth::kUnknown);
}

TEST_F(CompilerTest, LogicalTreeMirrorsTheCondition) {
  const int32_t r = RuleIndex("g.mixed");
  const int32_t begin = program_->node_begin[r];
  const int32_t end = program_->node_begin[r + 1];
  std::vector<LogicNode::Kind> kinds;
  for (int32_t n = begin; n < end; ++n)
    kinds.push_back(program_->nodes[n].kind);
  // Post-order of !(A) && (B || C): A, not, B, C, or, and.
  EXPECT_THAT(kinds,
              ElementsAre(LogicNode::kAtom, LogicNode::kNot, LogicNode::kAtom,
                          LogicNode::kAtom, LogicNode::kOr, LogicNode::kAnd));
  EXPECT_EQ(program_->nodes[begin].a, 0);
  EXPECT_EQ(program_->nodes[begin + 2].a, 1);
  EXPECT_EQ(program_->nodes[begin + 3].a, 2);
  // Occurrences keep their text's offsets in source order.
  const int32_t o = program_->occ_begin[r];
  EXPECT_LT(program_->occurrences[o].offset,
            program_->occurrences[o + 1].offset);
  EXPECT_LT(program_->occurrences[o + 1].offset,
            program_->occurrences[o + 2].offset);
}

TEST_F(CompilerTest, JumpCodeShortCircuits) {
  // A single atom: TRUE → rule TRUE, else FALSE.
  const int32_t a = RuleIndex("a.young");
  const JumpInstr& j = program_->jumps[program_->occ_begin[a]];
  EXPECT_EQ(j.on_true, JumpInstr::kTrue);
  EXPECT_EQ(j.on_false, JumpInstr::kFalse);
  // A || B: A TRUE → TRUE; A FALSE → test B.
  const int32_t c = RuleIndex("c.older");
  const JumpInstr& first = program_->jumps[program_->occ_begin[c]];
  const JumpInstr& second = program_->jumps[program_->occ_begin[c] + 1];
  EXPECT_EQ(first.on_true, JumpInstr::kTrue);
  EXPECT_EQ(first.on_false, 1);
  EXPECT_EQ(second.on_true, JumpInstr::kTrue);
  EXPECT_EQ(second.on_false, JumpInstr::kFalse);
  // A && B: A FALSE → FALSE; A TRUE → test B.
  const int32_t e = RuleIndex("e.marker");
  const JumpInstr& e1 = program_->jumps[program_->occ_begin[e]];
  EXPECT_EQ(e1.on_true, 1);
  EXPECT_EQ(e1.on_false, JumpInstr::kFalse);
}

TEST_F(CompilerTest, IndexReachesEveryRuleFromItsLeadAtoms) {
  const int32_t young = AtomsOf("a.young")[0];
  EXPECT_THAT(LeadRules(young),
              ::testing::IsSupersetOf(
                  {RuleIndex("a.young"), RuleIndex("b.young_again")}));
  // An alternative is one lead each: c.older from both of its atoms.
  const std::vector<int32_t> c = AtomsOf("c.older");
  EXPECT_THAT(LeadRules(c[0]), ::testing::Contains(RuleIndex("c.older")));
  EXPECT_THAT(LeadRules(c[1]), ::testing::Contains(RuleIndex("c.older")));
  // Every rule is reachable: from a lead entry or the always list.
  for (int32_t r = 0; r < program_->rule_count(); ++r) {
    bool reachable = std::find(program_->always.begin(), program_->always.end(),
                               r) != program_->always.end();
    for (const LeadEntry& e : program_->leads) reachable |= e.rule == r;
    EXPECT_TRUE(reachable) << ruleset_->rules[r].id;
  }
  EXPECT_EQ(static_cast<int32_t>(program_->leads.size()),
            program_->report.lead_entries);
  // The negated condition's key is a complement atom of its own bit.
  const int32_t disputed_eq = AtomsOf("g.mixed")[0];
  const int32_t complement = program_->atoms[disputed_eq].complement;
  if (complement != -1) {
    EXPECT_TRUE(program_->atoms[complement].is_complement);
  }
}

TEST_F(CompilerTest, EffectivePeriodsAreKeptPerRule) {
  const int32_t dated = RuleIndex("trafficking.dated");
  ASSERT_GE(program_->period[dated], 0);
  EXPECT_EQ(program_->period[RuleIndex("a.young")], -1);
  ASSERT_LT(program_->period[dated],
            static_cast<int32_t>(program_->periods.size()));
}

TEST_F(CompilerTest, CompilingTwiceGivesTheSameProgram) {
  auto again = CompileRuleSet(ruleset_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->report.ToString(), program_->report.ToString());
  EXPECT_EQ((*again)->layout.size(), program_->layout.size());
  EXPECT_EQ((*again)->atoms.size(), program_->atoms.size());
  EXPECT_EQ((*again)->ruleset, ruleset_);
}

}  // namespace
}  // namespace lantern
