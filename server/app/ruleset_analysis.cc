// Entry points EpisodeDomain, AnalysisDecoder, AnalysisOptionsFor,
// AnalysisRefusals and ActivationAnalysis::Analyze (ruleset_analysis.h).
#include "server/app/ruleset_analysis.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "lantern/v1/service.pb.h"
#include "server/app/facts_validation.h"

namespace lantern {
namespace {

constexpr char kEpisodeFacts[] = "lantern.v1.EpisodeFacts";

std::string Where(const SourceLocation& l) {
  return absl::StrCat(l.file, ":", l.line, ":", l.column);
}

}  // namespace

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

FactsDecoder AnalysisDecoder(const RuleSet& ruleset, const FactTypes& types) {
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

AnalysisOptions AnalysisOptionsFor(const RuleSet& ruleset, absl::Time as_of) {
  AnalysisOptions options;
  options.as_of = as_of;
  if (ruleset.manifest.fact_message == kEpisodeFacts) {
    options.domain = EpisodeDomain();
  }
  return options;
}

std::vector<std::string> AnalysisRefusals(const AnalysisReport& report) {
  std::vector<std::string> refusals;
  for (const RuleFinding& r : report.rules) {
    if (r.kind != RuleFinding::kNeverFires) continue;
    refusals.push_back(absl::StrCat(
        "rule ", r.rule_id, " (", Where(r.location), ") can never fire",
        r.conflicts.empty()
            ? ""
            : absl::StrCat(": ", absl::StrJoin(r.conflicts, " and "))));
  }
  for (const InvariantFinding& i : report.invariants) {
    if (i.proven) continue;
    refusals.push_back(
        i.counterexample_json.empty()
            ? absl::StrCat("invariant ", i.id, " (", Where(i.location),
                           ") is not proven (the solver's counterexample is "
                           "not confirmed by the engine, or it gave no "
                           "answer)")
            : absl::StrCat("invariant ", i.id, " (", Where(i.location),
                           ") is VIOLATED: ", i.explanation,
                           "; counterexample: ", i.counterexample_json));
  }
  return refusals;
}

GateVerdict ActivationAnalysis::Analyze(const RuleSetVersion& candidate) {
  GateVerdict verdict;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(candidate.digest);
    if (it != cache_.end()) {
      ++hits_;
      verdict.analysis = it->second;
    }
  }
  if (verdict.analysis == nullptr) {
    const RuleSet& ruleset = *candidate.ruleset;
    AnalysisOptions options = AnalysisOptionsFor(ruleset, clock_());
    options.rule_witnesses = false;
    options.shadowed = false;
    absl::StatusOr<AnalysisReport> report =
        AnalyzeRuleSet(ruleset, options, AnalysisDecoder(ruleset, *types_));
    if (!report.ok()) {
      // Not in force now: nothing to analyse at this time, and no answer
      // can be given under it either; say so rather than pass it silently.
      verdict.refusals.push_back(
          absl::StrCat("cannot be analysed: ", report.status().message()));
      return verdict;
    }
    auto shared = std::make_shared<const AnalysisReport>(*std::move(report));
    absl::MutexLock lock(&mu_);
    cache_.emplace(candidate.digest, shared);
    verdict.analysis = std::move(shared);
  }
  verdict.refusals = AnalysisRefusals(*verdict.analysis);
  return verdict;
}

absl::StatusOr<DiffReport> ActivationAnalysis::Diff(
    const RuleSetVersion& active, const RuleSetVersion& candidate) const {
  const AnalysisOptions options =
      AnalysisOptionsFor(*candidate.ruleset, clock_());
  return DiffRuleSets(*active.ruleset, *candidate.ruleset, options,
                      AnalysisDecoder(*active.ruleset, *types_),
                      AnalysisDecoder(*candidate.ruleset, *types_));
}

int64_t ActivationAnalysis::cache_hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

}  // namespace lantern
