// Tests server/cli/serve_settings.h: defaults, the configuration file (every
// kind of bad input refused at its file:line:col), command-line overrides.
#include "server/cli/serve_settings.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ServeSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/serve_settings_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text) {
    const std::string path = dir_ + "/lantern.yaml";
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }

  std::string dir_;
};

TEST_F(ServeSettingsTest, DefaultsWithoutFileOrFlags) {
  absl::StatusOr<ServeOptions> options = ResolveServeOptions("", {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:50051");
  EXPECT_EQ(options->rules_dir, "rules");
  EXPECT_EQ(options->ledger_path, "lantern-data/ledger.db");
  EXPECT_EQ(options->ledger_key_path, "");
  EXPECT_FALSE(options->ledger_off);
  EXPECT_EQ(options->max_message_bytes, 1 << 20);
  EXPECT_EQ(options->limits.max_repeated, 100);
  EXPECT_EQ(options->limits.max_narrative_bytes, 64 * 1024);
  EXPECT_EQ(options->limits.max_string_bytes, 1024);
  EXPECT_EQ(options->drain_timeout, absl::Seconds(10));
  EXPECT_EQ(options->max_concurrent_streams, 100);
  EXPECT_EQ(options->max_connection_idle, absl::Seconds(300));
  EXPECT_EQ(options->keepalive_time, absl::Seconds(60));
}

TEST_F(ServeSettingsTest, FileSetsEverySettingItNames) {
  const std::string path = Write(
      "# a comment\n"
      "listen: 0.0.0.0:6000\n"
      "rules: /usr/share/lantern/rules\n"
      "ledger: /var/lib/lantern/ledger.db\n"
      "ledger_key: /var/lib/lantern/ledger.key\n"
      "ledger_off: true\n"
      "max_message_bytes: 2048\n"
      "max_repeated: 7\n"
      "max_narrative_bytes: 999\n"
      "max_string_bytes: 99\n"
      "drain_seconds: 0\n"
      "max_concurrent_streams: 3\n"
      "max_connection_idle_seconds: 30\n"
      "keepalive_seconds: 5\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "0.0.0.0:6000");
  EXPECT_EQ(options->rules_dir, "/usr/share/lantern/rules");
  EXPECT_EQ(options->ledger_path, "/var/lib/lantern/ledger.db");
  EXPECT_EQ(options->ledger_key_path, "/var/lib/lantern/ledger.key");
  EXPECT_TRUE(options->ledger_off);
  EXPECT_EQ(options->max_message_bytes, 2048);
  EXPECT_EQ(options->limits.max_repeated, 7);
  EXPECT_EQ(options->limits.max_narrative_bytes, 999);
  EXPECT_EQ(options->limits.max_string_bytes, 99);
  EXPECT_EQ(options->drain_timeout, absl::ZeroDuration());
  EXPECT_EQ(options->max_concurrent_streams, 3);
  EXPECT_EQ(options->max_connection_idle, absl::Seconds(30));
  EXPECT_EQ(options->keepalive_time, absl::Seconds(5));
}

TEST_F(ServeSettingsTest, EverySettingCanBeAKey) {
  // A file naming every setting once (with its own default's kind of value)
  // has no unknown key: the names come from the one table.
  std::string text;
  for (const std::string& name : ServeSettingNames()) {
    ASSERT_TRUE(absl::string_view(name).find_first_not_of(
                    "abcdefghijklmnopqrstuvwxyz_") == absl::string_view::npos)
        << name;
    // Durations need a unit; every other non-bool setting takes "1".
    const char* value = IsBoolServeSetting(name)        ? "false"
                        : name == "stream_idle_timeout" ? "1s"
                                                        : "1";
    text += name + ": " + value + "\n";
  }
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(Write(text), {});
  EXPECT_TRUE(options.ok()) << options.status();
}

TEST_F(ServeSettingsTest, CommandLineOverridesTheFile) {
  const std::string path =
      Write("listen: 0.0.0.0:6000\nmax_repeated: 7\nledger_off: true\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(
      path, {{"listen", "127.0.0.1:0"}, {"ledger_off", "false"}});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:0");
  EXPECT_FALSE(options->ledger_off);
  EXPECT_EQ(options->limits.max_repeated, 7);  // from the file
}

TEST_F(ServeSettingsTest, EmptyFileSetsNothing) {
  absl::StatusOr<ServeOptions> options =
      ResolveServeOptions(Write("# nothing set\n"), {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:50051");
}

TEST_F(ServeSettingsTest, UnknownKeyRefusedAtItsPosition) {
  const std::string path = Write("listen: 127.0.0.1:1\nlisen: x\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  ASSERT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(options.status().message()),
              StartsWith(path + ":2:1: error: unknown setting 'lisen'"));
}

TEST_F(ServeSettingsTest, BadValuesRefusedAtTheirPositions) {
  const std::string path = Write(
      "max_repeated: 0\n"
      "drain_seconds: -1\n"
      "keepalive_seconds: soon\n"
      "ledger_off: perhaps\n"
      "listen: ''\n"
      "rules: [a, b]\n"
      "ledger:\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  ASSERT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(options.status().message());
  EXPECT_THAT(message,
              HasSubstr(path + ":1:15: error: max_repeated: must be positive, "
                               "not '0'"));
  EXPECT_THAT(message, HasSubstr(path + ":2:16: error: drain_seconds: must "
                                        "not be negative, not '-1'"));
  EXPECT_THAT(message, HasSubstr(path + ":3:20: error: keepalive_seconds: "
                                        "must be an integer"));
  EXPECT_THAT(message, HasSubstr(path + ":4:13: error: ledger_off: must be "
                                        "true or false"));
  EXPECT_THAT(message,
              HasSubstr(path + ":5:9: error: listen: must not be empty"));
  EXPECT_THAT(message, HasSubstr(path + ":6:8: error: rules: must be a single "
                                        "value, not a list or mapping"));
  EXPECT_THAT(message, HasSubstr(path + ":7:1: error: ledger: has no value"));
}

TEST_F(ServeSettingsTest, DuplicateKeyRefused) {
  const std::string path = Write("max_repeated: 5\nmax_repeated: 6\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  EXPECT_THAT(std::string(options.status().message()),
              HasSubstr(path + ":2:1: error: setting 'max_repeated' given "
                               "twice"));
}

TEST_F(ServeSettingsTest, NotAMappingRefused) {
  const std::string path = Write("- listen\n- rules\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  EXPECT_THAT(std::string(options.status().message()),
              HasSubstr(path + ":1:1: error: the config file must be a "
                               "mapping"));
}

TEST_F(ServeSettingsTest, YamlSyntaxErrorRefusedAtItsPosition) {
  const std::string path = Write("listen: [127.0.0.1\n");
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(path, {});
  ASSERT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(options.status().message()), StartsWith(path + ":"));
  EXPECT_THAT(std::string(options.status().message()), HasSubstr(": error: "));
}

TEST_F(ServeSettingsTest, MissingFileRefused) {
  absl::StatusOr<ServeOptions> options =
      ResolveServeOptions(dir_ + "/absent.yaml", {});
  EXPECT_EQ(options.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(options.status().message()),
              HasSubstr("absent.yaml"));
  EXPECT_EQ(ResolveServeOptions(dir_, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ServeSettingsTest, PackagedConfigResolves) {
  // /etc/lantern/lantern.yaml as the Debian package installs it.
  absl::StatusOr<ServeOptions> options = ResolveServeOptions(
      std::string(LANTERN_SOURCE_DIR) + "/packaging/lantern.yaml", {});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listen, "127.0.0.1:50051");
  EXPECT_EQ(options->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(options->rules_dir, "/usr/share/lantern/rules");
  EXPECT_EQ(options->ledger_path, "/var/lib/lantern/ledger.db");
  EXPECT_EQ(options->ledger_key_path, "/var/lib/lantern/ledger.key");
  EXPECT_FALSE(options->ledger_off);
}

TEST_F(ServeSettingsTest, BadCommandLineValueRefused) {
  absl::StatusOr<ServeOptions> options =
      ResolveServeOptions("", {{"max_repeated", "0"}});
  EXPECT_EQ(std::string(options.status().message()),
            "--max_repeated=0: must be positive");
}

}  // namespace
}  // namespace lantern
