// The `lantern` executable: parses flags and hands each subcommand to
// server/cli/cli.h. Nothing else lives here.
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "engine/proto/proto_fact_types.h"
#include "server/cli/analyze_command.h"
#include "server/cli/backtest_command.h"
#include "server/cli/cli.h"
#include "server/cli/serve_command.h"
#include "server/grpc/serve.h"
#include "server/ledger/migrate.h"
#include "server/ledger/verifier.h"

ABSL_FLAG(std::string, rules, "",
          "eval, serve: the ruleset directory (serve: default rules); "
          "backtest: the candidate's directory");
ABSL_FLAG(std::string, facts, "", "eval: a JSON file of facts (protobuf JSON)");
ABSL_FLAG(std::string, as_of, "",
          "eval: the time to assess at (RFC 3339); default: now, read once");
ABSL_FLAG(bool, coverage, false,
          "test: also report rules never fired and actions never emitted, "
          "and fail if any");

ABSL_FLAG(int64_t, generated, 100000,
          "test: check the ruleset's invariants on this many generated "
          "episodes (0: none)");
ABSL_FLAG(uint64_t, seed, 1, "test: the seed of the episode generator");

ABSL_FLAG(int32_t, list_bound, 3,
          "analyze: the most elements a repeated message field holds in the "
          "analysis");
ABSL_FLAG(bool, witnesses, false,
          "analyze: also print a confirmed witness episode per rule and "
          "output");

ABSL_FLAG(std::string, trusted_key, "",
          "ledger verify: the Ed25519 public key every tree head must verify "
          "under (raw, hex or PEM file); default: the key stored in the "
          "ledger");

ABSL_FLAG(std::string, target, "", "backtest: the server, HOST:PORT");
ABSL_FLAG(std::string, purpose, "",
          "backtest: why you read the recorded decisions (required; kept in "
          "the server's access log)");
ABSL_FLAG(std::string, ruleset_version, "",
          "backtest: the candidate as a version or digest the server holds "
          "(instead of --rules)");
ABSL_FLAG(std::string, from, "",
          "backtest: decisions received at or after this time (RFC 3339)");
ABSL_FLAG(std::string, to, "",
          "backtest: decisions received before this time (RFC 3339)");
ABSL_FLAG(std::string, ca, "",
          "backtest: mutual TLS: the CA certificate that signed the "
          "server's (PEM)");
ABSL_FLAG(std::string, cert, "",
          "backtest: mutual TLS: the client's certificate chain (PEM)");
ABSL_FLAG(std::string, key, "",
          "backtest: mutual TLS: the client's private key (PEM)");
ABSL_FLAG(std::string, server_name, "",
          "backtest: mutual TLS: the name to check in the server's "
          "certificate (default: the --target host)");
// serve's flags (serve_settings.h), read by diff too.
ABSL_DECLARE_FLAG(std::string, ledger);
ABSL_DECLARE_FLAG(std::string, ledger_key);

namespace {

// Whether the command line gives --ledger (its default is serve's).
bool LedgerGiven(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    for (const char* prefix : {"--ledger", "-ledger"}) {
      const std::string p = prefix;
      if (arg == p || arg.rfind(p + "=", 0) == 0) return true;
    }
  }
  return false;
}

constexpr char kUsage[] =
    "lantern: risk assessment rules engine\n"
    "\n"
    "usage:\n"
    "  lantern check DIR                   check a ruleset; non-zero on any "
    "error\n"
    "  lantern test DIR [--coverage] [--generated N] [--seed S]\n"
    "                                      run a ruleset's own test cases "
    "and\n"
    "                                      check its invariants on N "
    "generated\n"
    "                                      episodes (default 100000)\n"
    "  lantern analyze DIR [--as_of RFC3339] [--list_bound K] [--witnesses]\n"
    "                                      rules that never fire, outputs no\n"
    "                                      episode produces, invariants "
    "proven\n"
    "                                      or violated (Z3)\n"
    "  lantern diff OLD NEW [--as_of RFC3339] [--ledger "
    "PATH|postgresql://...]\n"
    "                                      per output, whether some episode's\n"
    "                                      answer differs, with a witness;\n"
    "                                      with --ledger, also how many\n"
    "                                      recorded decisions differ\n"
    "  lantern eval --rules DIR --facts FILE.json [--as_of RFC3339]\n"
    "                                      print the Assessment as JSON\n"
    "  lantern serve [--config FILE] [--listen HOST:PORT] [--rules DIR]\n"
    "                                      serve gRPC (default "
    "127.0.0.1:50051,\n"
    "                                      rules/); see --helpfull for "
    "limits\n"
    "  lantern backtest --target HOST:PORT --purpose TEXT\n"
    "                   (--rules DIR | --ruleset_version V) [--from T] [--to "
    "T]\n"
    "                   [--ca FILE --cert FILE --key FILE]\n"
    "                                      replay a server's recorded "
    "decisions\n"
    "                                      under a candidate, with progress; "
    "exit\n"
    "                                      1 when some answer differs\n"
    "  lantern ledger verify PATH|postgresql://... [--trusted_key KEY]\n"
    "                                      check an audit ledger offline\n"
    "  lantern ledger migrate SQLITE_PATH postgresql://...\n"
    "                                      copy a ledger into an empty one,\n"
    "                                      heads and signatures kept, "
    "checked\n";

