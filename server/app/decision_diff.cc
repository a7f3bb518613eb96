// DecisionDiff: MessageDifferencer with repeated message fields compared as
// maps by their key field, and a reporter that turns its field paths into
// key-named paths by walking both messages alongside.
#include "server/app/decision_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace lantern {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::util::MessageDifferencer;
using SpecificField = MessageDifferencer::SpecificField;

// Repeated message fields compared as maps: (message, field, key field).
struct MapField {
  const Descriptor* message;
  const char* field;
  const char* key;
};

const std::vector<MapField>& MapFields() {
  static const auto* fields = new std::vector<MapField>{
      {v1::Assessment::descriptor(), "concerns", "concern"},
      {v1::Assessment::descriptor(), "prompts", "name"},
      {v1::Assessment::descriptor(), "actions", "code"},
      {v1::Assessment::descriptor(), "actions_to_consider", "code"},
      {v1::Assessment::descriptor(), "push_factors", "path"},
      {v1::Assessment::descriptor(), "pull_factors", "path"},
      {v1::Assessment::descriptor(), "indicators", "path"},
      {v1::Assessment::descriptor(), "fired_rules", "id"},
      {v1::Assessment::descriptor(), "blocked_rules", "id"},
      {v1::Assessment::descriptor(), "unknown_facts", "path"},
      {v1::Assessment::descriptor(), "errored_rules", "id"},
      {v1::Prompt::descriptor(), "findings", "name"},
  };
  return *fields;
}

// The key field of a repeated field compared as a map; null otherwise.
const FieldDescriptor* KeyOf(const FieldDescriptor* field) {
  for (const MapField& m : MapFields()) {
    if (field->containing_type() == m.message && field->name() == m.field) {
      return m.message->FindFieldByName(m.field)
          ->message_type()
          ->FindFieldByName(m.key);
    }
  }
  return nullptr;
}

// A singular field's or one repeated element's value, in text format.
std::string ValueText(const Message& parent, const FieldDescriptor* field,
                      int index) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  printer.PrintFieldValueToString(parent, field,
                                  field->is_repeated() ? index : -1, &text);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// "[CSE]" for a concern, "[id=x]" for other keyed elements, "[3]" otherwise.
std::string ElementLabel(const FieldDescriptor* field, const Message& element,
                         int index) {
  const FieldDescriptor* key = KeyOf(field);
  if (key == nullptr) return absl::StrCat("[", index, "]");
  const Reflection* r = element.GetReflection();
  if (key->type() == FieldDescriptor::TYPE_ENUM) {
    return absl::StrCat("[", r->GetEnum(element, key)->name(), "]");
  }
  return absl::StrCat("[", key->name(), "=", r->GetString(element, key), "]");
}

enum class Kind { kAdded, kDeleted, kModified };

class PathReporter : public MessageDifferencer::Reporter {
 public:
  // Reports differences between `root1` and `root2`. (The differencer
  // passes the messages holding the last field of each path; the paths
  // are walked from the roots to name the repeated entries on the way.)
  PathReporter(const Message& root1, const Message& root2,
               std::vector<v1::FieldDifference>* out)
      : root1_(root1), root2_(root2), out_(out) {}

  void ReportAdded(const Message&, const Message&,
                   const std::vector<SpecificField>& path) override {
    Report(path, Kind::kAdded);
  }
  void ReportDeleted(const Message&, const Message&,
                     const std::vector<SpecificField>& path) override {
    Report(path, Kind::kDeleted);
  }
  void ReportModified(const Message&, const Message&,
                      const std::vector<SpecificField>& path) override {
    // A message is reported modified after the fields inside it that are.
    if (!path.empty() && path.back().field != nullptr &&
        path.back().field->type() == FieldDescriptor::TYPE_MESSAGE) {
      return;
    }
    Report(path, Kind::kModified);
  }

