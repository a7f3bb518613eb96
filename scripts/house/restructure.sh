#!/usr/bin/env bash
# Stage folders for Lantern (issue 15, "Deliver — structure", first part).
#
# usage: restructure.sh [--dry-run] [CHECKOUT]      (CHECKOUT defaults to .)
#
# Moves engine/ into stage folders (lang, facts, reference, ruleset, decide,
# compile, match, proto) and server/ into grpc, app and cli (ledger as it
# is), with tests/ mirroring the tree; then rewrites every reference to a
# moved path (includes, header guards, comments, docs, scripts, CMake,
# test executable names), writes the engine and server CMake files whose
# links state the architecture, redraws the README's layout section and
# runs clang-format on the C++ files it touched (include order only).
#
# It is idempotent: a second run changes nothing. It stops BEFORE changing
# anything when it finds a file in an old flat folder that the table below
# does not name: add a row for it (old path, new path, CMake target of a
# .cc or "-") and run it again. A CMake file that differs from the one
# this plan was written against (main at 0fc70a7) is rewritten anyway, the
# difference is printed under "CARRY OVER" and the exit status is 4: put it
# into TARGETS (or the README text), reset the checkout and run again.
# Exit status: 0 done; 3 unmapped files, nothing changed; 4 done, but carry
# over by hand; 1 an include names no file; 2 not a Lantern checkout.
#
# Nothing here edits code beyond include paths, header guards and path
# mentions, except one verbatim move (step 2b: the RuleSet model's five
# lookups out of the loader's files into engine/ruleset/ruleset.cc); the
# moves are `git mv`, so history follows the files.
# LANTERN_HOUSE_BASE=<commit>: the commit whose CMake files and README
# layout the script's TARGETS and layout text already account for.
set -euo pipefail

dry_run=0
if [[ "${1:-}" == "--dry-run" ]]; then dry_run=1; shift; fi
checkout=${1:-.}
cd "$checkout"
git rev-parse --is-inside-work-tree >/dev/null
cd "$(git rev-parse --show-toplevel)"
[[ -d engine && -d server && -d tests ]] || {
  echo "restructure: $(pwd) is not a Lantern checkout" >&2
  exit 2
}
DRY_RUN=$dry_run exec /usr/bin/python3 - <<'PY'
import difflib, hashlib, os, re, subprocess, sys

DRY = os.environ.get("DRY_RUN") == "1"

