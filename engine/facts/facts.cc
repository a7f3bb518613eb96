// FactRecord setters.
//
// Entry points: FactRecord::Set (a singular field: replaces any value and
// marks the slot set) and FactRecord::Append (a repeated field: adds one
// element). Builders — the protobuf adapter and tests — are the only
// callers; readers use slot() directly.
#include "engine/facts/facts.h"

#include <utility>

namespace lantern {

void FactRecord::Set(int32_t field, FactScalar value) {
  FactSlot& slot = slots_[field];
  slot.values.clear();
  slot.values.push_back(std::move(value));
  slot.set = true;
}

void FactRecord::Append(int32_t field, FactScalar value) {
  FactSlot& slot = slots_[field];
  slot.values.push_back(std::move(value));
  slot.set = true;  // ignored for repeated fields; kept truthful anyway
}

}  // namespace lantern
