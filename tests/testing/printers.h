// gtest printers for engine values, so that a failed expectation shows
// readable evidence instead of object bytes. Include before using matchers
// on these types.
#ifndef LANTERN_TESTS_TESTING_PRINTERS_H_
#define LANTERN_TESTS_TESTING_PRINTERS_H_

#include <ostream>

#include "tests/oracle/oracle.h"

namespace lantern {

inline void PrintTo(Truth t, std::ostream* os) { *os << TruthName(t); }

inline void PrintTo(const FactReading& r, std::ostream* os) {
  *os << "(" << r.path << ", " << r.value << ")";
}

inline void PrintTo(const AtomEvidence& e, std::ostream* os) {
  *os << "{" << TruthName(e.truth) << " @" << e.offset << " '" << e.condition
      << "':";
  for (const FactReading& r : e.readings)
    *os << " " << r.path << "=" << r.value;
  *os << "}";
}

}  // namespace lantern

#endif  // LANTERN_TESTS_TESTING_PRINTERS_H_
