// Compiled atoms: the matcher's path for conditions its predicate index
// cannot serve (comprehensions, arithmetic between fields, size(), has()
// through comprehension variables, mentions() of computed text...).
//
// An *atom* (doc/language.md) is a bool node that is not `&&`,
// `||` or
// `!`. The compiler turns each such atom that is not a plain field predicate
// into straight-line stack code (AtomCode): field paths from the root become
// frame-slot loads (engine/match/fact_frame.h), literals and ruleset constants
// become a constant pool, operators are resolved to instructions, and a
// comprehension becomes a loop over its list with the body inline. RunAtom
// executes it with the reference evaluator's semantics — three-valued, ERROR
// above UNKNOWN, every element of a comprehension evaluated.
//
// Two constant operands are prepared at compile time: a mentions() phrase
// (its words' keys, so a text is split into words once per run and each
// phrase is a search over word keys) and the list on the right of `in`
// (a hash set of its strings or enum numbers).
//
// Two modes. Without a trace, RunAtom computes the truth only and does not
// allocate once its scratch is warm. With an AtomTrace it also records the
// readings, the unknown paths and the exact error message, identical to the
// reference's, to explain a rule that fired, was blocked or failed.
//
// Thread-safety: AtomCode is immutable once compiled; an AtomScratch belongs
// to one thread.
#ifndef LANTERN_ENGINE_MATCH_ATOM_VM_H_
#define LANTERN_ENGINE_MATCH_ATOM_VM_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "engine/facts/schema.h"
#include "engine/lang/ast.h"
#include "engine/lang/checker.h"
#include "engine/lang/condition_text.h"
#include "engine/lang/policy_inputs.h"
#include "engine/lang/source_text.h"
#include "engine/lang/truth.h"
#include "engine/match/fact_frame.h"

namespace lantern {

enum class AtomOp : uint8_t {
  kConst,      // push consts[a]
  kSlot,       // push frame[a], a value read (traced as its display)
  kPresence,   // push frame[a], a has() answer (traced as set/unset)
  kVar,        // push the comprehension variable `a` levels out
  kField,      // pop a message, push its `field` (as_base: keep absent)
  kHasField,   // pop a message, push has(message.field)
  kList,       // pop `a` values, push them as a list literal
  kUnary,      // pop 1, push `op` of it
  kBinary,     // pop 2, push `op` of them (&& and || as Kleene logic)
  kInSet,      // pop 1, push `it in sets[a]` (a constant list)
  kSize,       // pop 1, push size()
  kMentions,   // pop phrase and text, push mentions()
  kMention,    // pop text, push mentions(text, phrases[a]) (a constant)
  kParse,      // pop text, push timestamp()/duration() of it (`function`)
  kFail,       // push ERROR texts[text]
  kCompBegin,  // pop a list; run the body per element, else jump to `a`
  kCompEnd,    // combine the body's result; loop back to `a` or finish
  kPolicy,     // `function` of the policy inputs (its argument popped)
};

struct AtomInstr {
  AtomOp code = AtomOp::kFail;
  Op op = Op::kNone;
  Function function = Function::kNone;
  bool as_base = false;
  bool zero_is_unknown = false;  // kField: the field is such an enum
  int32_t a = 0;
  int32_t text = -1;                // texts[]: operator text or message
  const FieldDef* field = nullptr;  // kField, kHasField (in the schema)
};

// A constant mentions() phrase, prepared at compile time: its words as
// mentions() splits them, each as word_scanner::WordKey and length; words
// longer than 8 bytes (whose key is a hash) also lower-cased in `folded`
// at `offsets`, to confirm a key match byte by byte.
struct AtomPhrase {
  std::vector<uint64_t> keys;
  std::vector<int32_t> lengths;
  std::vector<int32_t> offsets;  // into `folded`, by word
  std::string folded;            // every word, lower-cased, concatenated
};

// A constant list on the right of `in`, prepared at compile time. `list` is
// the list value itself (the general path). When every element is a string
// (kStrings) or every element an enum (kEnums), `strings` holds the strings
// or the enum values' names and `numbers` the enum numbers, so that a
// string or enum operand is looked up instead of compared element by
// element — with the same answer: `in` holds when some element compares
// equal (engine/match/internal/atom_vm_internal.h, Compare).
struct AtomSet {
  enum class Kind : uint8_t { kOther, kStrings, kEnums };
  Kind kind = Kind::kOther;
  FrameValue list;
  absl::flat_hash_set<absl::string_view> strings;  // into AtomCode::strings
  absl::flat_hash_set<int64_t> numbers;
};

// The code of every compiled atom of a ruleset.
struct AtomCode {
  std::vector<AtomInstr> code;
  std::vector<int32_t> begin;  // atom i is code[begin[i], begin[i + 1])
  std::vector<FrameValue> consts;
  std::vector<std::string> texts;
  std::vector<AtomPhrase> phrases;  // kMention
  std::vector<AtomSet> sets;        // kInSet
  // Storage the constants point into; stable addresses.
  std::deque<std::string> strings;
  std::vector<std::unique_ptr<FrameValue[]>> lists;

