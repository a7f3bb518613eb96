// `lantern analyze`: entry point RunAnalyze (analyze_command.h).
#include "server/cli/analyze_command.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/analyze/analyzer.h"
#include "engine/lang/checker.h"
#include "engine/ruleset/loader.h"
#include "server/app/assessment_proto.h"
#include "server/app/ruleset_analysis.h"
#include "server/cli/cli.h"

namespace lantern {
namespace {

// Loads `dir` for analysis; null (diagnostics on `err`, *code set) when it
// does not load.
std::shared_ptr<const RuleSet> Load(const std::string& dir,
                                    const FactTypes& types, std::ostream& err,
                                    int* code) {
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(dir, types, "", &AssessmentVocabulary());
  if (!loaded.ok()) {
    err << "lantern: " << loaded.status().message() << "\n";
    *code = kExitUsage;
    return nullptr;
  }
  err << loaded->diagnostics.ToString();
  if (loaded->ruleset == nullptr) {
    err << dir << ": " << loaded->diagnostics.error_count() << " error(s)\n";
    *code = kExitFailed;
  }
  return loaded->ruleset;
}

}  // namespace

int RunDiff(const std::string& old_dir, const std::string& new_dir,
            const AnalyzeCommandOptions& options, absl::Time now,
            const FactTypes& types, std::ostream& out, std::ostream& err) {
  AnalysisOptions opt;
  opt.as_of = now;
  if (options.as_of.has_value() &&
      !ParseTimestampText(*options.as_of, &opt.as_of)) {
    err << "lantern: --as_of must be an RFC 3339 time such as "
           "2024-05-01T12:00:00Z, not '"
        << *options.as_of << "'\n";
    return kExitUsage;
  }
  opt.list_bound = options.list_bound;
  int code = kExitOk;
  std::shared_ptr<const RuleSet> old_rs = Load(old_dir, types, err, &code);
  if (old_rs == nullptr) return code;
  std::shared_ptr<const RuleSet> new_rs = Load(new_dir, types, err, &code);
  if (new_rs == nullptr) return code;
  opt.domain = AnalysisOptionsFor(*new_rs, opt.as_of).domain;
  absl::StatusOr<DiffReport> report =
      DiffRuleSets(*old_rs, *new_rs, opt, AnalysisDecoder(*old_rs, types),
                   AnalysisDecoder(*new_rs, types));
  if (!report.ok()) {
    err << "lantern: " << report.status().message() << "\n";
    return kExitUsage;
  }
  out << FormatDiff(*old_rs, *new_rs, *report);
  return report->HasDifferences() ? kExitFailed : kExitOk;
}

int RunAnalyze(const std::string& dir, const AnalyzeCommandOptions& options,
               absl::Time now, const FactTypes& types, std::ostream& out,
               std::ostream& err) {
  AnalysisOptions opt;
  opt.as_of = now;
  if (options.as_of.has_value() &&
      !ParseTimestampText(*options.as_of, &opt.as_of)) {
    err << "lantern: --as_of must be an RFC 3339 time such as "
           "2024-05-01T12:00:00Z, not '"
        << *options.as_of << "'\n";
    return kExitUsage;
  }
  if (options.list_bound < 0 || options.list_bound > 10) {
    err << "lantern: --list_bound must be 0..10\n";
    return kExitUsage;
  }
  opt.list_bound = options.list_bound;
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(dir, types, "", &AssessmentVocabulary());
  if (!loaded.ok()) {
    err << "lantern: " << loaded.status().message() << "\n";
    return kExitUsage;
  }
  err << loaded->diagnostics.ToString();
  if (loaded->ruleset == nullptr) {
    err << dir << ": " << loaded->diagnostics.error_count() << " error(s)\n";
    return kExitFailed;
  }
  const RuleSet& ruleset = *loaded->ruleset;
  opt.domain = AnalysisOptionsFor(ruleset, opt.as_of).domain;
  const FactsDecoder decode = AnalysisDecoder(ruleset, types);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<AnalysisReport> report = AnalyzeRuleSet(ruleset, opt, decode);
  if (!report.ok()) {
    err << "lantern: " << report.status().message() << "\n";
    return kExitFailed;
  }
  out << FormatReport(ruleset, *report);
  if (options.witnesses) {
    for (const RuleFinding& r : report->rules) {
      if (!r.witness_json.empty()) {
        out << "witness: rule " << r.rule_id << " fires: " << r.witness_json
            << "\n";
      }
    }
    for (const OutputFinding& o : report->outputs) {
      if (!o.witness_json.empty()) {
        out << "witness: " << o.kind << " " << o.name << ": " << o.witness_json
            << "\n";
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  err << "lantern analyze: " << ruleset.rules.size() << " rules analysed in "
      << seconds << " s\n";
  return report->HasFindings() ? kExitFailed : kExitOk;
}

}  // namespace lantern