int Usage(const std::string& problem) {
  std::cerr << "lantern: " << problem << "\n" << kUsage;
  return lantern::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return Usage("no command given");
  const std::string command = args[1];
  const lantern::ProtoFactTypes types;
  if (command == "check" || command == "test") {
    if (args.size() != 3)
      return Usage(command + " takes exactly one ruleset directory");
    if (command == "check")
      return lantern::RunCheck(args[2], types, std::cout, std::cerr);
    lantern::TestOptions options;
    options.coverage = absl::GetFlag(FLAGS_coverage);
    options.generated = absl::GetFlag(FLAGS_generated);
    options.seed = absl::GetFlag(FLAGS_seed);
    if (options.generated < 0) return Usage("--generated must not be negative");
    return lantern::RunTest(args[2], options, types, std::cout, std::cerr);
  }
  if (command == "analyze") {
    if (args.size() != 3)
      return Usage("analyze takes exactly one ruleset directory");
    lantern::AnalyzeCommandOptions options;
    if (!absl::GetFlag(FLAGS_as_of).empty()) {
      options.as_of = absl::GetFlag(FLAGS_as_of);
    }
    options.list_bound = absl::GetFlag(FLAGS_list_bound);
    options.witnesses = absl::GetFlag(FLAGS_witnesses);
    return lantern::RunAnalyze(args[2], options, absl::Now(), types, std::cout,
                               std::cerr);
  }
  if (command == "diff") {
    if (args.size() != 4)
      return Usage("diff takes exactly two ruleset directories: OLD NEW");
    lantern::AnalyzeCommandOptions options;
    if (!absl::GetFlag(FLAGS_as_of).empty()) {
      options.as_of = absl::GetFlag(FLAGS_as_of);
    }
    options.list_bound = absl::GetFlag(FLAGS_list_bound);
    if (LedgerGiven(argc, argv)) {
      options.ledger = absl::GetFlag(FLAGS_ledger);
      options.ledger_key = absl::GetFlag(FLAGS_ledger_key);
    }
    return lantern::RunDiff(args[2], args[3], options, absl::Now(), types,
                            std::cout, std::cerr);
  }
  if (command == "eval") {
    if (args.size() != 2) return Usage("eval takes no positional arguments");
    const std::string rules = absl::GetFlag(FLAGS_rules);
    const std::string facts = absl::GetFlag(FLAGS_facts);
    if (rules.empty() || facts.empty())
      return Usage("eval needs --rules and --facts");
    std::optional<std::string> as_of;
    if (!absl::GetFlag(FLAGS_as_of).empty()) as_of = absl::GetFlag(FLAGS_as_of);
    return lantern::RunEval(rules, facts, as_of, absl::Now(), types, std::cout,
                            std::cerr);
  }
  if (command == "serve") {
    if (args.size() != 2) return Usage("serve takes no positional arguments");
    return lantern::RunServeCommand(types, argc, argv);
  }
  if (command == "backtest") {
    if (args.size() != 2)
      return Usage("backtest takes no positional arguments");
    lantern::BacktestCommandOptions options;
    options.target = absl::GetFlag(FLAGS_target);
    options.purpose = absl::GetFlag(FLAGS_purpose);
    options.rules_dir = absl::GetFlag(FLAGS_rules);
    options.ruleset_version = absl::GetFlag(FLAGS_ruleset_version);
    if (!absl::GetFlag(FLAGS_from).empty())
      options.from = absl::GetFlag(FLAGS_from);
    if (!absl::GetFlag(FLAGS_to).empty()) options.to = absl::GetFlag(FLAGS_to);
    options.ca = absl::GetFlag(FLAGS_ca);
    options.cert = absl::GetFlag(FLAGS_cert);
    options.key = absl::GetFlag(FLAGS_key);
    options.server_name = absl::GetFlag(FLAGS_server_name);
    options.terminal = isatty(STDERR_FILENO) == 1;
    return lantern::RunBacktestCommand(
        options, types, [] { return absl::Now(); }, std::cout, std::cerr,
        std::cerr);
  }
  if (command == "ledger") {
    if (args.size() == 5 && std::string(args[2]) == "migrate") {
      return lantern::ledger::RunLedgerMigrate(args[3], args[4], std::cout,
                                               std::cerr);
    }
    if (args.size() != 4 || std::string(args[2]) != "verify")
      return Usage("ledger takes: verify PATH, or migrate FROM TO");
    return lantern::ledger::RunLedgerVerify(args[3], std::cout, std::cerr,
                                            absl::GetFlag(FLAGS_trusted_key));
  }
  return Usage("unknown command '" + command + "'");
}
