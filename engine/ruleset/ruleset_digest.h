// RulesetDigest: the identity of a ruleset's exact text.
//
// A ruleset version is named by the SHA-256 of a canonical form of all its
// files, so that two copies of the same files anywhere have one digest and
// any change to any byte of any file gives another. Canonical form: the
// files sorted by path (bytewise), each written as
//   "<path>\0<decimal byte length>\0<content>"
// one after another. Paths are '/'-separated and relative to the ruleset
// root. The digest is printed as "sha256:" and 64 lower-case hex digits.
//
// The form is frozen: replay and the audit ledger find rulesets by digest,
// so tests pin it with golden values.
//
// Thread-safety: stateless.
#ifndef LANTERN_ENGINE_RULESET_RULESET_DIGEST_H_
#define LANTERN_ENGINE_RULESET_RULESET_DIGEST_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// "sha256:<hex>" of the canonical form of `files` (in any order).
std::string RulesetDigest(const std::vector<SourceFile>& files);

// "sha256:<hex>" of `bytes`.
std::string Sha256Hex(absl::string_view bytes);

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_RULESET_DIGEST_H_
