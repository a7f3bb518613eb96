// Golden answers for every example episode (rules/examples/*.json), against
// the shipped ruleset, through the service's own path: each example's facts
// are parsed from protobuf JSON into lantern.v1.AssessRequest and answered
// by RequestAssessor with rules/ active (as tests/cases/case_library_test.cc
// does), then reduced to the golden's shape and compared field by field with
// tests/testdata/example_answers/<example>.json. Every differing field is
// printed as "<example>: <field>: golden X, got Y".
//
// The goldens pin today's answers: grade and highest possible grade, each
// concern's level and highest possible level, every prompt's answer and
// truth, every action's code, due_by and overdue, and the codes of
// actions_to_consider. A change to a golden is a change of answer, which a
// reviewer must read (tests/testdata/example_answers/README.md).
//
// To write the goldens from the current answers, run
//   LANTERN_UPDATE_GOLDENS=1 build/tests/server_app_example_answers_test
// and review the diff. An example without a golden fails (that mode writes
// it); a golden without an example fails in both modes (delete it by hand).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/proto/proto_fact_types.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "server/app/request_assessor.h"
#include "tests/testing/shipped_rules_assessor.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

constexpr char kExamplesDir[] = "rules/examples";
constexpr char kGoldensDir[] = "tests/testdata/example_answers";

// The as-of time each example is assessed at, as rules/tests/scenarios.yaml
// uses: its default, and the one example it assesses at another time.
std::string AsOf(const std::string& example) {
  if (example == "young_child_missing") return "2024-01-12T19:00:00Z";
  return "2024-05-04T12:00:00Z";
}

// The stems of the *.json files in `relative_dir`, sorted.
std::vector<std::string> JsonStems(const std::string& relative_dir) {
  std::vector<std::string> stems;
  for (const auto& entry :
       std::filesystem::directory_iterator(testing::SourcePath(relative_dir))) {
    if (entry.path().extension() == ".json") {
      stems.push_back(entry.path().stem().string());
    }
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

// A golden answer, flattened: field path → value ("grade" → "MEDIUM",
// "prompts.nrm.answer" → "RAISE", "actions.X.due_by" → RFC 3339). A due_by
// that is unset has no entry; an actions_to_consider code has the value
// "listed".
using Flat = std::map<std::string, std::string>;

std::string Quote(const std::string& s) {
  // The values are enum names, codes and timestamps: no escaping needed,
  // which the golden's own parse (JsonStringToMessage) would reject anyway.
  return absl::StrCat("\"", s, "\"");
}

// The golden's shape of `a`, as JSON with a fixed field order (so a
// regenerated golden diffs cleanly).
std::string GoldenJson(const v1::Assessment& a) {
  std::string out = "{\n";
  absl::StrAppend(&out,
                  "  \"grade\": ", Quote(v1::RiskGrade_Name(a.grade().grade())),
                  ",\n");
  absl::StrAppend(&out, "  \"highest_possible\": ",
                  Quote(v1::RiskGrade_Name(a.grade().highest_possible())),
                  ",\n");
  out += "  \"concerns\": {";
  for (int i = 0; i < a.concerns_size(); ++i) {
    const v1::ConcernOutcome& c = a.concerns(i);
    absl::StrAppend(
        &out, i == 0 ? "\n" : ",\n", "    ",
        Quote(v1::Concern_Name(c.concern())),
        ": {\"level\": ", Quote(v1::ConcernOutcome::Level_Name(c.level())),
        ", \"highest_possible_level\": ",
        Quote(v1::ConcernOutcome::Level_Name(c.highest_possible_level())), "}");
  }
  out += a.concerns_size() == 0 ? "},\n" : "\n  },\n";
  std::vector<const v1::Prompt*> prompts;
  if (a.has_nrm()) prompts.push_back(&a.nrm().prompt());
  for (const v1::Prompt& p : a.prompts()) prompts.push_back(&p);
  out += "  \"prompts\": {";
  for (size_t i = 0; i < prompts.size(); ++i) {
    absl::StrAppend(
        &out, i == 0 ? "\n" : ",\n", "    ", Quote(prompts[i]->name()),
        ": {\"answer\": ", Quote(v1::Prompt::Answer_Name(prompts[i]->answer())),
        ", \"truth\": ", Quote(v1::Truth_Name(prompts[i]->truth())), "}");
  }
  out += prompts.empty() ? "},\n" : "\n  },\n";
  out += "  \"actions\": {";
  for (int i = 0; i < a.actions_size(); ++i) {
    const v1::Action& action = a.actions(i);
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    ", Quote(action.code()),
                    ": {");
    if (action.has_due_by()) {
      absl::StrAppend(
          &out, "\"due_by\": ",
          Quote(google::protobuf::util::TimeUtil::ToString(action.due_by())),
          ", ");
    }
    absl::StrAppend(&out, "\"overdue\": ", action.overdue() ? "true" : "false",
                    "}");
  }
  out += a.actions_size() == 0 ? "},\n" : "\n  },\n";
  out += "  \"actions_to_consider\": [";
  for (int i = 0; i < a.actions_to_consider_size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    ",
                    Quote(a.actions_to_consider(i).code()));
  }
  out += a.actions_to_consider_size() == 0 ? "]\n" : "\n  ]\n";
  out += "}\n";
  return out;
}

std::string ValueText(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kStringValue:
      return v.string_value();
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue:
      return absl::StrCat(v.number_value());
    case google::protobuf::Value::kNullValue:
      return "null";
    default:
      return "(a list or object)";
  }
}

