// libFuzzer target for the ruleset loader: arbitrary bytes, split at lines
// "--- next file ---", become rules/a.yaml, tests/t.yaml, policy.yaml,
// manifest.yaml and catalogues/c.yaml (policy and manifest default to a
// small valid policy and manifest over lantern.testing.v1.ExampleFacts).
// Whatever loads is then run through its own tests, so the checker, evaluator
// and policy stage are fuzzed too. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/compile/compiler.h"
#include "engine/decide/rule_test_runner.h"
#include "engine/proto/proto_fact_types.h"
#include "engine/ruleset/loader.h"

namespace {

constexpr char kManifest[] =
    "id: fuzz\nversion: '1'\nowner: fuzz\neffective_from: 2020-01-01\n"
    "fact_message: lantern.testing.v1.ExampleFacts\n";
constexpr char kPolicy[] =
    "grades: [VERY_LOW, LOW, MEDIUM, HIGH]\n"
    "grade_bands: {LOW: 10, MEDIUM: 30, HIGH: 60}\n"
    "levels: [NONE, AT_RISK, SIGNIFICANT]\n"
    "concerns:\n  CSE: {AT_RISK: 10, SIGNIFICANT: 30}\n"
    "prompts:\n  nrm:\n    title: t\n    cite: c\n"
    "    when: concern_level(\"CSE\") >= SIGNIFICANT\n"
    "actions:\n  RHI_OFFER: {title: t, owner: o, cite: c, "
    "due: 'episode.found_at + duration(\"72h\")'}\n";
constexpr char kSeparator[] = "\n--- next file ---\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const lantern::ProtoFactTypes* types = new lantern::ProtoFactTypes();
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() < 4) {
    const size_t at = input.find(kSeparator, start);
    if (at == std::string::npos) break;
    parts.push_back(input.substr(start, at - start));
    start = at + sizeof(kSeparator) - 1;
  }
  parts.push_back(input.substr(start));
  const char* names[] = {"rules/a.yaml", "tests/t.yaml", "policy.yaml",
                         "manifest.yaml", "catalogues/c.yaml"};
  std::vector<lantern::SourceFile> files;
  for (size_t i = 0; i < parts.size(); ++i)
    files.push_back({names[i], parts[i]});
  if (parts.size() < 3) files.push_back({"policy.yaml", kPolicy});
  if (parts.size() < 4) files.push_back({"manifest.yaml", kManifest});
  lantern::LoadResult result =
      lantern::LoadRuleSetFromFiles(files, *types, "fuzz");
  // A loader bug that production would report rather than crash on: the
  // last-resort diagnostic, recognised by its message's start (the input may
  // quote the same words inside an ordinary diagnostic, as the fuzzer's
  // dictionary once did).
  for (const lantern::Diagnostic& d : result.diagnostics.list()) {
    if (absl::StartsWith(d.message, lantern::kInternalLoaderError)) {
      __builtin_trap();
    }
  }
  if (result.ruleset == nullptr) return 0;
  // Rule tests run on the compiled program, as `lantern test` runs them; a
  // ruleset the compiler refuses is answered with an error in production,
  // not a crash.
  absl::StatusOr<std::shared_ptr<const lantern::CompiledRuleSet>> program =
      lantern::CompileRuleSet(result.ruleset);
  if (program.ok()) lantern::RunRuleTests(**program);
  return 0;
}