# ---------------------------------------------------------------------------
# THE TABLE: old path, new path, CMake target of a .cc ("-" for headers and
# files CMake does not compile). Targets are the keys of TARGETS below.
# ---------------------------------------------------------------------------
TABLE = """
# engine/lang: the condition language (lexer -> parser -> AST -> checker)
engine/ast.h                   engine/lang/ast.h                          -
engine/ast.cc                  engine/lang/ast.cc                         lang
engine/lexer.h                 engine/lang/lexer.h                        -
engine/lexer.cc                engine/lang/lexer.cc                       lang
engine/parser.h                engine/lang/parser.h                       -
engine/parser.cc               engine/lang/parser.cc                      lang
engine/checker.h               engine/lang/checker.h                      -
engine/checker.cc              engine/lang/checker.cc                     lang
engine/checker_calls.cc        engine/lang/checker_calls.cc               lang
engine/checker_ops.cc          engine/lang/checker_ops.cc                 lang
engine/checker_internal.h      engine/lang/internal/checker_internal.h    -
engine/diagnostics.h           engine/lang/diagnostics.h                  -
engine/diagnostics.cc          engine/lang/diagnostics.cc                 lang
engine/source_text.h           engine/lang/source_text.h                  -
engine/source_text.cc          engine/lang/source_text.cc                 lang
engine/value_ops.h             engine/lang/value_ops.h                    -
# engine/facts: the ground floor: types, the facts' typed shape, one
# episode's values
engine/types.h                 engine/facts/types.h                       -
engine/types.cc                engine/facts/types.cc                      lang
engine/schema.h                engine/facts/schema.h                      -
engine/schema.cc               engine/facts/schema.cc                     lang
engine/facts.h                 engine/facts/facts.h                       -
engine/facts.cc                engine/facts/facts.cc                      lang
engine/fact_types.h            engine/facts/fact_types.h                  -
engine/fact_display.h          engine/facts/fact_display.h                -
# engine/reference: the reference evaluator (moves to tests/ in a later step)
engine/evaluator.h             engine/reference/evaluator.h               -
engine/evaluator.cc            engine/reference/evaluator.cc              reference
engine/evaluator_display.cc    engine/reference/evaluator_display.cc      reference
engine/evaluator_interp.cc     engine/reference/evaluator_interp.cc       reference
engine/evaluator_values.cc     engine/reference/evaluator_values.cc       reference
engine/evaluator_value.h       engine/reference/internal/evaluator_value.h -
# engine/ruleset: the RuleSet model, catalogues, loading YAML, the digest
engine/ruleset.h               engine/ruleset/ruleset.h                   -
engine/catalogue.h             engine/ruleset/catalogue.h                 -
engine/catalogue.cc            engine/ruleset/catalogue.cc                ruleset
engine/loader.h                engine/ruleset/loader.h                    -
engine/loader.cc               engine/ruleset/loader.cc                   loader
engine/loader_internal.h       engine/ruleset/internal/loader_internal.h  -
engine/catalogue_loader.cc     engine/ruleset/catalogue_loader.cc         loader
engine/policy_loader.cc        engine/ruleset/policy_loader.cc            loader
engine/rule_test_loader.cc     engine/ruleset/rule_test_loader.cc         loader
engine/yaml_source.h           engine/ruleset/yaml_source.h               -
engine/yaml_source.cc          engine/ruleset/yaml_source.cc              loader
engine/yaml_map.h              engine/ruleset/yaml_map.h                  -
engine/yaml_map.cc             engine/ruleset/yaml_map.cc                 loader
engine/ruleset/ruleset.cc      engine/ruleset/ruleset.cc                  ruleset
server/ruleset_digest.h        engine/ruleset/ruleset_digest.h            -
server/ruleset_digest.cc       engine/ruleset/ruleset_digest.cc           digest
# engine/compile: checked RuleSet -> immutable CompiledRuleSet (match/program.h)
engine/compiler.h              engine/compile/compiler.h                  -
engine/compiler.cc             engine/compile/compiler.cc                 compile
engine/compiler_atoms.cc       engine/compile/compiler_atoms.cc           compile
engine/compiler_index.cc       engine/compile/compiler_index.cc           compile
engine/compiler_keys.cc        engine/compile/compiler_keys.cc            compile
engine/compiler_layout.cc      engine/compile/compiler_layout.cc          compile
engine/compiler_internal.h     engine/compile/internal/compiler_internal.h -
engine/atom_compiler.cc        engine/compile/atom_compiler.cc            compile
# engine/match: the program the compiler writes (program.h) and the matcher
# that runs it over one request's facts -> MatchResult
engine/program.h               engine/match/program.h                     -
engine/program.cc              engine/match/program.cc                    match
engine/matcher.h               engine/match/matcher.h                     -
engine/matcher.cc              engine/match/matcher.cc                    match
engine/matcher_explain.cc      engine/match/matcher_explain.cc            match
engine/fact_frame.h            engine/match/fact_frame.h                  -
engine/fact_frame.cc           engine/match/fact_frame.cc                 match
engine/atom_vm.h               engine/match/atom_vm.h                     -
engine/atom_vm.cc              engine/match/atom_vm.cc                    match
engine/atom_ops.cc             engine/match/atom_ops.cc                   match
engine/atom_vm_internal.h      engine/match/internal/atom_vm_internal.h   -
engine/phrase_index.h          engine/match/phrase_index.h                -
engine/phrase_index.cc         engine/match/phrase_index.cc               match
engine/word_scanner.h          engine/match/word_scanner.h                -
# engine/decide: MatchResult -> Assessment; the rule-test runner above it
engine/decide.h                engine/decide/decide.h                     -
engine/decide.cc               engine/decide/decide.cc                    decide
engine/rule_test_runner.h      engine/decide/rule_test_runner.h           -
engine/rule_test_runner.cc     engine/decide/rule_test_runner.cc          decide
# engine/proto: the one adapter from protobuf descriptors and messages
engine/proto_adapter.h         engine/proto/proto_adapter.h               -
engine/proto_adapter.cc        engine/proto/proto_adapter.cc              proto_adapter
engine/proto_fact_types.h      engine/proto/proto_fact_types.h            -
engine/proto_fact_types.cc     engine/proto/proto_fact_types.cc           proto_adapter
# engine/ itself: the engine's version; the build file (written below)
engine/version.h               engine/version.h                           -
engine/CMakeLists.txt          engine/CMakeLists.txt                      -
# server/grpc: the gRPC edge
server/risk_assessment_service.h  server/grpc/risk_assessment_service.h   -
server/risk_assessment_service.cc server/grpc/risk_assessment_service.cc  service
server/rulesets_service.h      server/grpc/rulesets_service.h             -
server/rulesets_service.cc     server/grpc/rulesets_service.cc            service
server/audit_service.h         server/grpc/audit_service.h                -
server/audit_service.cc        server/grpc/audit_service.cc               service
server/ruleset_proto.h         server/grpc/ruleset_proto.h                -
server/ruleset_proto.cc        server/grpc/ruleset_proto.cc               service
server/status_map.h            server/grpc/status_map.h                   -
server/status_map.cc           server/grpc/status_map.cc                  service
server/serve.h                 server/grpc/serve.h                        -
server/serve.cc                server/grpc/serve.cc                       service
# server/app: the application (no gRPC)
server/request_assessor.h      server/app/request_assessor.h              -
server/request_assessor.cc     server/app/request_assessor.cc             app
server/facts_validation.h      server/app/facts_validation.h              -
server/facts_validation.cc     server/app/facts_validation.cc             app
server/auditor.h               server/app/auditor.h                       -
server/auditor.cc              server/app/auditor.cc                      app
server/audit_rulesets.h        server/app/audit_rulesets.h                -
server/audit_rulesets.cc       server/app/audit_rulesets.cc               app
server/decision_recorder.h     server/app/decision_recorder.h             -
server/decision_recorder.cc    server/app/decision_recorder.cc            app
server/decision_diff.h         server/app/decision_diff.h                 -
server/decision_diff.cc        server/app/decision_diff.cc                app
server/activation_ledger.h     server/app/activation_ledger.h             -
server/activation_ledger.cc    server/app/activation_ledger.cc            app
server/assessment_proto.h      server/app/assessment_proto.h              -
server/assessment_proto.cc     server/app/assessment_proto.cc             assessment_proto
server/ruleset_registry.h      server/app/ruleset_registry.h              -
server/ruleset_registry.cc     server/app/ruleset_registry.cc             registry
server/ruleset_worker.h        server/app/ruleset_worker.h                -
server/worker_thread.h         server/app/worker_thread.h                 -
server/worker_thread.cc        server/app/worker_thread.cc                worker
# server/cli: the command line and the executable
server/cli.h                   server/cli/cli.h                           -
server/cli.cc                  server/cli/cli.cc                          cli
server/lantern_main.cc         server/cli/lantern_main.cc                 exe
server/serve_command.cc        server/cli/serve_command.cc                exe
server/CMakeLists.txt          server/CMakeLists.txt                      -
# tests mirror the tree
tests/engine/lexer_test.cc     tests/engine/lang/lexer_test.cc            -
tests/engine/parser_test.cc    tests/engine/lang/parser_test.cc           -
tests/engine/checker_test.cc   tests/engine/lang/checker_test.cc          -
tests/engine/schema_test.cc    tests/engine/facts/schema_test.cc          -
tests/engine/evaluator_test.cc tests/engine/reference/evaluator_test.cc   -
tests/engine/kleene_property_test.cc tests/engine/reference/kleene_property_test.cc -
tests/engine/yaml_source_test.cc tests/engine/ruleset/yaml_source_test.cc -
tests/engine/loader_test.cc    tests/engine/ruleset/loader_test.cc        -
tests/engine/catalogue_test.cc tests/engine/ruleset/catalogue_test.cc     -
tests/server/ruleset_digest_test.cc tests/engine/ruleset/ruleset_digest_test.cc -
tests/engine/decide_test.cc    tests/engine/decide/decide_test.cc         -
tests/engine/rule_test_runner_test.cc tests/engine/decide/rule_test_runner_test.cc -
tests/engine/matcher_test.cc   tests/engine/match/matcher_test.cc         -
tests/engine/matcher_differential_test.cc tests/engine/match/matcher_differential_test.cc -
tests/engine/proto_adapter_test.cc tests/engine/proto/proto_adapter_test.cc -
tests/server/cli_test.cc       tests/server/cli/cli_test.cc               -
tests/server/status_map_test.cc tests/server/grpc/status_map_test.cc      -
tests/server/audit_service_test.cc tests/server/grpc/audit_service_test.cc -
tests/server/serve_test.cc     tests/server/grpc/serve_test.cc            -
tests/server/serve_ledger_test.cc tests/server/grpc/serve_ledger_test.cc  -
tests/server/serve_audit_test.cc tests/server/grpc/serve_audit_test.cc    -
tests/server/activation_under_load_test.cc tests/server/grpc/activation_under_load_test.cc -
tests/server/ledger_crash_server_test.cc tests/server/grpc/ledger_crash_server_test.cc -
tests/server/assess_client.cc  tests/server/grpc/assess_client.cc         -
tests/server/python_client.py  tests/server/grpc/python_client.py         -
tests/server/python_client_test.sh tests/server/grpc/python_client_test.sh -
tests/server/reflection_client_test.sh tests/server/grpc/reflection_client_test.sh -
tests/server/start_server.sh   tests/server/grpc/start_server.sh          -
tests/server/request_assessor_test.cc tests/server/app/request_assessor_test.cc -
tests/server/facts_validation_test.cc tests/server/app/facts_validation_test.cc -
tests/server/decision_recorder_test.cc tests/server/app/decision_recorder_test.cc -
tests/server/decision_diff_test.cc tests/server/app/decision_diff_test.cc -
tests/server/assessment_proto_test.cc tests/server/app/assessment_proto_test.cc -
tests/server/ruleset_registry_test.cc tests/server/app/ruleset_registry_test.cc -
"""