 private:
  // Walks both messages down `path`; the last step names the value(s).
  void Report(const std::vector<SpecificField>& path, Kind kind) {
    const Message* m1 = &root1_;
    const Message* m2 = &root2_;
    std::string text;
    v1::FieldDifference diff;
    for (size_t i = 0; i < path.size(); ++i) {
      const SpecificField& step = path[i];
      if (step.field == nullptr) return;  // unknown fields: none in ours
      const FieldDescriptor* field = step.field;
      const bool last = i + 1 == path.size();
      const int i1 = (last && kind == Kind::kAdded) ? -1 : step.index;
      const int i2 = (last && kind == Kind::kDeleted)
                         ? -1
                         : (step.new_index >= 0 ? step.new_index : step.index);
      absl::StrAppend(&text, text.empty() ? "" : ".", field->name());
      if (field->is_repeated()) {
        const bool in1 = m1 != nullptr && i1 >= 0 &&
                         i1 < m1->GetReflection()->FieldSize(*m1, field);
        const bool in2 = m2 != nullptr && i2 >= 0 &&
                         i2 < m2->GetReflection()->FieldSize(*m2, field);
        const bool message = field->type() == FieldDescriptor::TYPE_MESSAGE;
        if (message && (in1 || in2)) {
          const Message& e =
              in1 ? m1->GetReflection()->GetRepeatedMessage(*m1, field, i1)
                  : m2->GetReflection()->GetRepeatedMessage(*m2, field, i2);
          absl::StrAppend(&text, ElementLabel(field, e, in1 ? i1 : i2));
        } else {
          absl::StrAppend(&text, "[", in1 ? i1 : i2, "]");
        }
        if (last) {
          if (in1) diff.set_recorded(ValueText(*m1, field, i1));
          if (in2) diff.set_replayed(ValueText(*m2, field, i2));
        } else if (message) {
          m1 = in1 ? &m1->GetReflection()->GetRepeatedMessage(*m1, field, i1)
                   : nullptr;
          m2 = in2 ? &m2->GetReflection()->GetRepeatedMessage(*m2, field, i2)
                   : nullptr;
        }
        continue;
      }
      if (last) {
        if (m1 != nullptr && kind != Kind::kAdded) {
          diff.set_recorded(ValueText(*m1, field, -1));
        }
        if (m2 != nullptr && kind != Kind::kDeleted) {
          diff.set_replayed(ValueText(*m2, field, -1));
        }
      } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
        m1 = m1 != nullptr ? &m1->GetReflection()->GetMessage(*m1, field)
                           : nullptr;
        m2 = m2 != nullptr ? &m2->GetReflection()->GetMessage(*m2, field)
                           : nullptr;
      }
    }
    diff.set_path(std::move(text));
    out_->push_back(std::move(diff));
  }

  const Message& root1_;
  const Message& root2_;
  std::vector<v1::FieldDifference>* out_;
};

bool NrmRaised(const v1::Assessment& a) {
  return a.has_nrm() && a.nrm().prompt().raised();
}

// Each prompt's answer by name (the NRM prompt is apart, in `nrm`).
std::map<std::string, int> PromptAnswers(const v1::Assessment& a) {
  std::map<std::string, int> answers;
  for (const v1::Prompt& p : a.prompts()) answers[p.name()] = p.answer();
  return answers;
}

std::set<std::string> ActionCodes(const v1::Assessment& a) {
  std::set<std::string> codes;
  for (const v1::Action& action : a.actions()) codes.insert(action.code());
  return codes;
}

}  // namespace

std::vector<v1::FieldDifference> DiffAssessments(const v1::Assessment& recorded,
                                                 const v1::Assessment& other) {
  std::vector<v1::FieldDifference> out;
  {
    PathReporter reporter(recorded, other, &out);
    MessageDifferencer differencer;
    for (const MapField& m : MapFields()) {
      const FieldDescriptor* field = m.message->FindFieldByName(m.field);
      differencer.TreatAsMap(field,
                             field->message_type()->FindFieldByName(m.key));
    }
    differencer.ReportDifferencesTo(&reporter);
    differencer.Compare(recorded, other);
  }
  std::sort(out.begin(), out.end(),
            [](const v1::FieldDifference& a, const v1::FieldDifference& b) {
              return a.path() < b.path();
            });
  return out;
}

