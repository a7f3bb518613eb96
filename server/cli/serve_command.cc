// `lantern serve`: the flags of the settings table (serve_settings.h),
// `--config`, and which settings the command line gave → RunServe.
#include "server/cli/serve_command.h"

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "server/cli/cli.h"
#include "server/cli/serve_settings.h"
#include "server/grpc/serve.h"

#ifndef LANTERN_DEFAULT_CONFIG
#define LANTERN_DEFAULT_CONFIG ""
#endif

#define LANTERN_DEFINE_SERVE_FLAG(TYPE, NAME, DEFAULT, CHECK, APPLY, HELP) \
  ABSL_FLAG(TYPE, NAME, DEFAULT, HELP);
#define LANTERN_DECLARE_SERVE_FLAG(TYPE, NAME, DEFAULT, CHECK, APPLY, HELP) \
  ABSL_DECLARE_FLAG(TYPE, NAME);
LANTERN_SERVE_SETTINGS(LANTERN_DEFINE_SERVE_FLAG, LANTERN_DECLARE_SERVE_FLAG)
#undef LANTERN_DEFINE_SERVE_FLAG
#undef LANTERN_DECLARE_SERVE_FLAG

ABSL_FLAG(std::string, config, LANTERN_DEFAULT_CONFIG,
          "serve: a YAML file of serve settings (every serve flag as a key); "
          "flags given on the command line override it; empty: none");

namespace lantern {
namespace {

// The settings the command line named, in the order given, each with the
// flag's final value.
std::vector<CommandLineSetting> GivenSettings(int argc, char** argv) {
  const std::vector<std::string> names = ServeSettingNames();
  const std::set<std::string> known(names.begin(), names.end());
  std::set<std::string> given;
  std::vector<CommandLineSetting> settings;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-")) continue;
    absl::ConsumePrefix(&arg, "-");
    std::string name(arg.substr(0, arg.find('=')));
    if (known.count(name) == 0 && absl::StartsWith(name, "no") &&
        IsBoolServeSetting(name.substr(2))) {
      name = name.substr(2);
    }
    if (known.count(name) == 0 || !given.insert(name).second) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    settings.push_back({name, flag->CurrentValue()});
  }
  return settings;
}

}  // namespace

int RunServeCommand(const FactTypes& types, int argc, char** argv) {
  const std::string config = absl::GetFlag(FLAGS_config);
  absl::StatusOr<ServeOptions> options =
      ResolveServeOptions(config, GivenSettings(argc, argv));
  if (!options.ok()) {
    std::cerr << "lantern: serve: " << options.status().message() << "\n";
    return kExitUsage;
  }
  if (options->ledger_path.empty() && !options->ledger_off) {
    std::cerr << "lantern: serve needs --ledger=PATH\n";
    return kExitUsage;
  }
  if (!config.empty()) {
    std::cerr << "lantern serve: settings from " << config
              << " (command-line flags override it)" << std::endl;
  }
  return RunServe(*options, types, std::cout, std::cerr);
}

}  // namespace lantern
