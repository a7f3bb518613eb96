// The case library (tests/cases/*.yaml, README.md beside this file) against
// the shipped ruleset, through the service's own path: each case's request
// is parsed from protobuf JSON into lantern.v1.AssessRequest and answered by
// RequestAssessor (validation, then evaluation) with rules/ active — the
// code `lantern serve` runs for Assess, without the network.
//
// Every expectation is compared field by field and every disagreement is
// printed with its case file. A case marked `known_gap` must disagree (the
// gap is reported); one that starts to agree fails, so the mark is removed
// when the rules are fixed. Any other disagreement fails.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/proto/proto_fact_types.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/app/assessment_proto.h"
#include "server/app/request_assessor.h"
#include "tests/testing/case_file.h"
#include "tests/testing/shipped_rules_assessor.h"
#include "tests/testing/test_data.h"

namespace lantern {
namespace {

using testing::CaseFile;
using testing::ExpectedAction;
using testing::LevelBound;

std::vector<std::string> CasePaths() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(
           testing::SourcePath("tests/cases"))) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Position of `name` in the ordered `names`, or -1.
int Rank(const std::string& name, const std::vector<std::string>& names) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

bool Holds(const LevelBound& bound, const std::string& got,
           const std::vector<std::string>& order) {
  const int want = Rank(bound.name, order), have = Rank(got, order);
  switch (bound.kind) {
    case LevelBound::Kind::kAtLeast:
      return have >= want;
    case LevelBound::Kind::kAtMost:
      return have >= 0 && have <= want;
    default:
      return got == bound.name;
  }
}

const std::vector<std::string> kGrades = {"VERY_LOW", "LOW", "MEDIUM", "HIGH"};
const std::vector<std::string> kLevels = {"NONE", "AT_RISK", "MEDIUM", "HIGH"};

std::string Answer(v1::Truth truth) {
  switch (truth) {
    case v1::TRUTH_TRUE:
      return "raise";
    case v1::TRUTH_FALSE:
      return "not_raised";
    case v1::TRUTH_UNKNOWN:
      return "consider";
    default:
      return v1::Truth_Name(truth);
  }
}

const v1::Prompt* FindPrompt(const v1::Assessment& a, const std::string& name) {
  if (a.has_nrm() && a.nrm().prompt().name() == name) return &a.nrm().prompt();
  for (const v1::Prompt& p : a.prompts()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

const v1::Action* FindAction(const v1::Assessment& a, const std::string& code) {
  for (const v1::Action& action : a.actions()) {
    if (action.code() == code) return &action;
  }
  return nullptr;
}

// Collects "field: expected X, got Y (why)" lines.
class Comparison {
 public:
  void Check(bool ok, const std::string& field, const std::string& want,
             const std::string& got, const std::string& why) {
    if (!ok) {
      mismatches_.push_back(absl::StrCat(field, ": expected ", want, ", got ",
                                         got, "  [", why, "]"));
    }
  }
  const std::vector<std::string>& mismatches() const { return mismatches_; }

 private:
  std::vector<std::string> mismatches_;
};

void CompareGrade(const CaseFile& c, const v1::Assessment& a, Comparison* out) {
  if (c.grade) {
    const std::string got = v1::RiskGrade_Name(a.grade().grade());
    out->Check(got == c.grade->first, "grade", c.grade->first, got,
               c.grade->second);
  }
  if (c.highest_possible) {
    const std::string got = v1::RiskGrade_Name(a.grade().highest_possible());
    out->Check(Holds(c.highest_possible->first, got, kGrades),
               "grade.highest_possible", c.highest_possible->first.text, got,
               c.highest_possible->second);
  }
}

void CompareConcerns(const CaseFile& c, const v1::Assessment& a,
                     Comparison* out) {
  for (const auto& [concern, want] : c.concerns) {
    std::string got = "(no such concern)";
    for (const v1::ConcernOutcome& o : a.concerns()) {
      if (v1::Concern_Name(o.concern()) == concern) {
        got = v1::ConcernOutcome::Level_Name(o.level());
      }
    }
    out->Check(Holds(want.first, got, kLevels),
               absl::StrCat("concerns[", concern, "].level"), want.first.text,
               got, want.second);
  }
}

void ComparePrompts(const CaseFile& c, const v1::Assessment& a,
                    Comparison* out) {
  for (const auto& [name, want] : c.prompts) {
    const v1::Prompt* p = FindPrompt(a, name);
    const std::string got =
        p == nullptr ? "(no such prompt)" : Answer(p->truth());
    out->Check(got == want.first, absl::StrCat("prompts[", name, "]"),
               want.first, got, want.second);
  }
}

void CompareActions(const CaseFile& c, const v1::Assessment& a,
                    Comparison* out) {
  for (const ExpectedAction& want : c.present) {
    const std::string field = absl::StrCat("actions[", want.code, "]");
    const v1::Action* got = FindAction(a, want.code);
    out->Check(got != nullptr, field, "present", "absent", want.why);
    if (got == nullptr) continue;
    if (want.overdue) {
      out->Check(got->overdue() == *want.overdue, field + ".overdue",
                 *want.overdue ? "true" : "false",
                 got->overdue() ? "true" : "false", want.why);
    }
    if (want.due_by) {
      const std::string due =
          got->has_due_by()
              ? google::protobuf::util::TimeUtil::ToString(got->due_by())
              : "unset";
      out->Check(due == *want.due_by, field + ".due_by", *want.due_by, due,
                 want.why);
    }
  }
  for (const ExpectedAction& want : c.absent) {
    out->Check(FindAction(a, want.code) == nullptr,
               absl::StrCat("actions[", want.code, "]"), "absent", "present",
               want.why);
  }
}

class CaseLibrary : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status active = service_.Activate();
    ASSERT_TRUE(active.ok()) << active;
  }

  // The service's path: JSON → AssessRequest → RequestAssessor.
  absl::StatusOr<v1::Assessment> Assess(const CaseFile& c) {
    v1::AssessRequest request;
    const auto parsed =
        google::protobuf::util::JsonStringToMessage(c.request_json, &request);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("facts are not an AssessRequest: ", parsed.ToString()));
    }
    return service_.Assess(request);
  }

  testing::ShippedRulesAssessor service_{"cases"};
};

