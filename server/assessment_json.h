// AssessmentJson: the engine's Assessment as a JSON document.
//
// Field names follow proto3 JSON style (lowerCamelCase) so that the output
// keeps its shape when the Assessment becomes a protobuf message on the wire.
// Output is deterministic: the same Assessment always prints the same bytes.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_ASSESSMENT_JSON_H_
#define LANTERN_SERVER_ASSESSMENT_JSON_H_

#include <string>

#include "engine/decide.h"

namespace lantern {

// Pretty-printed with two-space indentation and a trailing newline.
std::string AssessmentToJson(const Assessment& assessment);

}  // namespace lantern

#endif  // LANTERN_SERVER_ASSESSMENT_JSON_H_
