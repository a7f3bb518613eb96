// AssessmentProto: entry points AssessmentVocabulary (read once from the
// enum descriptors), AssessmentToProto (one function per part of the
// answer, names mapped to enums by their generated _Parse functions) and
// AssessmentJson (protobuf's JSON printer with fixed options).
#include "server/assessment_proto.h"

#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace lantern {
namespace {

using ::google::protobuf::EnumDescriptor;

constexpr char kNrmPrompt[] = "nrm";
constexpr char kConsentFinding[] = "consent_not_required";
constexpr char kRouteFinding[] = "referral_route";

std::vector<std::string> ValueNames(const EnumDescriptor* e) {
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != 0) names.push_back(e->value(i)->name());
  }
  return names;
}

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) /
                                      absl::Nanoseconds(1)));
}

v1::Truth TruthOf(Truth truth) {
  switch (truth) {
    case Truth::kFalse:
      return v1::TRUTH_FALSE;
    case Truth::kTrue:
      return v1::TRUTH_TRUE;
    case Truth::kUnknown:
      return v1::TRUTH_UNKNOWN;
    case Truth::kError:
      return v1::TRUTH_ERROR;
  }
  return v1::TRUTH_UNSPECIFIED;
}

// Maps a ruleset name to its enum value with a generated _Parse function;
// an empty name is the zero value.
template <typename Enum>
absl::Status ParseName(bool (*parse)(const std::string&, Enum*),
                       const std::string& what, const std::string& name,
                       Enum* out) {
  if (name.empty()) {
    *out = static_cast<Enum>(0);
    return absl::OkStatus();
  }
  if (!parse(name, out) || static_cast<int>(*out) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the ruleset's ", what, " '", name, "' has no value in the answer"));
  }
  return absl::OkStatus();
}

void AddEvidence(const std::vector<AtomEvidence>& from,
                 google::protobuf::RepeatedPtrField<v1::Evidence>* to) {
  for (const AtomEvidence& atom : from) {
    v1::Evidence* e = to->Add();
    e->set_condition(atom.condition);
    e->set_truth(TruthOf(atom.truth));
    for (const FactReading& r : atom.readings) {
      v1::FactValue* fact = e->add_facts();
      fact->set_path(r.path);
      fact->set_value(r.value);
    }
  }
}

absl::Status AddGrade(const GradeOutcome& from, v1::GradeOutcome* to) {
  v1::RiskGrade grade, band, highest;
  absl::Status s = ParseName(v1::RiskGrade_Parse, "grade", from.grade, &grade);
  if (s.ok())
    s = ParseName(v1::RiskGrade_Parse, "grade", from.band_grade, &band);
  if (s.ok())
    s = ParseName(v1::RiskGrade_Parse, "grade", from.highest_possible,
                  &highest);
  if (!s.ok()) return s;
  to->set_grade(grade);
  to->set_band_grade(band);
  to->set_total_score(from.total_score);
  for (const std::string& id : from.floor_rule_ids) to->add_floor_rules(id);
  to->set_highest_possible(highest);
  for (const std::string& id : from.raising_rule_ids) {
    to->add_raising_rules(id);
  }
  return absl::OkStatus();
}

absl::Status AddConcern(const ConcernOutcome& from, v1::Assessment* to) {
  v1::Concern concern;
  v1::ConcernOutcome::Level level, highest;
  absl::Status s = ParseName(v1::Concern_Parse, "concern", from.name, &concern);
  if (s.ok()) {
    s = ParseName(v1::ConcernOutcome::Level_Parse, "level", from.level, &level);
  }
  if (s.ok()) {
    s = ParseName(v1::ConcernOutcome::Level_Parse, "level",
                  from.highest_possible_level, &highest);
  }
  if (!s.ok()) return s;
  v1::ConcernOutcome* c = to->add_concerns();
  c->set_concern(concern);
  c->set_level(level);
  c->set_score(from.score);
  for (const std::string& id : from.rule_ids) c->add_rules(id);
  c->set_highest_possible_level(highest);
  return absl::OkStatus();
}

