// ValidateAndDecodeFacts (one walk) against the multi-pass validation it
// replaced (facts_validation_oracle.inc), on the shipped ruleset: the
// example episodes and thousands of random mutations of them — values out
// of range and out of order, unknown enum numbers, catalogue codes and
// non-codes, strings and lists over the limits, unknown fields, times
// Timestamp cannot hold. Both must give the same status (code and message,
// byte for byte) and, when they accept, the same facts and catalogue codes.
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/proto/proto_adapter.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"
#include "google/protobuf/unknown_field_set.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lantern/v1/service.pb.h"
#include "server/app/facts_validation.h"
#include "tests/server/app/facts_validation_oracle.inc"
#include "tests/testing/random_facts.h"

namespace lantern {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using testing::Rng;

class FactsValidationDifferentialTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    types_ = new ProtoFactTypes();
    absl::StatusOr<LoadResult> loaded =
        LoadRuleSet(std::string(LANTERN_SOURCE_DIR) + "/rules", *types_);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_NE(loaded->ruleset, nullptr) << loaded->diagnostics.ToString();
    ruleset_ = new std::shared_ptr<const RuleSet>(loaded->ruleset);
  }

  static const RuleSet& ruleset() { return **ruleset_; }

  static std::vector<v1::AssessRequest> Examples() {
    std::vector<v1::AssessRequest> out;
    for (const auto& e : std::filesystem::directory_iterator(
             std::string(LANTERN_SOURCE_DIR) + "/rules/examples")) {
      if (e.path().extension() != ".json") continue;
      std::ifstream in(e.path());
      const std::string json((std::istreambuf_iterator<char>(in)), {});
      v1::AssessRequest request;
      EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(
                      json, request.mutable_facts())
                      .ok())
          << e.path();
      out.push_back(std::move(request));
    }
    return out;
  }

  // Every code of the shipped catalogues, and a few that are none.
  static std::vector<std::string> Codes() {
    std::vector<std::string> codes = {"FOO", "", "debt_bondage"};
    for (const Catalogue& c : ruleset().catalogues) {
      for (const CatalogueEntry& e : c.entries) codes.push_back(e.code);
    }
    return codes;
  }

  // Compares both validations of `request`; returns the oracle's status.
  absl::Status Compare(const v1::AssessRequest& request,
                       const RequestLimits& limits) {
    std::vector<RecordedCode> old_codes, new_codes;
    absl::StatusOr<FactRecord> old_facts =
        old_validation::ValidateAndDecodeFacts(request, ruleset(), limits,
                                               &old_codes);
    absl::StatusOr<FactRecord> new_facts =
        ValidateAndDecodeFacts(request, ruleset(), limits, &new_codes);
    EXPECT_EQ(new_facts.status(), old_facts.status())
        << request.ShortDebugString();
    if (!old_facts.ok() || !new_facts.ok()) return old_facts.status();
    absl::StatusOr<std::string> old_json = FactsToJson(
        *ruleset().schema, v1::EpisodeFacts::descriptor(), *old_facts);
    absl::StatusOr<std::string> new_json = FactsToJson(
        *ruleset().schema, v1::EpisodeFacts::descriptor(), *new_facts);
    EXPECT_TRUE(old_json.ok()) << old_json.status();
    EXPECT_EQ(new_json.status(), old_json.status());
    if (old_json.ok() && new_json.ok()) {
      EXPECT_EQ(*new_json, *old_json);
    }
    EXPECT_EQ(new_codes.size(), old_codes.size());
    for (size_t i = 0; i < old_codes.size() && i < new_codes.size(); ++i) {
      EXPECT_EQ(new_codes[i].path, old_codes[i].path);
      EXPECT_EQ(new_codes[i].code, old_codes[i].code);
      EXPECT_EQ(new_codes[i].catalogue, old_codes[i].catalogue);
      EXPECT_EQ(new_codes[i].description, old_codes[i].description);
      EXPECT_EQ(new_codes[i].source, old_codes[i].source);
    }
    return old_facts.status();
  }

  static ProtoFactTypes* types_;
  static std::shared_ptr<const RuleSet>* ruleset_;
};

