// `lantern analyze`: entry point RunAnalyze (analyze_command.h).
#include "server/cli/analyze_command.h"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/analyze/analyzer.h"
#include "engine/lang/checker.h"
#include "engine/ruleset/loader.h"
#include "lantern/v1/episode.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/auditor.h"
#include "server/app/decision_diff.h"
#include "server/app/ruleset_analysis.h"
#include "server/cli/cli.h"
#include "server/ledger/ledger.h"
#include "server/ledger/ledger_store.h"

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

// Example decision ids printed per output.
constexpr int kLedgerExamples = 5;

// The ledger part of `lantern diff`: every recorded decision under `old_rs`
// and `new_rs`. Prints the counts per output; sets *differs.
int DiffOverLedger(const RuleSet& old_rs, const RuleSet& new_rs,
                   const AnalyzeCommandOptions& options, const FactTypes& types,
                   std::ostream& out, std::ostream& err, bool* differs) {
  const std::string& path = *options.ledger;
  if (!ledger::IsPostgresLocation(path) && !std::filesystem::exists(path)) {
    err << "lantern: --ledger: no ledger at " << path << "\n";
    return kExitUsage;
  }
  ledger::LedgerOptions ledger_options;
  ledger_options.path = path;
  ledger_options.key_path = options.ledger_key;
  absl::StatusOr<std::unique_ptr<ledger::Ledger>> opened =
      ledger::Ledger::Open(ledger_options);
  if (!opened.ok()) {
    err << "lantern: --ledger: " << opened.status().message() << "\n";
    return kExitUsage;
  }
  RuleSetRegistry registry(&types, &AssessmentVocabulary(),
                           v1::EpisodeFacts::descriptor()->full_name());
  Auditor auditor(opened->get(), &registry, &types);
  // Each side loaded and compiled as a Backtest candidate is.
  auto candidate = [&](const RuleSet& rs)
      -> absl::StatusOr<std::shared_ptr<const RuleSetVersion>> {
    v1::BacktestRequest request;
    for (const SourceFile& f : rs.files) {
      v1::RuleSetFile* file = request.mutable_files()->add_files();
      file->set_path(f.path);
      file->set_content(f.content);
    }
    return auditor.BacktestCandidate(request);
  };
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> old_version =
      candidate(old_rs);
  absl::StatusOr<std::shared_ptr<const RuleSetVersion>> new_version =
      candidate(new_rs);
  if (!old_version.ok() || !new_version.ok()) {
    err << "lantern: "
        << (old_version.ok() ? new_version.status() : old_version.status())
               .message()
        << "\n";
    return kExitUsage;
  }
  OutputTally tally(kLedgerExamples);
  uint64_t failed = 0;
  std::string first_failure;
  absl::Status read = auditor.CompareVersions(
      **old_version, **new_version, absl::InfinitePast(),
      absl::InfiniteFuture(),
      [&](const std::string& id,
          const absl::StatusOr<v1::ChangeSummary>& changes) {
        if (changes.ok()) {
          tally.Add(id, *changes);
          return;
        }
        if (failed++ == 0) {
          first_failure = absl::StrCat(id, ": ", changes.status().message());
        }
      });
  if (!read.ok()) {
    err << "lantern: --ledger: " << read.message() << "\n";
    return kExitUsage;
  }
  out << "ledger " << ledger::LocationForDisplay(path) << ": "
      << tally.compared() + failed << " recorded decisions, "
      << tally.compared() << " re-evaluated under both, " << tally.differing()
      << " answered differently, " << failed << " not evaluated\n";
  for (const auto& [name, output] : tally.outputs()) {
    out << "  " << name << ": " << output.decisions << " decision"
        << (output.decisions == 1 ? "" : "s") << " ("
        << absl::StrJoin(output.examples, ", ")
        << (output.decisions > output.examples.size() ? ", ..." : "") << ")\n";
  }
  if (failed > 0) {
    out << "  not evaluated, the first: " << first_failure << "\n";
  }
  *differs = tally.differing() > 0;
  return kExitOk;
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
  bool recorded_differ = false;
  if (options.ledger.has_value()) {
    if (int code = DiffOverLedger(*old_rs, *new_rs, options, types, out, err,
                                  &recorded_differ);
        code != kExitOk) {
      return code;
    }
  }
  return report->HasDifferences() || recorded_differ ? kExitFailed : kExitOk;
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