const FiredRule* FindFired(const Assessment& a, const std::string& id) {
  for (const FiredRule& r : a.fired) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

void AddFinding(const FindingOutcome& from, v1::Prompt* to) {
  v1::Finding* f = to->add_findings();
  f->set_name(from.name);
  f->set_title(from.title);
  f->set_truth(TruthOf(from.truth));
  AddEvidence(from.conditions, f->mutable_evidence());
  for (const std::string& p : from.unknown_paths) f->add_unknown_facts(p);
  f->set_cite(from.cite);
}

void FillPrompt(const Assessment& a, const PromptOutcome& from,
                v1::Prompt* to) {
  to->set_name(from.name);
  to->set_title(from.title);
  to->set_raised(from.raised);
  to->set_truth(TruthOf(from.truth));
  for (const std::string& id : from.rule_ids) {
    v1::RuleRef* reason = to->add_reasons();
    reason->set_id(id);
    if (const FiredRule* rule = FindFired(a, id)) {
      reason->set_title(rule->title);
      reason->set_cite(rule->cite);
    }
  }
  AddEvidence(from.conditions, to->mutable_evidence());
  for (const std::string& p : from.unknown_paths) to->add_unknown_facts(p);
  for (const FindingOutcome& f : from.findings) AddFinding(f, to);
  to->set_error(from.error);
  to->set_cite(from.cite);
}

void FillNrm(const Assessment& a, const PromptOutcome& from,
             v1::NrmPrompt* to) {
  FillPrompt(a, from, to->mutable_prompt());
  for (const FindingOutcome& f : from.findings) {
    if (f.name == kRouteFinding) to->set_referral_route(f.title);
    if (f.name != kConsentFinding) continue;
    to->set_consent_basis(f.title);
    if (f.truth == Truth::kTrue) {
      to->set_consent(v1::NrmPrompt::CONSENT_NOT_REQUIRED);
    } else if (f.truth == Truth::kFalse) {
      to->set_consent(v1::NrmPrompt::CONSENT_REQUIRED);
    }
  }
}

void AddAction(const ActionOutcome& from, v1::Assessment* to) {
  v1::Action* action = to->add_actions();
  action->set_code(from.code);
  action->set_title(from.title);
  action->set_owner_agency(from.owner);
  if (from.due_by.has_value()) SetTime(*from.due_by, action->mutable_due_by());
  action->set_overdue(from.overdue);
  for (const std::string& p : from.due_unknown_paths) {
    action->add_due_unknown_facts(p);
  }
  for (const std::string& t : from.triggered_by) action->add_triggered_by(t);
  action->set_cite(from.cite);
  action->set_due_error(from.due_error);
}

void AddCode(const RecordedCode& from, v1::Assessment* to) {
  v1::RecordedCode* code =
      from.catalogue == "PUSH_FACTORS"   ? to->add_push_factors()
      : from.catalogue == "PULL_FACTORS" ? to->add_pull_factors()
                                         : to->add_indicators();
  code->set_code(from.code);
  code->set_catalogue(from.catalogue);
  code->set_description(from.description);
  code->set_source(from.source);
  code->set_path(from.path);
}

absl::Status AddFiredRule(const FiredRule& from, v1::Assessment* to) {
  v1::Concern concern;
  v1::RiskGrade floor;
  absl::Status s =
      ParseName(v1::Concern_Parse, "concern", from.concern, &concern);
  if (s.ok()) {
    s = ParseName(v1::RiskGrade_Parse, "grade", from.grade_floor, &floor);
  }
  if (!s.ok()) return s;
  v1::FiredRule* rule = to->add_fired_rules();
  rule->set_id(from.id);
  rule->set_title(from.title);
  rule->set_concern(concern);
  rule->set_score(from.score);
  rule->set_grade_floor(floor);
  AddEvidence(from.evidence, rule->mutable_evidence());
  rule->set_cite(from.cite);
  return absl::OkStatus();
}

// Every unset fact that would decide a rule, prompt, finding or deadline.
void AddUnknownFacts(const Assessment& a, v1::Assessment* to) {
  std::map<std::string, std::vector<std::string>> decides;
  for (const BlockedRule& r : a.blocked) {
    for (const std::string& p : r.unknown_paths) decides[p].push_back(r.id);
  }
  for (const PromptOutcome& prompt : a.prompts) {
    const std::string name = absl::StrCat("prompt:", prompt.name);
    for (const std::string& p : prompt.unknown_paths) {
      decides[p].push_back(name);
    }
    for (const FindingOutcome& f : prompt.findings) {
      for (const std::string& p : f.unknown_paths) {
        decides[p].push_back(absl::StrCat(name, "/", f.name));
      }
    }
  }
  for (const ActionOutcome& action : a.actions) {
    for (const std::string& p : action.due_unknown_paths) {
      decides[p].push_back(absl::StrCat("action:", action.code));
    }
  }
  for (auto& [path, what] : decides) {
    v1::UnknownFact* fact = to->add_unknown_facts();
    fact->set_path(path);
    for (const std::string& w : what) fact->add_decides(w);
  }
}

void AddRulesNotFired(const Assessment& a, v1::Assessment* to) {
  for (const BlockedRule& r : a.blocked) {
    v1::BlockedRule* b = to->add_blocked_rules();
    b->set_id(r.id);
    b->set_title(r.title);
    for (const std::string& p : r.unknown_paths) b->add_unknown_facts(p);
  }
  for (const ErroredRule& r : a.errored) {
    v1::ErroredRule* e = to->add_errored_rules();
    e->set_id(r.id);
    e->set_title(r.title);
    e->set_error(r.error);
  }
}

absl::Status AddOutcomes(const Assessment& a, v1::Assessment* to) {
  absl::Status s = AddGrade(a.grade, to->mutable_grade());
  for (const ConcernOutcome& c : a.concerns) {
    if (s.ok()) s = AddConcern(c, to);
  }
  for (const FiredRule& r : a.fired) {
    if (s.ok()) s = AddFiredRule(r, to);
  }
  return s;
}

}  // namespace