  int32_t atom_count() const {
    return begin.empty() ? 0 : static_cast<int32_t>(begin.size()) - 1;
  }
  size_t MemoryBytes() const;
};

// Appends the code of one atom (a checked bool expression that the caller
// decided not to index) and returns its number. Root-based field paths get
// slots in `layout`. REQUIRES: `schema` and `constants` outlive `code`.
int32_t CompileAtom(const Expr& atom, const SourceText& source,
                    const FactSchema& schema,
                    const std::vector<ConstantDef>& constants,
                    FrameLayout* layout, AtomCode* code);

// What an atom read, as the reference records it.
struct AtomTrace {
  std::vector<FactReading> readings;       // read order, no repeats
  std::vector<std::string> unknown_paths;  // read order, no repeats
  std::string error;                       // ERROR only

  void Read(absl::string_view path, std::string value);
  void ReadUnset(absl::string_view path);
  // Marks `paths` unknown without a reading (a policy function's).
  void MarkUnknown(const std::vector<std::string>& paths);
};

// A bump allocator of FrameValues (list literals); Reset keeps the memory.
class ValueArena {
 public:
  FrameValue* Allocate(int32_t n);
  void Reset();

 private:
  struct Block {
    std::unique_ptr<FrameValue[]> data;
    int32_t capacity = 0;
  };
  std::vector<Block> blocks_;
  size_t block_ = 0;
  int32_t used_ = 0;
};

// Per-thread working memory of RunAtom. Every buffer keeps its size between
// runs: a run grows them only past the largest atom run before.
struct AtomScratch {
  struct Loop {
    FrameValue list;
    int32_t index = 0;
    int32_t trues = 0;
    bool any_true = false, any_false = false, any_unknown = false;
    FrameValue error;  // first ERROR element, kind kUnknown if none
  };
  // One word of a text mentions() searched: its WordKey, where it starts in
  // the text and its length.
  struct Word {
    uint64_t key = 0;
    uint32_t begin = 0;
    uint32_t length = 0;
  };
  // A text split into words during this run: words[first, first + count).
  struct Text {
    const char* data = nullptr;
    size_t size = 0;
    int32_t first = 0;
    int32_t count = 0;
  };
  std::vector<FrameValue> stack;     // used up to the machine's depth
  std::vector<FrameValue> bindings;  // one per open comprehension
  std::vector<Loop> loops;           // one per open comprehension
  std::vector<Text> texts;           // cleared per run
  std::vector<Word> words;           // cleared per run
  ValueArena arena;
  ScratchStrings strings;
};

// Evaluates atom `atom` of `code` over a decoded frame. `trace` is null in
// the fast mode. `policy` is what fired(), concern_score(), concern_level()
// and total_score() read (PolicyInputs, doc/language.md); null
// outside the policy stage, where they are ERROR. REQUIRES: `frame` was
// decoded with the layout the atom was compiled against.
Truth RunAtom(const AtomCode& code, int32_t atom, const FactSchema& schema,
              const FrameValue* frame, AtomScratch* scratch, AtomTrace* trace,
              const PolicyInputs* policy = nullptr);

// A non-bool expression compiled as an atom (an action's due time): its
// value, traced. The value may point into `scratch` and `code`: read it
// before the next run.
FrameValue RunAtomValue(const AtomCode& code, int32_t atom,
                        const FactSchema& schema, const FrameValue* frame,
                        AtomScratch* scratch, AtomTrace* trace,
                        const PolicyInputs* policy);

}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_ATOM_VM_H_
