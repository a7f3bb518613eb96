// ServeStatus: the /status document's contract (server/app/serve_status.h),
// with an injected clock and active ruleset.
#include "server/app/serve_status.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace lantern {
namespace {

using ::testing::HasSubstr;

absl::Time At(int64_t seconds) { return absl::FromUnixSeconds(seconds); }

TEST(ServeStatus, EveryKeyIsThereBeforeAnythingHappened) {
  ServeStatus status(nullptr, [] { return At(0); });
  const nlohmann::json doc = nlohmann::json::parse(status.Json());
  EXPECT_EQ(doc["transport"], "plaintext");
  EXPECT_TRUE(doc["active_ruleset"].is_null());
  EXPECT_EQ(doc["warnings"], nlohmann::json::array());
  ASSERT_TRUE(doc["reloads"].is_object());
  for (const char* part : {"rules", "certificates", "access_file"}) {
    ASSERT_TRUE(doc["reloads"].contains(part)) << part;
    EXPECT_TRUE(doc["reloads"][part].is_null()) << part;
  }
}

TEST(ServeStatus, NamesTheActiveRulesetAsAskedAtEachReading) {
  std::optional<ActiveRuleSetLabels> active;
  ServeStatus status([&active] { return active; }, [] { return At(0); });
  EXPECT_TRUE(nlohmann::json::parse(status.Json())["active_ruleset"].is_null());
  active = ActiveRuleSetLabels{"r.id", "1.2.0", "sha256:ab"};
  const nlohmann::json doc = nlohmann::json::parse(status.Json());
  EXPECT_EQ(doc["active_ruleset"]["id"], "r.id");
  EXPECT_EQ(doc["active_ruleset"]["version"], "1.2.0");
  EXPECT_EQ(doc["active_ruleset"]["digest"], "sha256:ab");
}

TEST(ServeStatus, KeepsWarningsAndTheLastReloadOfEachPart) {
  int64_t now = 1733486400;  // 2024-12-06T12:00:00Z
  ServeStatus status(nullptr, [&now] { return At(now); });
  status.SetTransport("mutual_tls");
  status.AddWarning("first");
  status.AddWarning("second");
  status.RecordReload(ServeStatus::Part::kAccessFile, false,
                      "a.yaml:2:3: error: \"quoted\"\nnext line");
  now += 60;
  status.RecordReload(ServeStatus::Part::kRules, false, "old");
  now += 1;
  status.RecordReload(ServeStatus::Part::kRules, true, "activated");
  const nlohmann::json doc = nlohmann::json::parse(status.Json());
  EXPECT_EQ(doc["transport"], "mutual_tls");
  EXPECT_EQ(doc["warnings"], nlohmann::json::array({"first", "second"}));
  EXPECT_EQ(doc["reloads"]["access_file"]["ok"], false);
  EXPECT_EQ(doc["reloads"]["access_file"]["at"], "2024-12-06T12:00:00Z");
  EXPECT_EQ(doc["reloads"]["access_file"]["detail"],
            "a.yaml:2:3: error: \"quoted\"\nnext line");
  EXPECT_EQ(doc["reloads"]["rules"]["ok"], true);
  EXPECT_EQ(doc["reloads"]["rules"]["detail"], "activated");
  EXPECT_EQ(doc["reloads"]["rules"]["at"], "2024-12-06T12:01:01Z");
  EXPECT_TRUE(doc["reloads"]["certificates"].is_null());
}

TEST(ServeStatus, BytesThatAreNotUtf8DoNotBreakTheDocument) {
  ServeStatus status(nullptr, [] { return At(0); });
  status.RecordReload(ServeStatus::Part::kAccessFile, false,
                      "bad byte \xff here");
  const nlohmann::json doc =
      nlohmann::json::parse(status.Json(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_THAT(doc["reloads"]["access_file"]["detail"].get<std::string>(),
              HasSubstr("bad byte"));
}

}  // namespace
}  // namespace lantern
