// MustCompile: a test's ruleset compiled, failing the test (and returning
// null) when the compiler refuses it.
//
// Thread-safety: as CompileRuleSet.
#ifndef LANTERN_TESTS_TESTING_COMPILED_H_
#define LANTERN_TESTS_TESTING_COMPILED_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "engine/compile/compiler.h"
#include "engine/match/program.h"
#include "engine/ruleset/ruleset.h"
#include "gtest/gtest.h"

namespace lantern {

inline std::shared_ptr<const CompiledRuleSet> MustCompile(
    std::shared_ptr<const RuleSet> ruleset) {
  absl::StatusOr<std::shared_ptr<const CompiledRuleSet>> program =
      CompileRuleSet(std::move(ruleset));
  if (!program.ok()) {
    ADD_FAILURE() << "compile: " << program.status();
    return nullptr;
  }
  return *std::move(program);
}

}  // namespace lantern

#endif  // LANTERN_TESTS_TESTING_COMPILED_H_