# Folders whose direct files must all be in the table (subfolders such as
# server/ledger/ and tests/testing/ are not touched).
FLAT_FOLDERS = ["engine", "server", "tests/engine", "tests/server"]

# The CMake targets. Sources come from the table (in table order); "links"
# is what the target links, PUBLIC. Each comment states the architecture.
TARGETS = {
  # engine/CMakeLists.txt
  "lang": ("engine", "lantern_engine_lang", """\
# The condition language (lang/: lexer, parser, AST, checker) over the
# ground floor (facts/: Type, FactSchema, FactRecord). Abseil only.""",
    "absl::status absl::statusor absl::strings absl::str_format absl::time\n"
    "  absl::flat_hash_map absl::flat_hash_set absl::span"),
  "reference": ("engine", "lantern_engine_reference", """\
# The reference evaluator (reference/): what a checked expression means.
# Today it also runs the policy stage (decide/) and gives the display forms
# of facts/fact_display.h; it moves to a test-only library in a later step.""",
    "lantern_engine_lang"),
  "ruleset": ("engine", "lantern_engine_ruleset", """\
# The RuleSet model every later stage reads (ruleset/ruleset.h) and the
# catalogue codes in facts. No YAML.""",
    "lantern_engine_lang"),
  "loader": ("engine", "lantern_engine_loader", """\
# Rulesets on disk (ruleset/): YAML files, the loader, catalogues, policy
# and rule tests into a checked RuleSet. The only engine target with
# yaml-cpp.""",
    "lantern_engine_ruleset yaml-cpp"),
  "digest": ("engine", "lantern_ruleset_digest", """\
# The identity of a ruleset's exact files (ruleset/ruleset_digest.h):
# SHA-256 of a canonical form. Needs the SourceFile type, not the engine.""",
    "OpenSSL::Crypto absl::strings"),
  "decide": ("engine", "lantern_engine_decide", """\
# The policy stage (decide/): MatchResult -> Assessment, and the rule-test
# runner that assesses a ruleset's own cases.""",
    "lantern_engine_ruleset lantern_engine_reference"),
  "match": ("engine", "lantern_engine_match", """\
# The matcher (match/): the CompiledRuleSet (match/program.h) run over one
# request's facts, through the fact frame, the phrase automaton and the
# atom VM. No YAML.""",
    "lantern_engine_decide"),
  "compile": ("engine", "lantern_engine_compile", """\
# The compiler (compile/): a checked RuleSet -> the immutable CompiledRuleSet
# that the matcher runs (match/program.h).""",
    "lantern_engine_match"),
  "proto_adapter": ("engine", "lantern_proto_adapter", """\
# The one adapter between protobuf and the engine (proto/): descriptors ->
# FactSchema, messages and protobuf JSON -> FactRecord.""",
    "lantern_engine_lang absl::synchronization protobuf::libprotobuf"),
  # server/CMakeLists.txt
  "worker": ("server", "lantern_worker", """\
# One background thread for posted tasks (ruleset work, ledger notifier).""",
    "absl::synchronization Threads::Threads"),
  "registry": ("server", "lantern_registry", """\
# Ruleset versions (app/ruleset_registry.h): files -> checked, compiled
# versions by digest, validation and atomic activation.""",
    "lantern_engine_compile lantern_engine_loader lantern_ruleset_digest\n"
    "  absl::synchronization"),
  "assessment_proto": ("server", "lantern_assessment_proto", """\
# The engine's Assessment as a lantern.v1.Assessment (app/assessment_proto.h),
# shared by the application and the command line.""",
    "lantern_engine_decide lantern_engine_loader lantern_proto"),
  "app": ("server", "lantern_app", """\
# The application (app/), no gRPC in it: one request -> one answer, facts
# validation, the decision recorder and activation ledger, the auditor.""",
    "lantern_registry lantern_assessment_proto lantern_ledger lantern_worker\n"
    "  lantern_proto_adapter lantern_proto absl::synchronization absl::str_format"),
  "service": ("server", "lantern_service", """\
# The gRPC edge (grpc/): the callback services (RiskAssessment, RuleSets,
# Audit), the one status mapping, and `lantern serve`'s wiring. Not the CLI.""",
    "lantern_app lantern_grpc gRPC::grpc++ gRPC::grpc++_reflection\n"
    "  absl::synchronization absl::str_format"),
  "cli": ("server", "lantern_cli", """\
# The command line (cli/): subcommands as a library (tested directly).""",
    "lantern_engine_compile lantern_engine_loader lantern_assessment_proto\n"
    "  lantern_proto"),
}