v1::ChangeSummary SummarizeChanges(const v1::Assessment& from,
                                   const v1::Assessment& to) {
  v1::ChangeSummary s;
  s.set_grade_from(from.grade().grade());
  s.set_grade_to(to.grade().grade());
  std::map<int, std::pair<int, int>> levels;  // concern → (from, to)
  for (const v1::ConcernOutcome& c : from.concerns()) {
    levels[c.concern()].first = c.level();
  }
  for (const v1::ConcernOutcome& c : to.concerns()) {
    levels[c.concern()].second = c.level();
  }
  for (const auto& [concern, level] : levels) {
    if (level.first == level.second) continue;
    v1::ConcernLevelChange* change = s.add_concern_levels();
    change->set_concern(static_cast<v1::Concern>(concern));
    change->set_from(static_cast<v1::ConcernOutcome::Level>(level.first));
    change->set_to(static_cast<v1::ConcernOutcome::Level>(level.second));
  }
  s.set_nrm_raised_from(NrmRaised(from));
  s.set_nrm_raised_to(NrmRaised(to));
  std::map<std::string, std::pair<int, int>> prompts;  // name → (from, to)
  for (const auto& [name, answer] : PromptAnswers(from)) {
    prompts[name].first = answer;
  }
  for (const auto& [name, answer] : PromptAnswers(to)) {
    prompts[name].second = answer;
  }
  for (const auto& [name, answer] : prompts) {
    if (answer.first != answer.second) s.add_prompts_changed(name);
  }
  const std::set<std::string> before = ActionCodes(from);
  const std::set<std::string> after = ActionCodes(to);
  for (const std::string& code : after) {
    if (before.count(code) == 0) s.add_actions_added(code);
  }
  for (const std::string& code : before) {
    if (after.count(code) == 0) s.add_actions_removed(code);
  }
  return s;
}

bool GradeChanged(const v1::ChangeSummary& s) {
  return s.grade_from() != s.grade_to();
}
bool NrmChanged(const v1::ChangeSummary& s) {
  return s.nrm_raised_from() != s.nrm_raised_to();
}
bool ActionsChanged(const v1::ChangeSummary& s) {
  return !s.actions_added().empty() || !s.actions_removed().empty();
}
bool AnyChange(const v1::ChangeSummary& s) {
  return GradeChanged(s) || NrmChanged(s) || ActionsChanged(s) ||
         !s.concern_levels().empty() || !s.prompts_changed().empty();
}

std::vector<std::string> ChangedOutputs(const v1::ChangeSummary& s) {
  std::vector<std::string> outputs;
  if (GradeChanged(s)) outputs.push_back("grade");
  for (const v1::ConcernLevelChange& c : s.concern_levels()) {
    outputs.push_back(absl::StrCat("concern ", v1::Concern_Name(c.concern())));
  }
  if (NrmChanged(s)) outputs.push_back("prompt nrm");
  for (const std::string& name : s.prompts_changed()) {
    outputs.push_back(absl::StrCat("prompt ", name));
  }
  std::set<std::string> actions(s.actions_added().begin(),
                                s.actions_added().end());
  actions.insert(s.actions_removed().begin(), s.actions_removed().end());
  for (const std::string& code : actions) {
    outputs.push_back(absl::StrCat("action ", code));
  }
  return outputs;
}

namespace {

// The kind of an output name, in ChangedOutputs' order.
int OutputRank(const std::string& name) {
  if (name == "grade") return 0;
  if (absl::StartsWith(name, "concern ")) return 1;
  if (name == "prompt nrm") return 2;
  if (absl::StartsWith(name, "prompt ")) return 3;
  return 4;  // "action ..."
}

}  // namespace

bool OutputOrder::operator()(const std::string& a, const std::string& b) const {
  const int ra = OutputRank(a);
  const int rb = OutputRank(b);
  return ra != rb ? ra < rb : a < b;
}

void OutputTally::Add(const std::string& decision_id,
                      const v1::ChangeSummary& s) {
  ++compared_;
  const std::vector<std::string> changed = ChangedOutputs(s);
  if (changed.empty()) return;
  ++differing_;
  for (const std::string& name : changed) {
    Output& output = outputs_[name];
    ++output.decisions;
    if (static_cast<int>(output.examples.size()) < max_examples_) {
      output.examples.push_back(decision_id);
    }
  }
}

}  // namespace lantern
