// The `lantern` subcommands: check, test, eval. Entry points RunCheck,
// RunTest, RunEval; each builds the ruleset with the engine's factory
// (engine/build/ruleset_build.h), with the names of the answer's enums as
// the policy's vocabulary, and reports in
// plain lines (diagnostics as `file:line:col: error: ...`). `eval` assesses
// with the matcher; `test` assesses every case with the compiled ruleset
// and checks its expectations and the ruleset's invariants, then checks the
// invariants on generated episodes.
#include "server/cli/cli.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/build/ruleset_build.h"
#include "engine/decide/assess.h"
#include "engine/decide/decide.h"
#include "engine/decide/invariant_runner.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/lang/checker.h"
#include "engine/proto/proto_adapter.h"
#include "google/protobuf/util/json_util.h"
#include "server/app/assessment_proto.h"
#include "server/app/facts_values.h"

namespace lantern {
namespace {

// Builds `dir` with the engine's factory (engine/build/ruleset_build.h),
// printing its diagnostics; on failure `ok()` is false and *code holds the
// exit code. `ruleset` is set whenever the files loaded cleanly.
RuleSetBuild BuildOrReport(const std::string& dir, const FactTypes& types,
                           std::ostream& err, int* code) {
  BuildOptions options;
  options.vocabulary = &AssessmentVocabulary();
  absl::StatusOr<RuleSetBuild> build =
      BuildRuleSetDirectory(dir, types, options);
  if (!build.ok()) {
    err << "lantern: " << build.status().message() << "\n";
    *code = kExitUsage;
    return {};
  }
  err << build->diagnostics.ToString();
  if (!build->ok()) {
    err << dir << ": " << build->diagnostics.error_count() << " error(s)\n";
    *code = kExitFailed;
  }
  return *std::move(build);
}

size_t CodeCount(const RuleSet& ruleset) {
  size_t n = 0;
  for (const Catalogue& c : ruleset.catalogues) n += c.entries.size();
  return n;
}

void PrintList(std::ostream& out, const std::string& title,
               const std::vector<std::string>& items) {
  out << title << " (" << items.size() << ")\n";
  for (const std::string& item : items) out << "  " << item << "\n";
}

// A counterexample's facts as protobuf JSON, indented under its heading.
std::string CounterexampleJson(const RuleSet& ruleset,
                               const FactRecord& facts) {
  absl::StatusOr<std::string> json = FactsToJson(
      *ruleset.schema, FindFactMessage(ruleset.manifest.fact_message), facts);
  if (!json.ok()) {
    return absl::StrCat("(cannot print the facts: ", json.status().message(),
                        ")\n");
  }
  return *json;
}

void PrintViolation(const RuleSet& ruleset, const InvariantTally& t,
                    std::ostream& out) {
  const Invariant& inv = *t.invariant;
  for (const Counterexample& c : t.counterexamples) {
    out << "VIOLATED invariant " << inv.id << " (" << inv.location.file << ":"
        << inv.location.line << "): " << inv.title << "\n"
        << "  on generated episode " << c.episode << ", as_of "
        << absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", c.as_of,
                            absl::UTCTimeZone())
        << "; shrunk: " << c.explanation << "\n"
        << "  counterexample (" << ruleset.manifest.fact_message << "):\n"
        << CounterexampleJson(ruleset, *c.facts) << "\n";
  }
}

// Checks the invariants on generated episodes and prints the tallies; false
// on any violation, evaluation error or refused episode.
bool CheckGenerated(const std::shared_ptr<const CompiledRuleSet>& program,
                    const TestOptions& options, std::ostream& out) {
  const RuleSet& ruleset = *program->ruleset;
  const GeneratedReport report = RunInvariantsOnGenerated(
      *program, MatcherAssessFn(program), options.generated, options.seed);
  out << "generated: " << report.episodes << " episodes (seed " << options.seed
      << ")\n";
  std::vector<std::string> never;
  out << "rules fired by generated episodes:\n";
  for (const auto& [id, count] : report.rule_fires) {
    out << "  " << id << " " << count << "\n";
    if (count == 0) never.push_back(id);
  }
  if (!never.empty()) {
    PrintList(out, "rules no generated episode fired", never);
  }
  for (const InvariantTally& t : report.invariants) {
    out << "invariant " << t.invariant->id << ": held " << t.held
        << " (applied " << t.applied << "), violated " << t.violated
        << ", undecided " << t.undecided << ", errors " << t.errors << "\n";
  }
  for (const InvariantTally& t : report.invariants) {
    PrintViolation(ruleset, t, out);
  }
  if (report.assess_failures > 0) {
    out << "FAIL: the engine refused " << report.assess_failures
        << " generated episodes; the first: " << report.first_assess_error
        << "\n";
  }
  out << (report.ok() ? "invariants hold on every generated episode\n"
                      : "invariants FAILED on generated episodes\n");
  return report.ok();
}

}  // namespace

int RunCheck(const std::string& dir, const FactTypes& types, std::ostream& out,
             std::ostream& err) {
  int code = kExitOk;
  const RuleSetBuild build = BuildOrReport(dir, types, err, &code);
  if (build.ruleset == nullptr) return code;
  const std::shared_ptr<const RuleSet>& ruleset = build.ruleset;
  out << dir << ": ok: ruleset " << ruleset->manifest.id << " version "
      << ruleset->manifest.version << ", " << ruleset->rules.size()
      << " rules, " << ruleset->catalogues.size() << " catalogues ("
      << CodeCount(*ruleset) << " codes), " << ruleset->constants.size()
      << " constants, " << ruleset->tests.size() << " test cases\n";
  if (!build.ok()) return code;
  out << dir << ": compiled: " << build.program->report.ToString() << "\n";
  return kExitOk;
}

