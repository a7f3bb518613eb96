// AssessmentJson: entry point AssessmentToJson. A tiny streaming writer
// (objects, arrays, strings, numbers) keeps the JSON well-formed; the rest
// maps each Assessment part to an object in a fixed order.
#include "server/assessment_json.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lantern {
namespace {

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(absl::string_view key) {
    Separate();
    Quoted(key);
    out_ += ": ";
    after_key_ = true;
  }
  void String(absl::string_view s) {
    Separate();
    Quoted(s);
  }
  void Int(int64_t v) {
    Separate();
    absl::StrAppend(&out_, v);
  }
  void Bool(bool v) {
    Separate();
    out_ += v ? "true" : "false";
  }
  void Strings(absl::string_view key, const std::vector<std::string>& items) {
    Key(key);
    BeginArray();
    for (const std::string& s : items) String(s);
    EndArray();
  }
  void Field(absl::string_view key, absl::string_view value) {
    Key(key);
    String(value);
  }
  std::string Finish() { return out_ + "\n"; }

 private:
  void Quoted(absl::string_view s) {
    out_.push_back('"');
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c < 0x20) {
        absl::StrAppendFormat(&out_, "\\u%04x", c);
      } else {
        out_.push_back(static_cast<char>(c));
      }
    }
    out_.push_back('"');
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_.push_back(',');
      first_.back() = false;
      Newline();
    }
  }
  void Open(char c) {
    Separate();
    out_.push_back(c);
    first_.push_back(true);
  }
  void Close(char c) {
    const bool empty = first_.back();
    first_.pop_back();
    if (!empty) Newline();
    out_.push_back(c);
  }
  void Newline() {
    out_.push_back('\n');
    out_.append(2 * first_.size(), ' ');
  }
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

// RFC 3339 in UTC with a 'Z', fractional seconds only when present.
std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void WriteEvidence(JsonWriter& w, const std::vector<AtomEvidence>& evidence) {
  w.BeginArray();
  for (const AtomEvidence& e : evidence) {
    w.BeginObject();
    w.Field("condition", e.condition);
    w.Key("held");
    w.Bool(e.truth == Truth::kTrue);
    w.Key("facts");
    w.BeginArray();
    for (const FactReading& r : e.readings) {
      w.BeginObject();
      w.Field("path", r.path);
      w.Field("value", r.value);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

void WriteGrade(JsonWriter& w, const GradeOutcome& g) {
  w.Key("grade");
  w.BeginObject();
  w.Field("grade", g.grade);
  w.Field("bandGrade", g.band_grade);
  w.Key("totalScore");
  w.Int(g.total_score);
  w.Strings("floorRules", g.floor_rule_ids);
  w.EndObject();
}

void WriteConcerns(JsonWriter& w, const std::vector<ConcernOutcome>& concerns) {
  w.Key("concerns");
  w.BeginArray();
  for (const ConcernOutcome& c : concerns) {
    w.BeginObject();
    w.Field("concern", c.name);
    w.Field("level", c.level);
    w.Key("score");
    w.Int(c.score);
    w.Strings("rules", c.rule_ids);
    w.EndObject();
  }
  w.EndArray();
}

void WritePrompts(JsonWriter& w, const std::vector<PromptOutcome>& prompts) {
  w.Key("prompts");
  w.BeginArray();
  for (const PromptOutcome& p : prompts) {
    w.BeginObject();
    w.Field("prompt", p.name);
    w.Field("title", p.title);
    w.Key("raised");
    w.Bool(p.raised);
    w.Field("truth", TruthName(p.truth));
    w.Strings("rules", p.rule_ids);
    w.Key("conditions");
    WriteEvidence(w, p.conditions);
    w.Strings("unknownFacts", p.unknown_paths);
    if (!p.error.empty()) w.Field("error", p.error);
    w.Field("cite", p.cite);
    w.EndObject();
  }
  w.EndArray();
}

void WriteActions(JsonWriter& w, const std::vector<ActionOutcome>& actions) {
  w.Key("actions");
  w.BeginArray();
  for (const ActionOutcome& a : actions) {
    w.BeginObject();
    w.Field("code", a.code);
    w.Field("title", a.title);
    w.Field("owner", a.owner);
    if (a.due_by.has_value()) {
      w.Field("dueBy", Time(*a.due_by));
      w.Key("overdue");
      w.Bool(a.overdue);
    }
    if (!a.due_unknown_paths.empty())
      w.Strings("dueUnknownFacts", a.due_unknown_paths);
    if (!a.due_error.empty()) w.Field("dueError", a.due_error);
    w.Strings("triggeredBy", a.triggered_by);
    w.Field("cite", a.cite);
    w.EndObject();
  }
  w.EndArray();
}

void WriteRules(JsonWriter& w, const Assessment& a) {
  w.Key("firedRules");
  w.BeginArray();
  for (const FiredRule& r : a.fired) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("title", r.title);
    if (!r.concern.empty()) w.Field("concern", r.concern);
    w.Key("score");
    w.Int(r.score);
    if (!r.grade_floor.empty()) w.Field("gradeFloor", r.grade_floor);
    w.Key("evidence");
    WriteEvidence(w, r.evidence);
    w.Field("cite", r.cite);
    w.EndObject();
  }
  w.EndArray();
  w.Key("unknownRules");
  w.BeginArray();
  for (const BlockedRule& r : a.blocked) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("title", r.title);
    w.Strings("missingFacts", r.unknown_paths);
    w.EndObject();
  }
  w.EndArray();
  w.Key("erroredRules");
  w.BeginArray();
  for (const ErroredRule& r : a.errored) {
    w.BeginObject();
    w.Field("id", r.id);
    w.Field("error", r.error);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string AssessmentToJson(const Assessment& a) {
  JsonWriter w;
  w.BeginObject();
  w.Field("rulesetId", a.ruleset_id);
  w.Field("rulesetVersion", a.ruleset_version);
  w.Field("asOf", Time(a.as_of));
  WriteGrade(w, a.grade);
  WriteConcerns(w, a.concerns);
  WritePrompts(w, a.prompts);
  WriteActions(w, a.actions);
  w.Strings("flags", a.flags);
  WriteRules(w, a);
  w.EndObject();
  return w.Finish();
}

}  // namespace lantern