const PolicyVocabulary& AssessmentVocabulary() {
  static const PolicyVocabulary* const vocabulary = [] {
    auto* v = new PolicyVocabulary;
    v->grades = ValueNames(v1::RiskGrade_descriptor());
    v->levels = ValueNames(v1::ConcernOutcome::Level_descriptor());
    v->concerns = ValueNames(v1::Concern_descriptor());
    v->findings.push_back({kNrmPrompt, {kConsentFinding, kRouteFinding}});
    return v;
  }();
  return *vocabulary;
}

absl::Status AssessmentToProto(const Assessment& a, const DecisionStamp& stamp,
                               v1::Assessment* out_ptr) {
  v1::Assessment& out = *out_ptr;
  out.set_decision_id(stamp.decision_id);
  out.mutable_ruleset()->set_id(a.ruleset_id);
  out.mutable_ruleset()->set_version(a.ruleset_version);
  out.mutable_ruleset()->set_digest(stamp.ruleset_digest);
  SetTime(stamp.evaluated_at, out.mutable_evaluated_at());
  SetTime(a.as_of, out.mutable_as_of());
  absl::Status s = AddOutcomes(a, &out);
  if (!s.ok()) return s;
  for (const PromptOutcome& p : a.prompts) {
    if (p.name == kNrmPrompt) {
      FillNrm(a, p, out.mutable_nrm());
    } else {
      FillPrompt(a, p, out.add_prompts());
    }
  }
  for (const ActionOutcome& action : a.actions) AddAction(action, &out);
  for (const RecordedCode& code : a.codes) AddCode(code, &out);
  for (const std::string& flag : a.flags) out.add_flags(flag);
  AddRulesNotFired(a, &out);
  AddUnknownFacts(a, &out);
  return absl::OkStatus();
}

absl::StatusOr<v1::Assessment> AssessmentToProto(const Assessment& a,
                                                 const DecisionStamp& stamp) {
  v1::Assessment out;
  absl::Status status = AssessmentToProto(a, stamp, &out);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::string> AssessmentJson(const v1::Assessment& assessment) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(assessment, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot print the assessment as JSON: ",
        absl::string_view(status.message().data(), status.message().size())));
  }
  if (json.empty() || json.back() != '\n') json.push_back('\n');
  return json;
}

}  // namespace lantern
