// TruthName (engine/lang/truth.h).
#include "engine/lang/truth.h"

namespace lantern {

const char* TruthName(Truth truth) {
  switch (truth) {
    case Truth::kFalse:
      return "FALSE";
    case Truth::kTrue:
      return "TRUE";
    case Truth::kUnknown:
      return "UNKNOWN";
    case Truth::kError:
      return "ERROR";
  }
  return "ERROR";
}

}  // namespace lantern