// Flattens a golden's JSON: objects by key ("a.b.c"), lists of codes as
// "<list>.<code>" → "listed" (their order is by code, so membership is the
// content), everything else by its text.
void Flatten(const google::protobuf::Value& v, const std::string& path,
             Flat* out) {
  if (v.has_struct_value()) {
    for (const auto& [key, child] : v.struct_value().fields()) {
      Flatten(child, path.empty() ? key : absl::StrCat(path, ".", key), out);
    }
  } else if (v.has_list_value()) {
    for (const google::protobuf::Value& item : v.list_value().values()) {
      (*out)[absl::StrCat(path, ".", ValueText(item))] = "listed";
    }
  } else {
    (*out)[path] = ValueText(v);
  }
}

absl::StatusOr<Flat> ParseGolden(const std::string& json) {
  google::protobuf::Value value;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &value);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON: ", parsed.ToString()));
  }
  if (!value.has_struct_value()) {
    return absl::InvalidArgumentError("not a JSON object");
  }
  Flat flat;
  Flatten(value, "", &flat);
  return flat;
}

// One line per field whose value differs, or that one side lacks.
std::vector<std::string> Differences(const Flat& golden, const Flat& got) {
  std::set<std::string> fields;
  for (const auto& [field, value] : golden) fields.insert(field);
  for (const auto& [field, value] : got) fields.insert(field);
  std::vector<std::string> lines;
  for (const std::string& field : fields) {
    auto g = golden.find(field), a = got.find(field);
    const std::string want = g == golden.end() ? "(absent)" : g->second;
    const std::string have = a == got.end() ? "(absent)" : a->second;
    if (want != have) {
      lines.push_back(absl::StrCat(field, ": golden ", want, ", got ", have));
    }
  }
  return lines;
}

class ExampleAnswers : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status active = service_.Activate();
    ASSERT_TRUE(active.ok()) << active;
  }

  // The service's path: facts JSON → AssessRequest → RequestAssessor.
  absl::StatusOr<v1::Assessment> Assess(const std::string& facts_json,
                                        const std::string& as_of) {
    v1::AssessRequest request;
    const auto parsed = google::protobuf::util::JsonStringToMessage(
        facts_json, request.mutable_facts());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("facts are not EpisodeFacts: ", parsed.ToString()));
    }
    if (!google::protobuf::util::TimeUtil::FromString(
            as_of, request.mutable_as_of())) {
      return absl::InvalidArgumentError(absl::StrCat("bad as_of ", as_of));
    }
    return service_.Assess(request);
  }

  testing::ShippedRulesAssessor service_{"examples"};
};

TEST_F(ExampleAnswers, EveryExampleAnswersAsItsGolden) {
  const char* update_env = std::getenv("LANTERN_UPDATE_GOLDENS");
  const bool update = update_env != nullptr && std::string(update_env) == "1";
  const std::vector<std::string> examples = JsonStems(kExamplesDir);
  const std::vector<std::string> goldens = JsonStems(kGoldensDir);
  ASSERT_FALSE(examples.empty()) << "no examples in " << kExamplesDir;

  for (const std::string& golden : goldens) {
    if (!std::binary_search(examples.begin(), examples.end(), golden)) {
      ADD_FAILURE() << kGoldensDir << "/" << golden << ".json has no example "
                    << kExamplesDir << "/" << golden
                    << ".json: delete the golden or restore the example";
    }
  }

  int same = 0;
  for (const std::string& example : examples) {
    const std::string as_of = AsOf(example);
    absl::StatusOr<v1::Assessment> answer =
        Assess(testing::ReadFileOrDie(testing::SourcePath(
                   absl::StrCat(kExamplesDir, "/", example, ".json"))),
               as_of);
    if (!answer.ok()) {
      ADD_FAILURE() << example << ": no answer: " << answer.status();
      continue;
    }
    const std::string json = GoldenJson(*answer);
    const std::string golden_path =
        testing::SourcePath(absl::StrCat(kGoldensDir, "/", example, ".json"));
    if (update) {
      std::ofstream(golden_path, std::ios::binary | std::ios::trunc) << json;
      std::cout << "wrote " << golden_path << "\n";
      continue;
    }
    if (!std::binary_search(goldens.begin(), goldens.end(), example)) {
      ADD_FAILURE() << example << ": no golden " << kGoldensDir << "/"
                    << example
                    << ".json (write it with LANTERN_UPDATE_GOLDENS=1 and "
                       "review it)";
      continue;
    }
    absl::StatusOr<Flat> want =
        ParseGolden(testing::ReadFileOrDie(golden_path));
    absl::StatusOr<Flat> got = ParseGolden(json);
    ASSERT_TRUE(got.ok()) << example << ": " << got.status();
    if (!want.ok()) {
      ADD_FAILURE() << golden_path << ": " << want.status().message();
      continue;
    }
    const std::vector<std::string> lines = Differences(*want, *got);
    for (const std::string& line : lines) {
      ADD_FAILURE() << example << ": " << line;
    }
    if (lines.empty()) ++same;
  }
  if (update) {
    std::cout << "example answers: " << examples.size()
              << " goldens written; review the diff\n";
  } else {
    std::cout << "example answers: " << examples.size() << " examples, " << same
              << " as their golden\n";
  }
}

}  // namespace
}  // namespace lantern