TEST_F(CaseLibrary, EveryCaseAnswersAsItsSourceExpects) {
  const std::vector<std::string> paths = CasePaths();
  ASSERT_GE(paths.size(), 40u) << "the library holds at least 40 cases";
  int passed = 0, failed = 0, gaps = 0, gaps_closed = 0;
  for (const std::string& path : paths) {
    const std::string file =
        std::filesystem::relative(path, testing::SourcePath("")).string();
    absl::StatusOr<CaseFile> c = testing::ReadCaseFile(path);
    if (!c.ok()) {
      ADD_FAILURE() << c.status().message();
      ++failed;
      continue;
    }
    Comparison comparison;
    absl::StatusOr<v1::Assessment> answer = Assess(*c);
    if (!answer.ok()) {
      comparison.Check(false, "answer", "an assessment",
                       answer.status().ToString(), "the request must be valid");
    } else {
      CompareGrade(*c, *answer, &comparison);
      CompareConcerns(*c, *answer, &comparison);
      ComparePrompts(*c, *answer, &comparison);
      CompareActions(*c, *answer, &comparison);
    }
    const auto& mismatches = comparison.mismatches();
    if (!c->known_gap.empty()) {
      if (mismatches.empty()) {
        ++gaps_closed;
        ADD_FAILURE() << file << ": marked known_gap but now agrees with "
                      << "its source: remove known_gap (" << c->known_gap
                      << ")";
        continue;
      }
      ++gaps;
      std::cout << "KNOWN GAP " << file << ": " << c->known_gap << "\n";
      for (const auto& m : mismatches) std::cout << "    " << m << "\n";
    } else if (mismatches.empty()) {
      ++passed;
      std::cout << "PASS " << file << "\n";
    } else {
      ++failed;
      std::string report;
      for (const auto& m : mismatches) report += "\n    " + m;
      ADD_FAILURE() << file << " (" << c->name << "):" << report;
    }
  }
  std::cout << "case library: " << paths.size() << " cases, " << passed
            << " passed, " << failed << " failed, " << gaps << " known gaps, "
            << gaps_closed << " known gaps now passing\n";
}

}  // namespace
}  // namespace lantern
