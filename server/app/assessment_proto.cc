// AssessmentProto: entry points AssessmentVocabulary (read once from the
// enum descriptors), AssessmentToProto (one function per part of the
// answer, names mapped to enums by their generated _Parse functions) and
// AssessmentJson (protobuf's JSON printer with fixed options).
#include "server/app/assessment_proto.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
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

v1::Prompt::Answer AnswerOf(PromptAnswer answer) {
  switch (answer) {
    case PromptAnswer::kRaise:
      return v1::Prompt::RAISE;
    case PromptAnswer::kConsider:
      return v1::Prompt::CONSIDER;
    case PromptAnswer::kNotRaised:
      return v1::Prompt::NOT_RAISED;
  }
  return v1::Prompt::ANSWER_UNSPECIFIED;
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

// Strings move from the Assessment into the answer (no copy of their text).
void AddStrings(std::vector<std::string>* from,
                google::protobuf::RepeatedPtrField<std::string>* to) {
  to->Reserve(static_cast<int>(from->size()));
  for (std::string& s : *from) to->Add(std::move(s));
}

void AddEvidence(std::vector<AtomEvidence>* from,
                 google::protobuf::RepeatedPtrField<v1::Evidence>* to) {
  to->Reserve(static_cast<int>(from->size()));
  for (AtomEvidence& atom : *from) {
    v1::Evidence* e = to->Add();
    e->set_condition(std::move(atom.condition));
    e->set_truth(TruthOf(atom.truth));
    e->mutable_facts()->Reserve(static_cast<int>(atom.readings.size()));
    for (FactReading& r : atom.readings) {
      v1::FactValue* fact = e->add_facts();
      fact->set_path(std::move(r.path));
      fact->set_value(std::move(r.value));
    }
  }
}

// For DECISION without the raising rules.
absl::Status AddGrade(GradeOutcome* from_ptr, v1::GradeOutcome* to,
                      bool decision) {
  GradeOutcome& from = *from_ptr;
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
  AddStrings(&from.floor_rule_ids, to->mutable_floor_rules());
  to->set_highest_possible(highest);
  if (!decision) {
    AddStrings(&from.raising_rule_ids, to->mutable_raising_rules());
  }
  return absl::OkStatus();
}

// For DECISION without the rules and raising rules.
absl::Status AddConcern(ConcernOutcome* from_ptr, v1::Assessment* to,
                        bool decision) {
  ConcernOutcome& from = *from_ptr;
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
  if (!decision) AddStrings(&from.rule_ids, c->mutable_rules());
  AddStrings(&from.floor_ids, c->mutable_floors());
  c->set_highest_possible_level(highest);
  if (decision) return absl::OkStatus();
  for (const std::string& id : from.raising_rule_ids) c->add_raising_rules(id);
  return absl::OkStatus();
}

const FiredRule* FindFired(const Assessment& a, const std::string& id) {
  for (const FiredRule& r : a.fired) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

// Copies the strings that FillNrm and AddUnknownFacts read afterwards.
void AddFinding(FindingOutcome* from_ptr, v1::Prompt* to) {
  FindingOutcome& from = *from_ptr;
  v1::Finding* f = to->add_findings();
  f->set_name(from.name);
  f->set_title(from.title);
  f->set_truth(TruthOf(from.truth));
  AddEvidence(&from.conditions, f->mutable_evidence());
  for (const std::string& p : from.unknown_paths) f->add_unknown_facts(p);
  f->set_cite(std::move(from.cite));
}

// Copies the strings that AddUnknownFacts reads afterwards. For DECISION
// without title, reasons, evidence, findings or cite (assessment.proto
// View).
void FillPrompt(const Assessment& a, PromptOutcome* from_ptr, v1::Prompt* to,
                bool decision) {
  PromptOutcome& from = *from_ptr;
  to->set_name(from.name);
  if (!decision) to->set_title(std::move(from.title));
  to->set_raised(from.raised);
  to->set_truth(TruthOf(from.truth));
  to->set_answer(AnswerOf(from.answer));
  if (decision) {
    for (const std::string& p : from.unknown_paths) to->add_unknown_facts(p);
    to->set_error(std::move(from.error));
    return;
  }
  for (const std::string& id : from.rule_ids) {
    v1::RuleRef* reason = to->add_reasons();
    reason->set_id(id);
    if (const FiredRule* rule = FindFired(a, id)) {
      reason->set_title(rule->title);
      reason->set_cite(rule->cite);
    }
  }
  AddEvidence(&from.conditions, to->mutable_evidence());
  for (const std::string& p : from.unknown_paths) to->add_unknown_facts(p);
  for (FindingOutcome& f : from.findings) AddFinding(&f, to);
  to->set_error(std::move(from.error));
  to->set_cite(std::move(from.cite));
}

// For DECISION the consent without its basis, and no route.
void FillNrm(const Assessment& a, PromptOutcome* from, v1::NrmPrompt* to,
             bool decision) {
  FillPrompt(a, from, to->mutable_prompt(), decision);
  for (const FindingOutcome& f : from->findings) {
    if (f.name == kRouteFinding && !decision) {
      to->set_referral_route(f.title);
    }
    if (f.name != kConsentFinding) continue;
    if (!decision) to->set_consent_basis(f.title);
    if (f.truth == Truth::kTrue) {
      to->set_consent(v1::NrmPrompt::CONSENT_NOT_REQUIRED);
    } else if (f.truth == Truth::kFalse) {
      to->set_consent(v1::NrmPrompt::CONSENT_REQUIRED);
    }
  }
}

// Copies the strings that AddUnknownFacts reads afterwards. For DECISION
// without title, owner, cite or triggers.
void AddAction(ActionOutcome* from_ptr, v1::Action* action, bool decision) {
  ActionOutcome& from = *from_ptr;
  action->set_code(from.code);
  if (!decision) {
    action->set_title(std::move(from.title));
    action->set_owner_agency(std::move(from.owner));
  }
  if (from.due_by.has_value()) SetTime(*from.due_by, action->mutable_due_by());
  action->set_overdue(from.overdue);
  for (const std::string& p : from.due_unknown_paths) {
    action->add_due_unknown_facts(p);
  }
  if (!decision) {
    AddStrings(&from.triggered_by, action->mutable_triggered_by());
    action->set_cite(std::move(from.cite));
  }
  action->set_due_error(std::move(from.due_error));
  for (const std::string& p : from.unknown_paths) action->add_unknown_facts(p);
}

void AddCode(RecordedCode* from_ptr, v1::Assessment* to) {
  RecordedCode& from = *from_ptr;
  v1::RecordedCode* code =
      from.catalogue == "PUSH_FACTORS"   ? to->add_push_factors()
      : from.catalogue == "PULL_FACTORS" ? to->add_pull_factors()
                                         : to->add_indicators();
  code->set_code(std::move(from.code));
  code->set_catalogue(std::move(from.catalogue));
  code->set_description(std::move(from.description));
  code->set_source(std::move(from.source));
  code->set_path(std::move(from.path));
}

absl::Status AddFiredRule(FiredRule* from_ptr, v1::Assessment* to,
                          bool decision) {
  FiredRule& from = *from_ptr;
  v1::Concern concern;
  v1::RiskGrade floor;
  absl::Status s =
      ParseName(v1::Concern_Parse, "concern", from.concern, &concern);
  if (s.ok()) {
    s = ParseName(v1::RiskGrade_Parse, "grade", from.grade_floor, &floor);
  }
  if (!s.ok()) return s;
  v1::FiredRule* rule = to->add_fired_rules();
  rule->set_id(std::move(from.id));
  rule->set_title(std::move(from.title));
  rule->set_concern(concern);
  rule->set_score(from.score);
  rule->set_grade_floor(floor);
  if (!decision) {
    AddEvidence(&from.evidence, rule->mutable_evidence());
    rule->set_cite(std::move(from.cite));
  }
  return absl::OkStatus();
}

// One (unset path, what it would decide) pair: `what` an UnknownFactsIndex
// id.
struct Decides {
  absl::string_view path;
  int32_t what;
};

// Adds every path of `paths` deciding `what`; false when `what` is not in
// the index (-1).
bool AddPaths(const std::vector<std::string>& paths, int32_t what,
              std::vector<Decides>* decides) {
  if (what < 0) return false;
  for (const std::string& p : paths) decides->push_back({p, what});
  return true;
}

// The unknown paths of the blocked rules in `rule_ids` (sorted), each
// deciding `what`.
bool AddFactsOf(const Assessment& a, const std::vector<std::string>& rule_ids,
                int32_t what, std::vector<Decides>* decides) {
  if (rule_ids.empty()) return true;
  for (const BlockedRule& r : a.blocked) {
    if (!std::binary_search(rule_ids.begin(), rule_ids.end(), r.id)) continue;
    if (!AddPaths(r.unknown_paths, what, decides)) return false;
  }
  return true;
}

// The facts that could raise the grade ("grade") or a concern's level
// ("concern:<NAME>"): those of the blocked rules that could.
bool AddRaisingFacts(const Assessment& a, const UnknownFactsIndex& index,
                     std::string* key, std::vector<Decides>* decides) {
  bool ok = AddFactsOf(a, a.grade.raising_rule_ids, index.Grade(), decides);
  for (const ConcernOutcome& c : a.concerns) {
    if (ok && !c.raising_rule_ids.empty()) {
      ok = AddFactsOf(a, c.raising_rule_ids,
                      index.Find("concern:", c.name, nullptr, key), decides);
    }
  }
  return ok;
}

// Every entry of the answer's unknown facts in the order collected: the
// blocked rules', prompts' (and findings'), deadlines', actions to
// consider's, then the raising facts'. With `raising_only` only the last
// (DECISION's). False when the index lacks a name the assessment uses.
bool CollectDecides(const Assessment& a, const UnknownFactsIndex& index,
                    bool raising_only, std::vector<Decides>* decides) {
  std::string key;  // reused by every lookup
  bool ok = true;
  if (!raising_only) {
    for (const BlockedRule& r : a.blocked) {
      if (ok && !r.unknown_paths.empty()) {
        ok = AddPaths(r.unknown_paths, index.Find("", r.id, nullptr, &key),
                      decides);
      }
    }
    for (const PromptOutcome& prompt : a.prompts) {
      if (ok && !prompt.unknown_paths.empty()) {
        ok = AddPaths(prompt.unknown_paths,
                      index.Find("prompt:", prompt.name, nullptr, &key),
                      decides);
      }
      for (const FindingOutcome& f : prompt.findings) {
        if (ok && !f.unknown_paths.empty()) {
          ok = AddPaths(f.unknown_paths,
                        index.Find("prompt:", prompt.name, &f.name, &key),
                        decides);
        }
      }
    }
    for (const ActionOutcome& action : a.actions) {
      if (ok && !action.due_unknown_paths.empty()) {
        ok = AddPaths(action.due_unknown_paths,
                      index.Find("action:", action.code, nullptr, &key),
                      decides);
      }
    }
    for (const ActionOutcome& action : a.actions_to_consider) {
      if (!ok) break;
      if (action.unknown_paths.empty() && action.due_unknown_paths.empty()) {
        continue;
      }
      const int32_t what = index.Find("action:", action.code, nullptr, &key);
      ok = AddPaths(action.unknown_paths, what, decides) &&
           AddPaths(action.due_unknown_paths, what, decides);
    }
  }
  return ok && AddRaisingFacts(a, index, &key, decides);
}

// Every unset fact that would decide a rule, prompt, finding, deadline,
// action to consider, the grade or a concern's level: by path, and for each
// path in the order collected (a stable sort), each thing once. With
// `raising_only` (DECISION) only the facts that could raise the grade or a
// concern's level, each with only those ("grade", "concern:<NAME>").
void AddUnknownFacts(const Assessment& a, const UnknownFactsIndex* given,
                     bool raising_only, v1::Assessment* to) {
  std::vector<Decides> decides;
  std::optional<UnknownFactsIndex> own;
  const UnknownFactsIndex* index = given;
  if (index == nullptr || !CollectDecides(a, *index, raising_only, &decides)) {
    // No index, or one of another ruleset: the names of this answer's own.
    decides.clear();
    index = &own.emplace(a);
    CollectDecides(a, *index, raising_only, &decides);
  }
  if (decides.empty()) return;
  std::stable_sort(
      decides.begin(), decides.end(),
      [](const Decides& x, const Decides& y) { return x.path < y.path; });
  v1::UnknownFact* fact = nullptr;
  std::vector<int32_t> listed;  // of `fact`
  for (const Decides& d : decides) {
    if (fact == nullptr || fact->path() != d.path) {
      fact = to->add_unknown_facts();
      fact->set_path(std::string(d.path));
      listed.clear();
    }
    // One entry per thing decided (a fact may block two raising rules).
    if (std::find(listed.begin(), listed.end(), d.what) != listed.end()) {
      continue;
    }
    listed.push_back(d.what);
    fact->add_decides(index->What(d.what));
  }
}

// The blocked rules only for FULL; the errored ones always.
void AddRulesNotFired(Assessment* a, bool full, v1::Assessment* to) {
  if (full) {
    to->mutable_blocked_rules()->Reserve(static_cast<int>(a->blocked.size()));
    for (BlockedRule& r : a->blocked) {
      v1::BlockedRule* b = to->add_blocked_rules();
      b->set_id(std::move(r.id));
      b->set_title(std::move(r.title));
      AddStrings(&r.unknown_paths, b->mutable_unknown_facts());
    }
  }
  for (ErroredRule& r : a->errored) {
    v1::ErroredRule* e = to->add_errored_rules();
    e->set_id(std::move(r.id));
    e->set_title(std::move(r.title));
    e->set_error(std::move(r.error));
  }
}

absl::Status AddOutcomes(Assessment* a, bool decision, v1::Assessment* to) {
  absl::Status s = AddGrade(&a->grade, to->mutable_grade(), decision);
  for (ConcernOutcome& c : a->concerns) {
    if (s.ok()) s = AddConcern(&c, to, decision);
  }
  to->mutable_fired_rules()->Reserve(static_cast<int>(a->fired.size()));
  for (FiredRule& r : a->fired) {
    if (s.ok()) s = AddFiredRule(&r, to, decision);
  }
  return s;
}

}  // namespace

UnknownFactsIndex::UnknownFactsIndex(const RuleSet& ruleset) {
  std::string key;
  Intern("", "grade", nullptr, &key);
  for (const ConcernDef& c : ruleset.policy.concerns) {
    Intern("concern:", c.name, nullptr, &key);
  }
  for (const Rule& r : ruleset.rules) Intern("", r.id, nullptr, &key);
  for (const PromptDef& p : ruleset.policy.prompts) {
    Intern("prompt:", p.name, nullptr, &key);
    for (const PromptFinding& f : p.findings) {
      Intern("prompt:", p.name, &f.name, &key);
    }
  }
  for (const ActionDef& action : ruleset.policy.actions) {
    Intern("action:", action.code, nullptr, &key);
  }
}

UnknownFactsIndex::UnknownFactsIndex(const Assessment& a) {
  std::string key;
  Intern("", "grade", nullptr, &key);
  for (const ConcernOutcome& c : a.concerns) {
    Intern("concern:", c.name, nullptr, &key);
  }
  for (const BlockedRule& r : a.blocked) Intern("", r.id, nullptr, &key);
  for (const PromptOutcome& p : a.prompts) {
    Intern("prompt:", p.name, nullptr, &key);
    for (const FindingOutcome& f : p.findings) {
      Intern("prompt:", p.name, &f.name, &key);
    }
  }
  for (const auto* actions : {&a.actions, &a.actions_to_consider}) {
    for (const ActionOutcome& action : *actions) {
      Intern("action:", action.code, nullptr, &key);
    }
  }
}

namespace {

void WhatKey(absl::string_view prefix, absl::string_view name,
             const std::string* sub, std::string* key) {
  key->assign(prefix.data(), prefix.size());
  key->append(name.data(), name.size());
  if (sub != nullptr) {
    key->push_back('/');
    key->append(*sub);
  }
}

}  // namespace

int32_t UnknownFactsIndex::Intern(absl::string_view prefix,
                                  absl::string_view name,
                                  const std::string* sub, std::string* key) {
  WhatKey(prefix, name, sub, key);
  const auto [it, added] =
      ids_.try_emplace(*key, static_cast<int32_t>(what_.size()));
  if (added) what_.push_back(*key);
  return it->second;
}

int32_t UnknownFactsIndex::Find(absl::string_view prefix,
                                absl::string_view name, const std::string* sub,
                                std::string* key) const {
  WhatKey(prefix, name, sub, key);
  const auto it = ids_.find(*key);
  return it == ids_.end() ? -1 : it->second;
}

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

// The parts are added in an order that lets each move the strings no later
// part reads: prompts read the fired rules' titles and cites, and the
// unknown facts read the paths of blocked rules, prompts and actions. The
// order of the calls does not change the answer: each fills its own fields.
absl::Status AssessmentToProto(Assessment a, const DecisionStamp& stamp,
                               v1::Assessment* out_ptr, v1::View view,
                               const UnknownFactsIndex* unknown_facts) {
  v1::Assessment& out = *out_ptr;
  const bool decision = view == v1::DECISION;
  out.set_decision_id(stamp.decision_id);
  out.mutable_ruleset()->set_id(std::move(a.ruleset_id));
  out.mutable_ruleset()->set_version(std::move(a.ruleset_version));
  out.mutable_ruleset()->set_digest(stamp.ruleset_digest);
  SetTime(stamp.evaluated_at, out.mutable_evaluated_at());
  SetTime(a.as_of, out.mutable_as_of());
  for (PromptOutcome& p : a.prompts) {
    if (p.name == kNrmPrompt) {
      FillNrm(a, &p, out.mutable_nrm(), decision);
    } else {
      FillPrompt(a, &p, out.add_prompts(), decision);
    }
  }
  for (ActionOutcome& action : a.actions) {
    AddAction(&action, out.add_actions(), decision);
  }
  for (ActionOutcome& action : a.actions_to_consider) {
    AddAction(&action, out.add_actions_to_consider(), decision);
  }
  AddUnknownFacts(a, unknown_facts, /*raising_only=*/decision, &out);
  absl::Status s = AddOutcomes(&a, decision, &out);
  if (!s.ok()) return s;
  if (!decision) {
    for (RecordedCode& code : a.codes) AddCode(&code, &out);
  }
  AddStrings(&a.flags, out.mutable_flags());
  AddRulesNotFired(&a, /*full=*/view == v1::FULL, &out);
  return absl::OkStatus();
}

absl::StatusOr<v1::Assessment> AssessmentToProto(Assessment a,
                                                 const DecisionStamp& stamp) {
  v1::Assessment out;
  absl::Status status = AssessmentToProto(std::move(a), stamp, &out);
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