ENGINE_HEAD = """\
# The engine, one folder per stage of the pipeline:
#   lang -> ruleset -> compile -> match -> decide, over facts/ (types, the
#   typed shape of facts, one episode's values), with proto/ (the one
#   protobuf adapter) and reference/ (the reference evaluator). Targets link
#   downwards only; no gRPC, no storage.
"""
SERVER_HEAD = """\
# The server: the gRPC edge (grpc/), the application (app/), the command
# line (cli/) and the audit ledger (ledger/). The edge links the
# application, never the CLI; the ledger links neither the registry nor
# the engine.
"""
SERVER_TAIL = """\
# The `lantern` executable: parses flags and wires the parts (cli/).
add_executable(lantern cli/lantern_main.cc cli/serve_command.cc)
target_link_libraries(lantern PRIVATE lantern_cli lantern_service lantern_ledger
  lantern_proto_adapter lantern_proto absl::flags absl::flags_parse absl::flags_usage)

# The audit ledger: records, Merkle tree, signed tree heads, SQLite store.
add_subdirectory(ledger)
"""

# Target renames in the CMake files that name today's targets (tests,
# bench, fuzz): every old name becomes what gives the same symbols.
RENAMES = {
  "lantern_engine_core": "lantern_engine_reference",
  "lantern_engine_rules": "lantern_engine_loader lantern_engine_decide",
  "lantern_engine_matcher": "lantern_engine_compile lantern_engine_match",
}
# Then, per test folder, the narrower target that is enough.
TEST_LINKS = {
  "engine/lang/": {"lantern_engine_reference": "lantern_engine_lang"},
  "engine/facts/": {"lantern_engine_reference": "lantern_engine_lang"},
  "engine/ruleset/ruleset_digest_test": {"lantern_registry": "lantern_ruleset_digest"},
  "engine/ruleset/": {"lantern_engine_loader lantern_engine_decide": "lantern_engine_loader"},
  # It loads its rulesets from disk.
  "engine/match/matcher_test": {
      "lantern_engine_compile lantern_engine_match":
      "lantern_engine_compile lantern_engine_match lantern_engine_loader"},
  "server/app/": {"lantern_service": "lantern_app",
                  "lantern_cli": "lantern_assessment_proto"},
}