int RunTest(const std::string& dir, const TestOptions& options,
            const FactTypes& types, std::ostream& out, std::ostream& err) {
  const bool coverage = options.coverage;
  int code = kExitOk;
  const RuleSetBuild build = BuildOrReport(dir, types, err, &code);
  if (!build.ok()) return code;
  const std::shared_ptr<const RuleSet>& ruleset = build.ruleset;
  const std::shared_ptr<const CompiledRuleSet>& program = build.program;
  RuleTestReport report = RunRuleTests(*program);
  for (const RuleTestFailure& f : report.failures) {
    out << "FAIL " << f.name << " (" << f.location.file << ":"
        << f.location.line << ")\n";
    for (const std::string& d : f.differences) out << "  - " << d << "\n";
  }
  bool uncovered = false;
  if (coverage) {
    const std::vector<std::string> rules = report.RulesNeverFired(*ruleset);
    const std::vector<std::string> unchecked =
        report.RulesWithoutNegativeCase(*ruleset);
    const std::vector<std::string> actions =
        report.ActionsNeverEmitted(*ruleset);
    const size_t total = ruleset->rules.size();
    out << "coverage: " << total - rules.size() << "/" << total
        << " rules fired, " << total - unchecked.size() << "/" << total
        << " rules shown not to fire, "
        << ruleset->policy.actions.size() - actions.size() << "/"
        << ruleset->policy.actions.size() << " actions emitted\n";
    if (!rules.empty()) PrintList(out, "rules never fired", rules);
    if (!unchecked.empty()) {
      PrintList(out, "rules no case expects not to fire", unchecked);
    }
    if (!actions.empty()) PrintList(out, "actions never emitted", actions);
    uncovered = !rules.empty() || !unchecked.empty() || !actions.empty();
  }
  out << report.passed << " passed, " << report.failed << " failed\n";
  bool generated_ok = true;
  if (!ruleset->invariants.empty()) {
    out << "invariants: " << ruleset->invariants.size() << " checked on "
        << ruleset->tests.size() << " cases (" << report.invariants_undecided
        << " undecided for want of facts)\n";
    if (options.generated > 0) {
      generated_ok = CheckGenerated(program, options, out);
    }
  }
  return report.failed > 0 || uncovered || !generated_ok ? kExitFailed
                                                         : kExitOk;
}

namespace {

// For facts of the service's message, lantern.v1.EpisodeFacts: refuses
// values that cannot be true with the service's own lines
// (ImpossibleValues), so `eval` answers nothing the service would refuse.
absl::Status CheckPossible(const std::string& fact_message,
                           const std::string& json) {
  if (fact_message != v1::EpisodeFacts::descriptor()->full_name()) {
    return absl::OkStatus();
  }
  v1::EpisodeFacts facts;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      json, &facts, google::protobuf::util::JsonParseOptions());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(std::string(parsed.message()));
  }
  const std::vector<std::string> problems = ImpossibleValues(facts);
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "; "));
}

}  // namespace

int RunEval(const std::string& rules_dir, const std::string& facts_path,
            const std::optional<std::string>& as_of_text, absl::Time now,
            const FactTypes& types, std::ostream& out, std::ostream& err) {
  absl::Time as_of = now;
  if (as_of_text.has_value() && !ParseTimestampText(*as_of_text, &as_of)) {
    err << "lantern: --as_of must be an RFC 3339 time such as "
           "2024-05-01T12:00:00Z, not '"
        << *as_of_text << "'\n";
    return kExitUsage;
  }
  std::ifstream in(facts_path, std::ios::binary);
  if (!in) {
    err << "lantern: cannot read facts file '" << facts_path << "'\n";
    return kExitUsage;
  }
  std::ostringstream json;
  json << in.rdbuf();
  int code = kExitOk;
  const RuleSetBuild build = BuildOrReport(rules_dir, types, err, &code);
  if (!build.ok()) return code;
  const RuleSet& ruleset = *build.ruleset;
  absl::StatusOr<FactRecord> facts = types.DecodeJson(
      *ruleset.schema, ruleset.manifest.fact_message, json.str());
  if (!facts.ok()) {
    err << facts_path << ": " << facts.status().message() << "\n";
    return kExitFailed;
  }
  if (absl::Status possible =
          CheckPossible(ruleset.manifest.fact_message, json.str());
      !possible.ok()) {
    err << facts_path << ": " << possible.message() << "\n";
    return kExitFailed;
  }
  absl::StatusOr<Assessment> assessment =
      AssessWithMatcher(*build.program, *facts, as_of);
  if (!assessment.ok()) {
    err << "lantern: " << assessment.status().message() << "\n";
    return kExitFailed;
  }
  absl::StatusOr<v1::Assessment> answer =
      AssessmentToProto(*assessment, {"", "", now});
  absl::StatusOr<std::string> printed =
      answer.ok() ? AssessmentJson(*answer) : answer.status();
  if (!printed.ok()) {
    err << "lantern: " << printed.status().message() << "\n";
    return kExitFailed;
  }
  out << *printed;
  return kExitOk;
}

}  // namespace lantern
