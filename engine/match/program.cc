// CompiledRuleSet accounting: MemoryBytes and the CompileReport's text.
#include "engine/match/program.h"

#include "absl/strings/str_format.h"

namespace lantern {
namespace {

template <typename T>
size_t Bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

size_t SourceBytes(const SourceDef& s) {
  size_t bytes = sizeof(SourceDef) + Bytes(s.ints) + Bytes(s.doubles) +
                 Bytes(s.strings) + Bytes(s.times) + Bytes(s.durations) +
                 Bytes(s.rows) + Bytes(s.phrase_begin) + Bytes(s.phrase_bits);
  for (const std::string& t : s.strings) bytes += t.capacity();
  for (const auto& [key, bits] : s.string_members) {
    bytes += sizeof(key) + key.capacity() + sizeof(bits) + Bytes(bits);
  }
  for (const auto& [key, bits] : s.int_members) {
    bytes += sizeof(key) + sizeof(bits) + Bytes(bits);
  }
  return bytes;
}

}  // namespace

size_t CompiledRuleSet::MemoryBytes() const {
  size_t bytes =
      sizeof(*this) + layout.MemoryBytes() + Bytes(atoms) + code.MemoryBytes() +
      Bytes(compiled_bits) + phrases.MemoryBytes() + Bytes(occ_begin) +
      Bytes(occurrences) + Bytes(jumps) + Bytes(node_begin) + Bytes(nodes) +
      Bytes(texts) + Bytes(period) + Bytes(periods) + Bytes(lead_begin) +
      Bytes(lead_groups) + Bytes(leads) + Bytes(lead_mask) + Bytes(always) +
      Bytes(source_rules_begin) + Bytes(source_rules) +
      Bytes(compiled_rules_begin) + Bytes(compiled_rules);
  for (const SourceDef& s : sources) bytes += SourceBytes(s);
  for (const std::string& t : texts) bytes += t.capacity();
  return bytes + policy.MemoryBytes();
}

size_t CompiledPolicy::MemoryBytes() const {
  size_t bytes =
      layout.MemoryBytes() + code.MemoryBytes() + Bytes(texts) + Bytes(due);
  for (const std::string& t : texts) bytes += t.capacity();
  const auto condition = [](const PolicyCondition& c) {
    return sizeof(c) + Bytes(c.occurrences) + Bytes(c.nodes);
  };
  for (const PolicyCondition& c : concern_floors) bytes += condition(c);
  for (const PolicyCondition& c : prompts) bytes += condition(c);
  for (const auto& list : findings) {
    for (const PolicyCondition& c : list) bytes += condition(c);
  }
  for (const PolicyCondition& c : invariant_when) bytes += condition(c);
  for (const PolicyCondition& c : invariant_holds) bytes += condition(c);
  return bytes;
}

std::string CompileReport::ToString() const {
  return absl::StrFormat(
      "%d rules: %d indexed, %d always evaluated, %d with compiled atoms; "
      "%d atom occurrences; atoms: %d ordered, %d presence, %d set, %d text, "
      "%d compiled, %d complements; %d sources over %d slots; %d lead "
      "entries; %d phrases (%d words, %d automaton states); %.1f MiB",
      rules, rules_indexed, rules_always, rules_compiled, occurrences,
      atoms_ordered, atoms_presence, atoms_set, atoms_text, atoms_compiled,
      atoms_complement, sources, slots, lead_entries, phrases, phrase_words,
      phrase_states, static_cast<double>(memory_bytes) / (1 << 20));
}

}  // namespace lantern