# What this plan was written against (main at 0fc70a7): a file that differs
# is still rewritten, and its old text printed to carry over by hand.
# After carrying a merged branch's CMake/README changes into this script,
# run with LANTERN_HOUSE_BASE=<that merged commit> to compare against it.
BASE_COMMIT = os.environ.get("LANTERN_HOUSE_BASE", "0fc70a7")
KNOWN_SHA = {
  "engine/CMakeLists.txt": "bc131f8cdf6a76cd2824932d9cf95c2d0aec933d34116908f4b828307b51d3ae",
  "server/CMakeLists.txt": "65761207f1c97b939e8cc003ef56f327c46ebfb90dc2c515452a0b0b40863978",
  "README.md#Layout": "da61f94e5079263b4532943021433837316f06df3c7ce914146b7bd86e0a7ec1",
}

README_LAYOUT = """\
## Layout

| path | what |
| --- | --- |
| `engine/facts/` | the ground floor: `types` (`Type`), `schema` (`FactSchema`, the typed shape of facts), `facts` (`FactRecord`, one episode's values), `fact_types` (where schemas come from), `fact_display` |
| `engine/lang/` | the condition language, a file pair per step: `lexer` → `parser` → `ast` → `checker` (with `diagnostics`, `source_text`, `value_ops`) |
| `engine/ruleset/` | a ruleset on disk → a checked `RuleSet` (`ruleset.h`): `loader` with `yaml_source`/`yaml_map`, `catalogue` and its loader, the policy loader, the rule-test loader; `ruleset_digest` (a version's identity) |
| `engine/compile/` | a checked `RuleSet` → the immutable `CompiledRuleSet` the matcher runs (`match/program.h`): predicate index, layout, atom code |
| `engine/match/` | `program` (the `CompiledRuleSet`) and the `matcher` that runs it over the `fact_frame`, the `phrase_index` automaton and the `atom_vm` → `MatchResult` |
| `engine/decide/` | the policy stage: `decide` (`MatchResult` → `Assessment`); `rule_test_runner` |
| `engine/proto/` | `proto_adapter` and `proto_fact_types`: the one bridge from protobuf descriptors and JSON to `FactSchema` and `FactRecord` |
| `engine/reference/` | the reference evaluator: the precise meaning of a condition (to become test-only) |
| `proto/` | protobuf definitions: `lantern/v1/episode.proto` (the facts a caller sends, `EpisodeFacts`), `lantern/v1/assessment.proto` (the answer, `Assessment`), `lantern/v1/service.proto` (the gRPC services), `lantern/v1/audit.proto` (the Audit service), `lantern/v1/ledger.proto` (ledger records), and `lantern/testing/v1/example_facts.proto` for the engine's tests |
| `server/grpc/` | the gRPC edge: `serve` (wiring, signals), `risk_assessment_service`, `rulesets_service` and `audit_service` (thin callback handlers), `ruleset_proto`, `status_map` (the one absl → gRPC status mapping) |
| `server/app/` | the application, no gRPC: `request_assessor` (one request → one answer), `facts_validation`, `assessment_proto` (the engine's answer as `lantern.v1.Assessment`), `ruleset_registry` (versions by digest, atomic activation), `ruleset_worker` on a `worker_thread`, `decision_recorder` (every answer into the ledger before it is sent), `activation_ledger`, `auditor`, `audit_rulesets`, `decision_diff` |
| `server/cli/` | the `lantern` command line: `cli` (the subcommands), `serve_command`, `lantern_main` |
| `server/ledger/` | the audit ledger: `merkle` (RFC 6962 tree and proofs), `tree_head` (Ed25519 signed heads), `record_codec` (canonical bytes), `ledger_store`/`sqlite` (the file), `ledger` (appends with group commit, reads, proofs), `verifier` |
| `scripts/` | `setup.sh`, `build.sh`, `test.sh`, `run.sh`; `grpc_call.py`, a generic gRPC reflection client |
| `rules/` | the safeguarding ruleset Lantern ships: catalogues, rules, policy, tests and example episodes (see `rules/README.md`) |
| `tests/` | GoogleTest suites mirroring the tree (`tests/engine/lang/checker_test.cc` tests `engine/lang/checker.h`), golden diagnostics, fuzz targets |
| `bench/` | benchmarks (see `bench/README.md`) |

The CMake targets follow the folders and link downwards only (see
`engine/CMakeLists.txt`, `server/CMakeLists.txt`): the language
(`lantern_engine_lang`) depends on Abseil only; only the loader
(`lantern_engine_loader`) links yaml-cpp; the ledger links neither the
registry nor the engine; the gRPC edge (`lantern_service`) does not link
the command line.
"""