ProtoFactTypes* FactsValidationDifferentialTest::types_ = nullptr;
std::shared_ptr<const RuleSet>* FactsValidationDifferentialTest::ruleset_ =
    nullptr;

// Random changes to `message`, some of which make it invalid.
class Mutator {
 public:
  Mutator(uint64_t seed, std::vector<std::string> codes)
      : rng_(seed), codes_(std::move(codes)) {}

  void Mutate(Message* m, int depth) {
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    if (rng_.Chance(0.02)) {
      r->MutableUnknownFields(m)->AddVarint(1000 + rng_.Below(3), 1);
    }
    if (d->field_count() == 0) return;
    const int changes = 1 + rng_.Below(depth == 0 ? 4 : 2);
    for (int k = 0; k < changes; ++k) {
      const FieldDescriptor* f = d->field(rng_.Below(d->field_count()));
      if (rng_.Chance(0.1)) {
        r->ClearField(m, f);
        continue;
      }
      if (!f->is_repeated()) {
        SetOne(m, f, depth);
        continue;
      }
      const int n = rng_.Chance(0.03) ? 101 + rng_.Below(3) : 1 + rng_.Below(3);
      for (int i = 0; i < n; ++i) AddOne(m, f, depth);
    }
  }

 private:
  int64_t Int() {
    static const std::vector<int64_t> pool = {
        -1,
        0,
        1,
        5,
        13,
        17,
        25,
        26,
        120,
        121,
        10000,
        10001,
        std::numeric_limits<int32_t>::max(),
        std::numeric_limits<int32_t>::min()};
    return rng_.Pick(pool);
  }
  double Double() {
    static const std::vector<double> pool = {
        -3,
        0,
        0.5,
        8,
        100,
        std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()};
    return rng_.Pick(pool);
  }
  std::string String(const FieldDescriptor* f) {
    if (rng_.Chance(0.03)) return std::string(1025, 's');
    if (rng_.Chance(0.01)) return std::string(64 * 1024 + 1, 'n');
    if (f->name() == "text" && rng_.Chance(0.5)) {
      return "met an older man at the car wash, owes money, county lines";
    }
    return rng_.Pick(codes_);
  }
  int Enum(const FieldDescriptor* f) {
    const int count = f->enum_type()->value_count();
    if (rng_.Chance(0.05)) return rng_.Chance(0.5) ? -1 : 99;
    return f->enum_type()->value(rng_.Below(count))->number();
  }
  void Time(Message* t) {
    static const std::vector<int64_t> seconds = {
        1714000000, 1714100000,   1714200000,  1714300000,
        1714400000, 1714500000,   1714824000,  1000000000,
        0,          -62135596801, 253402300800};
    const Reflection* r = t->GetReflection();
    const Descriptor* d = t->GetDescriptor();
    r->SetInt64(t, d->FindFieldByNumber(1), rng_.Pick(seconds));
    r->SetInt32(t, d->FindFieldByNumber(2),
                rng_.Chance(0.03) ? -1 : (rng_.Chance(0.5) ? 0 : 500));
  }
  bool IsTime(const FieldDescriptor* f) {
    return f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
           (f->message_type()->full_name() == "google.protobuf.Timestamp" ||
            f->message_type()->full_name() == "google.protobuf.Duration");
  }

