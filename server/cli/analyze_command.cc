// `lantern analyze`: entry point RunAnalyze (analyze_command.h).
#include "server/cli/analyze_command.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/analyze/analyzer.h"
#include "engine/lang/checker.h"
#include "engine/ruleset/loader.h"
#include "google/protobuf/util/json_util.h"
#include "lantern/v1/service.pb.h"
#include "server/app/assessment_proto.h"
#include "server/app/facts_validation.h"
#include "server/cli/cli.h"

namespace lantern {
namespace {

constexpr char kEpisodeFacts[] = "lantern.v1.EpisodeFacts";

// What the service's validation allows (server/app/facts_validation.h), as
// the analysis's domain, so that its episodes are valid requests.
AnalysisDomain EpisodeDomain() {
  AnalysisDomain d;
  d.int_ranges = {{"child.age_years", 0, 25},
                  {"episode.found.with.people.age_years", 0, 120},
                  {"episode.whereabouts.with.people.age_years", 0, 120}};
  d.time_orders = {
      {"episode.reported_at", "episode.found_at"},
      {"episode.last_seen_at", "episode.found_at"},
      {"child.date_of_birth", "episode.reported_at"},
      {"child.date_of_birth", "episode.last_seen_at"},
      {"child.date_of_birth", "child.arrived_in_uk_at"},
      {"child.arrived_in_uk_at", "episode.reported_at"},
      {"child.nrm_referral.referred_at", "child.nrm_referral.decision_at"},
      {"history.episodes.recorded.reported_at", "episode.reported_at", true},
      {"history.episodes.recorded.reported_at",
       "history.episodes.recorded.found_at"},
  };
  for (const char* t :
       {"last_contact_at", "last_sighting_at", "phone_last_active_at"}) {
    const std::string path = absl::StrCat("episode.contact.", t);
    d.time_orders.push_back({"episode.last_seen_at", path});
    d.time_orders.push_back({path, "episode.found_at"});
  }
  for (const char* t :
       {"prevention_interview_at", "return_home_interview_offered_at",
        "return_home_interview_completed_at",
        "return_home_interview_refused_at"}) {
    d.time_orders.push_back(
        {"episode.found_at", absl::StrCat("episode.interviews.", t)});
  }
  const std::string rhi = "episode.interviews.return_home_interview_";
  d.enum_when_set = {
      {rhi + "completed_at",
       rhi + "status",
       {"RETURN_HOME_INTERVIEW_STATUS_UNSPECIFIED", "COMPLETED"}},
      {rhi + "refused_at",
       rhi + "status",
       {"RETURN_HOME_INTERVIEW_STATUS_UNSPECIFIED", "DECLINED"}},
  };
  return d;
}

// Facts as a request's: for lantern.v1.EpisodeFacts through the service's
// validation; otherwise the FactTypes' decoding.
FactsDecoder DecoderFor(const RuleSet& ruleset, const FactTypes& types) {
  if (ruleset.manifest.fact_message == kEpisodeFacts) {
    return [&ruleset](const std::string& json) -> absl::StatusOr<FactRecord> {
      v1::AssessRequest request;
      google::protobuf::util::JsonParseOptions parse;
      const auto status = google::protobuf::util::JsonStringToMessage(
          absl::StrCat("{\"facts\": ", json, "}"), &request, parse);
      if (!status.ok()) {
        return absl::InvalidArgumentError(std::string(status.message()));
      }
      return ValidateAndDecodeFacts(request, ruleset, RequestLimits{});
    };
  }
  return [&ruleset, &types](const std::string& json) {
    return types.DecodeJson(*ruleset.schema, ruleset.manifest.fact_message,
                            json);
  };
}

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
  if (new_rs->manifest.fact_message == kEpisodeFacts) {
    opt.domain = EpisodeDomain();
  }
  absl::StatusOr<DiffReport> report =
      DiffRuleSets(*old_rs, *new_rs, opt, DecoderFor(*old_rs, types),
                   DecoderFor(*new_rs, types));
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
  if (ruleset.manifest.fact_message == kEpisodeFacts) {
    opt.domain = EpisodeDomain();
  }
  const FactsDecoder decode = DecoderFor(ruleset, types);
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