# ---------------------------------------------------------------------------
loud = []     # printed at the end, and non-zero exit when stopping


def run(*args, check=True):
  return subprocess.run(args, check=check, capture_output=True, text=True).stdout


def parse_table():
  rows = []
  for line in TABLE.splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
      continue
    old, new, target = line.split()
    if target != "-" and target not in TARGETS and target != "exe":
      sys.exit(f"restructure: unknown target '{target}' for {old}")
    rows.append((old, new, target))
  return rows


ROWS = parse_table()
OLD = {o: n for o, n, _ in ROWS}
NEW = {n: o for o, n, _ in ROWS}


def listed_files():
  out = run("git", "ls-files", "-co", "--exclude-standard")
  return [f for f in out.splitlines() if not f.startswith("build")]


# 1. Every file in an old flat folder must be in the table.
files = listed_files()
unknown = []
for f in files:
  folder = os.path.dirname(f)
  if folder in FLAT_FOLDERS and f not in OLD and f not in NEW and os.path.exists(f):
    unknown.append(f)
if unknown:
  print("restructure: STOPPED, nothing changed. These files are in an old flat")
  print("folder and the table in this script does not map them. Add a row for")
  print("each (old path, new path, CMake target of a .cc or '-') and run again:")
  for f in unknown:
    print("  UNMAPPED " + f)
  sys.exit(3)

# What the CMake files and the README's layout section say before any change.
ORIG = {}
for path in ("engine/CMakeLists.txt", "server/CMakeLists.txt"):
  ORIG[path] = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
m = re.search(r"^## Layout\n.*?(?=^## |\Z)", open("README.md", encoding="utf-8").read(),
              re.S | re.M)
ORIG["README.md#Layout"] = m.group(0) if m else None

# 2. The moves.
moved = 0
for old, new, _ in ROWS:
  if old == new or not os.path.exists(old):
    continue
  if os.path.exists(new):
    sys.exit(f"restructure: both {old} and {new} exist; resolve by hand")
  if DRY:
    print(f"git mv {old} {new}")
  else:
    os.makedirs(os.path.dirname(new), exist_ok=True)
    run("git", "mv", old, new)
  moved += 1
if DRY:
  print(f"dry run: {moved} moves; stopping before any rewrite")
  sys.exit(0)

# 2b. The RuleSet model's lookups (declared in ruleset/ruleset.h) are defined
# in the loader's files; moved verbatim into ruleset/ruleset.cc so that the
# stages that read a RuleSet (decide, match, the ledger) need no yaml-cpp.
ACCESSORS = {
  "engine/ruleset/policy_loader.cc": ["Policy::GradeRank", "Policy::LevelRank",
                                      "Policy::FindAction"],
  "engine/ruleset/loader.cc": ["RuleSet::FindRule", "RuleSet::FindCatalogue"],
}
MODEL_CC = "engine/ruleset/ruleset.cc"
MODEL_HEAD = """\
// RuleSet and Policy lookups (engine/ruleset/ruleset.h), apart from the
// loader so that the stages that only read a RuleSet need no YAML.
#include "engine/ruleset/ruleset.h"

#include <algorithm>
#include <string>

#include "absl/strings/string_view.h"

namespace lantern {

"""
MODEL_TAIL = "}  // namespace lantern\n"


def find_definition(text, name):
  """The span of `name`'s top-level definition, with its trailing blank line."""
  m = re.search(r"^[^\n;{}]*\b" + re.escape(name) + r"\([^)]*\)[^{;]*\{", text, re.M)
  if not m:
    return None
  depth, i = 0, m.end() - 1
  while i < len(text):
    depth += {"{": 1, "}": -1}.get(text[i], 0)
    if depth == 0:
      break
    i += 1
  if depth != 0 or text[i + 1:i + 2] != "\n":
    return None
  end = i + 2
  if text[end:end + 1] == "\n":
    end += 1
  return m.start(), end