  void SetOne(Message* m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m->GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        r->SetBool(m, f, rng_.Chance(0.5));
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        r->SetInt32(m, f, static_cast<int32_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r->SetInt64(m, f, Int());
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r->SetUInt32(m, f, static_cast<uint32_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r->SetUInt64(m, f, static_cast<uint64_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r->SetFloat(m, f, static_cast<float>(Double()));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r->SetDouble(m, f, Double());
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(m, f, String(f));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r->SetEnumValue(m, f, Enum(f));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (IsTime(f)) {
          Time(r->MutableMessage(m, f));
        } else if (depth < 6) {
          Mutate(r->MutableMessage(m, f), depth + 1);
        }
        break;
    }
  }

  void AddOne(Message* m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m->GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_BOOL:
        r->AddBool(m, f, rng_.Chance(0.5));
        break;
      case FieldDescriptor::CPPTYPE_INT32:
        r->AddInt32(m, f, static_cast<int32_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r->AddInt64(m, f, Int());
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r->AddUInt32(m, f, static_cast<uint32_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r->AddUInt64(m, f, static_cast<uint64_t>(Int()));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r->AddFloat(m, f, static_cast<float>(Double()));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r->AddDouble(m, f, Double());
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(m, f, String(f));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r->AddEnumValue(m, f, Enum(f));
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (IsTime(f)) {
          Time(r->AddMessage(m, f));
        } else if (depth < 6) {
          Mutate(r->AddMessage(m, f), depth + 1);
        } else {
          r->AddMessage(m, f);
        }
        break;
    }
  }

  Rng rng_;
  std::vector<std::string> codes_;
};

TEST_F(FactsValidationDifferentialTest, ExamplesAgree) {
  const std::vector<v1::AssessRequest> examples = Examples();
  ASSERT_FALSE(examples.empty());
  for (const v1::AssessRequest& request : examples) {
    EXPECT_TRUE(Compare(request, RequestLimits()).ok());
  }
}

TEST_F(FactsValidationDifferentialTest, EdgeRequestsAgree) {
  v1::AssessRequest request;
  EXPECT_FALSE(Compare(request, RequestLimits()).ok());  // facts: required
  request.set_client_request_id(std::string(129, 'c'));
  request.GetReflection()->MutableUnknownFields(&request)->AddVarint(99, 1);
  request.mutable_as_of()
      ->GetReflection()
      ->MutableUnknownFields(request.mutable_as_of())
      ->AddVarint(98, 1);
  EXPECT_FALSE(Compare(request, RequestLimits()).ok());
  request.mutable_facts();
  EXPECT_FALSE(Compare(request, RequestLimits()).ok());
}

TEST_F(FactsValidationDifferentialTest, MutatedExamplesAgree) {
  const std::vector<v1::AssessRequest> examples = Examples();
  ASSERT_FALSE(examples.empty());
  Mutator mutator(20261206, Codes());
  Rng rng(7);
  RequestLimits small;
  small.max_repeated = 3;
  small.max_string_bytes = 20;
  small.max_narrative_bytes = 40;
  int accepted = 0;
  int rejected = 0;
  std::vector<std::string> seen = {"bytes, at most",   "elements, at most",
                                   "unknown field",    "is not a value of",
                                   "is not a code of", "out of range",
                                   "is before",        "is after"};
  std::vector<int> counts(seen.size());
  constexpr int kRequests = 3000;
  for (int i = 0; i < kRequests; ++i) {
    v1::AssessRequest request = examples[i % examples.size()];
    const int rounds = rng.Below(3);
    for (int k = 0; k < rounds; ++k) mutator.Mutate(request.mutable_facts(), 0);
    const absl::Status status =
        Compare(request, rng.Chance(0.2) ? small : RequestLimits());
    if (status.ok()) {
      ++accepted;
      continue;
    }
    ++rejected;
    for (size_t s = 0; s < seen.size(); ++s) {
      if (absl::StrContains(status.message(), seen[s])) ++counts[s];
    }
    if (::testing::Test::HasFailure()) break;
  }
  // The mutations reach both answers and every kind of problem.
  EXPECT_GT(accepted, kRequests / 10);
  EXPECT_GT(rejected, kRequests / 10);
  for (size_t s = 0; s < seen.size(); ++s) {
    EXPECT_GT(counts[s], 0) << seen[s];
  }
}

// The size-limit lines come in the walk's order, the schema's declaration
// order, which the multi-pass check had in field-number order: the same as
// long as every fact message declares its fields in number order.
TEST(FactsValidationOrderTest, FactMessagesDeclareFieldsInNumberOrder) {
  std::vector<const Descriptor*> todo = {v1::EpisodeFacts::descriptor()};
  std::set<const Descriptor*> done;
  while (!todo.empty()) {
    const Descriptor* d = todo.back();
    todo.pop_back();
    if (!done.insert(d).second) continue;
    for (int i = 0; i < d->field_count(); ++i) {
      if (i > 0) {
        EXPECT_LT(d->field(i - 1)->number(), d->field(i)->number())
            << d->full_name() << "." << d->field(i)->name();
      }
      if (d->field(i)->message_type() != nullptr) {
        todo.push_back(d->field(i)->message_type());
      }
    }
  }
}

}  // namespace
}  // namespace lantern
