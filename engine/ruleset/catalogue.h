// Catalogue codes in facts: which codes an episode's facts carry in the
// fields a ruleset's catalogues are bound to, and which values no catalogue
// knows.
//
// A catalogue (engine/ruleset/ruleset.h) names the list(string) fact fields its
// codes are recorded in. The loader resolves those paths with
// ResolveCodeField; ScanCatalogueCodes then reads the fields of one
// FactRecord, so that an answer can describe every recorded code with its
// catalogue entry (description, source), and so that a value no catalogue
// lists — a typo in a test's facts, or an unknown code in a request — can be
// rejected rather than silently match nothing.
//
// Thread-safety: stateless; the RuleSet and facts are only read.
#ifndef LANTERN_ENGINE_RULESET_CATALOGUE_H_
#define LANTERN_ENGINE_RULESET_CATALOGUE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/facts/facts.h"
#include "engine/facts/schema.h"
#include "engine/ruleset/ruleset.h"

namespace lantern {

// The field index of each step of `path` ("episode.indicators") from the
// schema's root: every step but the last a singular message field, the last
// a list(string) field. INVALID_ARGUMENT saying which step is wrong.
absl::StatusOr<std::vector<int32_t>> ResolveCodeField(const FactSchema& schema,
                                                      absl::string_view path);

// One recorded value that a catalogue bound to its field lists.
struct RecordedCode {
  std::string path;  // "episode.indicators[2]"
  std::string code;
  std::string catalogue;
  std::string description;
  std::string source;
};

struct CodeScan {
  // One per (value, catalogue bound to its field that lists it), in field,
  // then element, then catalogue-name order.
  std::vector<RecordedCode> known;
  // One line per value no catalogue bound to its field lists:
  // "episode.indicators[1]: 'FOO' is not a code of CCE_INDICATORS,
  // CSE_INDICATORS".
  std::vector<std::string> unknown;
};

// REQUIRES: `facts` has the schema of `ruleset` (whose catalogue fields the
// loader resolved). A field under an unset message holds no codes.
CodeScan ScanCatalogueCodes(const RuleSet& ruleset, const FactRecord& facts);

}  // namespace lantern

#endif  // LANTERN_ENGINE_RULESET_CATALOGUE_H_