model_done = os.path.exists(MODEL_CC)
if not model_done:
  pieces, edits, ok = [], {}, True
  for path, names in ACCESSORS.items():
    if not os.path.exists(path):
      ok = False
      break
    text = open(path, encoding="utf-8").read()
    for name in names:
      span = find_definition(text, name)
      if span is None:
        ok = False
        loud.append(f"ACCESSOR {name} not found as one definition in {path}")
        break
      pieces.append(text[span[0]:span[1]].rstrip("\n") + "\n")
      text = text[:span[0]] + text[span[1]:]
    # A namespace block left empty by the move goes too.
    text = re.sub(r"\n*namespace lantern \{\s*\}  // namespace lantern\n", "\n", text)
    text = text.replace("namespace lantern {\n\nnamespace", "namespace lantern {\nnamespace")
    edits[path] = text
  if ok:
    for path, text in edits.items():
      with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    with open(MODEL_CC, "w", encoding="utf-8") as fh:
      fh.write(MODEL_HEAD + "\n".join(pieces) + "\n" + MODEL_TAIL)
    run("git", "add", MODEL_CC)
  else:
    loud.append("ACCESSORS NOT MOVED: the RuleSet/Policy lookups stay in the loader's "
                "files, so lantern_engine_ruleset links lantern_engine_loader (and "
                "yaml-cpp) until they are moved by hand into " + MODEL_CC)
    TARGETS["ruleset"] = TARGETS["ruleset"][:3] + (
        TARGETS["ruleset"][3] + " lantern_engine_loader",)

missing = [o for o, n, _ in ROWS if not os.path.exists(o) and not os.path.exists(n)]
for o in missing:
  loud.append(f"MISSING  {o}: in the table but in neither place (deleted upstream?); "
              "left out of the build")

# 3. References to moved paths, everywhere in the tree.
pairs = {o: n for o, n, _ in ROWS if o != n}


def exe_name(path):  # tests/CMakeLists.txt's lantern_add_test naming
  rel = path[len("tests/"):]
  d, base = os.path.split(rel)
  return (d + "_" + os.path.splitext(base)[0]).replace("/", "_")


def guard(path):
  return "LANTERN_" + re.sub(r"[/.]", "_", os.path.splitext(path)[0]).upper() + "_H_"


test_pairs = {o[len("tests/"):]: n[len("tests/"):] for o, n in pairs.items()
              if o.startswith("tests/")}
exe_pairs = {exe_name(o): exe_name(n) for o, n in pairs.items()
             if o.startswith("tests/") and o.endswith(".cc")}
guard_pairs = {guard(o): guard(n) for o, n in pairs.items() if o.endswith(".h")}


def alternation(keys):
  return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


# A path token: not preceded by a name character (a '/' may precede it:
# "${PROJECT_SOURCE_DIR}/engine/x.h"), not followed by one.
# A full stop after it ends a sentence ("engine/checker.h.").
path_re = re.compile(r"(?<![\w.\-])(" + alternation(pairs) + r")(?![\w\-/]|\.\w)")
test_re = re.compile(r"(?<![\w.\-])(" + alternation(test_pairs) + r")(?![\w\-/]|\.\w)")
word_re = re.compile(r"\b(" + alternation(list(exe_pairs) + list(guard_pairs)) + r")\b")
words = {**exe_pairs, **guard_pairs}


def rewrite(path, text):
  text = path_re.sub(lambda m: pairs[m.group(1)], text)
  if path.startswith("tests/"):
    text = test_re.sub(lambda m: test_pairs[m.group(1)], text)
    # tests/CMakeLists.txt's loop over the server integration tests.
    text = re.sub(r"(?<![\w/])server/\$\{test\}\.cc", "server/grpc/${test}.cc", text)
    text = re.sub(r"(?<![\w])server_\$\{test\}", "server_grpc_${test}", text)
  text = word_re.sub(lambda m: words[m.group(1)], text)
  return text


def rename_targets(path, text):
  if os.path.basename(path) != "CMakeLists.txt" or path in ("engine/CMakeLists.txt",
                                                             "server/CMakeLists.txt"):
    return text
  for old, new in RENAMES.items():
    text = re.sub(r"\b%s\b" % old, new, text)
  if path == "tests/CMakeLists.txt":
    def narrow(m):
      call = m.group(0)
      test = m.group(1)
      for prefix, subs in TEST_LINKS.items():
        if test.startswith(prefix):
          for a, b in subs.items():
            if a in b and b in call:  # a row that adds a target: once
              continue
            call = re.sub(r"\b%s\b" % re.escape(a), b, call)
      return call
    text = re.sub(r"lantern_add_test\((\S+)[^)]*\)", narrow, text)
  if path == "server/ledger/CMakeLists.txt":
    # The ledger's digest without the registry (and so without the engine);
    # flat_hash_map, which it uses, then comes no longer through the registry.
    def ledger_links(m):
      call = re.sub(r"\blantern_registry\b", "lantern_ruleset_digest", m.group(0))
      if "absl::flat_hash_map" not in call:
        call = re.sub(r"\babsl::strings\b", "absl::flat_hash_map absl::strings", call, count=1)
      return call
    text = re.sub(r"target_link_libraries\(lantern_ledger\b[^)]*\)", ledger_links, text)
  return text


# Data is not rewritten: a ruleset's bytes are its digest, a corpus is input.
DATA = ("rules/", "tests/testdata/", "tests/fuzz/corpus/")


def is_data(f):
  return f.startswith(DATA) and not f.endswith(".md")


changed = []
for f in listed_files():
  if not os.path.isfile(f) or f.startswith(".git") or is_data(f):
    continue
  with open(f, "rb") as fh:
    raw = fh.read()
  if b"\0" in raw:
    continue
  try:
    text = raw.decode("utf-8")
  except UnicodeDecodeError:
    continue
  new_text = rename_targets(f, rewrite(f, text))
  if new_text != text:
    with open(f, "w", encoding="utf-8") as fh:
      fh.write(new_text)
    changed.append(f)

# 4. The engine and server CMake files.
def cmake_for(folder, head, tail=""):
  base = folder + "/"
  parts = [head]
  for key, (where, name, comment, links) in TARGETS.items():
    if where != folder:
      continue
    srcs = [n[len(base):] for _, n, t in ROWS if t == key and os.path.exists(n)]
    if not srcs:
      loud.append(f"EMPTY    target {name}: no sources exist")
      continue
    parts.append("\n" + comment + "\n")
    parts.append(f"add_library({name}\n" + "".join(f"  {s}\n" for s in srcs) + ")\n")
    parts.append(f"target_link_libraries({name} PUBLIC\n  {links})\n")
  if tail:
    parts.append("\n" + tail)
  return "".join(parts)


generated = {
  "engine/CMakeLists.txt": cmake_for("engine", ENGINE_HEAD),
  "server/CMakeLists.txt": cmake_for("server", SERVER_HEAD, SERVER_TAIL),
}
for path, text in generated.items():
  current = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
  if current == text:
    continue
  old = ORIG[path]
  base = subprocess.run(["git", "show", f"{BASE_COMMIT}:{path}"],
                        capture_output=True, text=True)
  if base.returncode == 0:
    differs = base.stdout != old
  else:
    differs = hashlib.sha256(old.encode()).hexdigest() != KNOWN_SHA[path]
  if differs:
    if base.returncode == 0:
      shown = "".join(difflib.unified_diff(
          base.stdout.splitlines(True), old.splitlines(True),
          f"{path} at {BASE_COMMIT}", f"{path} before this run"))
    else:
      shown = old
    loud.append(f"CARRY OVER {path} differs from the one this plan was written "
                f"against ({BASE_COMMIT}); it is regenerated. Carry these changes into "
                "the TABLE/TARGETS of this script, reset the checkout (git reset --hard; "
                "git clean -fd) and run it again:\n    "
                + shown.replace("\n", "\n    "))
  with open(path, "w", encoding="utf-8") as fh:
    fh.write(text)
  changed.append(path)

# 5. The README's layout section.
readme = open("README.md", encoding="utf-8").read()
m = re.search(r"^## Layout\n.*?(?=^## |\Z)", readme, re.S | re.M)
if not m:
  loud.append("README    no '## Layout' section found; not redrawn")
elif m.group(0) != README_LAYOUT:
  old = ORIG["README.md#Layout"] or ""
  base = subprocess.run(["git", "show", f"{BASE_COMMIT}:README.md"],
                        capture_output=True, text=True)
  bm = re.search(r"^## Layout\n.*?(?=^## |\Z)", base.stdout, re.S | re.M)
  if base.returncode == 0 and bm:
    differs = bm.group(0) != old
  else:
    differs = hashlib.sha256(old.encode()).hexdigest() != KNOWN_SHA["README.md#Layout"]
  if differs:
    loud.append("CARRY OVER README.md's layout section differs from the one this plan "
                "was written against; it is redrawn. The old section:\n    "
                + old.replace("\n", "\n    "))
  readme = readme[:m.start()] + README_LAYOUT + readme[m.end():]
  with open("README.md", "w", encoding="utf-8") as fh:
    fh.write(readme)
  changed.append("README.md")

# 6. clang-format the C++ files touched (sorts the rewritten includes).
cxx = sorted({f for f in changed + [MODEL_CC, *ACCESSORS]
              if f.endswith((".h", ".cc")) and os.path.exists(f)})
if cxx:
  subprocess.run(["clang-format", "-i", *cxx], check=True)

# 7. Nothing may still name a moved path.
left = []
for f in listed_files():
  if not os.path.isfile(f):
    continue
  try:
    text = open(f, encoding="utf-8").read()
  except (UnicodeDecodeError, IsADirectoryError):
    continue
  for mm in re.finditer(r'#include "((?:engine|server)/[^"]+)"', text):
    if not os.path.exists(mm.group(1)):
      left.append(f"{f}: #include \"{mm.group(1)}\" names no file")
for line in left:
  loud.append("DANGLING " + line)
# Data files are left as they are; say where they still name an old path.
for f in listed_files():
  if is_data(f) and os.path.isfile(f):
    try:
      text = open(f, encoding="utf-8").read()
    except UnicodeDecodeError:
      continue
    for mm in path_re.finditer(text):
      loud.append(f"DATA     {f} names {mm.group(1)} (now {pairs[mm.group(1)]}); "
                  "not rewritten, its bytes are its digest")

print(f"restructure: {moved} files moved, {len(set(changed))} files rewritten")
for line in loud:
  print(line)
carry = any(line.startswith("CARRY OVER") for line in loud)
sys.exit(1 if left else 4 if carry else 0)
PY
