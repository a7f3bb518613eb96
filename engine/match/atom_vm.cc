// The compiled-atom VM: entry point RunAtom (engine/match/atom_vm.h).
//
// A stack machine over one atom's straight-line code. Field reads through
// comprehension variables follow the reference evaluator's ReadField (an
// unset message on the way is carried as kAbsent so the read that consumes
// it names the full path); a comprehension runs its inline body once per
// element with the element bound, accumulating the element truths as the
// reference's CombineElements does. When tracing, every read is recorded
// exactly as the reference's ReadTrace records it.
#include "engine/match/atom_vm.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/facts/fact_display.h"
#include "engine/lang/checker.h"
#include "engine/match/internal/atom_vm_internal.h"
#include "engine/match/word_scanner.h"

namespace lantern {

using atom_vm_internal::BoolValue;
using atom_vm_internal::ErrorValue;
using atom_vm_internal::IntValue;
using atom_vm_internal::IsUnknown;
using atom_vm_internal::OpContext;
using atom_vm_internal::TruthOf;
using atom_vm_internal::UnknownValue;

void AtomTrace::Read(absl::string_view path, std::string value) {
  for (const FactReading& r : readings) {
    if (r.path == path && r.value == value) return;
  }
  readings.push_back(FactReading{std::string(path), std::move(value)});
}

void AtomTrace::MarkUnknown(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (std::find(unknown_paths.begin(), unknown_paths.end(), path) ==
        unknown_paths.end()) {
      unknown_paths.push_back(path);
    }
  }
}

void AtomTrace::ReadUnset(absl::string_view path) {
  Read(path, "unset");
  for (const std::string& p : unknown_paths) {
    if (p == path) return;
  }
  unknown_paths.emplace_back(path);
}

FrameValue* ValueArena::Allocate(int32_t n) {
  while (block_ < blocks_.size() && used_ + n > blocks_[block_].capacity) {
    ++block_;
    used_ = 0;
  }
  if (block_ == blocks_.size()) {
    const int32_t capacity = std::max<int32_t>(256, n);
    blocks_.push_back({std::make_unique<FrameValue[]>(capacity), capacity});
    used_ = 0;
  }
  FrameValue* out = blocks_[block_].data.get() + used_;
  used_ += n;
  return out;
}

void ValueArena::Reset() {
  block_ = 0;
  used_ = 0;
}

size_t AtomCode::MemoryBytes() const {
  size_t bytes = code.capacity() * sizeof(AtomInstr) +
                 begin.capacity() * sizeof(int32_t) +
                 consts.capacity() * sizeof(FrameValue);
  for (const std::string& t : texts) bytes += sizeof(t) + t.capacity();
  for (const std::string& s : strings) bytes += sizeof(s) + s.capacity();
  for (const AtomPhrase& p : phrases) {
    bytes += sizeof(p) + p.keys.capacity() * sizeof(uint64_t) +
             (p.lengths.capacity() + p.offsets.capacity()) * sizeof(int32_t) +
             p.folded.capacity();
  }
  for (const AtomSet& set : sets) {
    bytes += sizeof(set) +
             set.strings.capacity() * (sizeof(absl::string_view) + 1) +
             set.numbers.capacity() * (sizeof(int64_t) + 1);
  }
  return bytes;
}

namespace {

// fired()'s pattern: a rule id, or "prefix.*" for every id under prefix.
bool FiredPatternMatches(absl::string_view id, absl::string_view pattern) {
  if (absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(id, pattern.substr(0, pattern.size() - 1));
  }
  return id == pattern;
}

class Machine {
 public:
  Machine(const AtomCode& code, const FactSchema& schema,
          const FrameValue* frame, AtomScratch* scratch, AtomTrace* trace,
          const PolicyInputs* policy)
      : code_(code),
        schema_(schema),
        frame_(frame),
        s_(*scratch),
        trace_(trace),
        policy_(policy) {
    ctx_.trace = trace != nullptr;
    ctx_.strings = &s_.strings;
    ctx_.schema = &schema;
  }

  FrameValue Run(int32_t begin, int32_t end);

 private:
  // The value stack: s_.stack sized for the atom up front (Run), so a push
  // is a store, and an operator overwrites its first operand in place.
  FrameValue& Top() { return stack_[sp_ - 1]; }
  FrameValue Pop() { return stack_[--sp_]; }
  void Push(const FrameValue& v) { stack_[sp_++] = v; }
  int32_t Step(const AtomInstr& in, int32_t pc);
  const FrameValue& Slot(const AtomInstr& in);
  FrameValue Field(const FrameValue& base, const AtomInstr& in);
  FrameValue FieldList(const FrameValue& v, const FactSlot& slot,
                       const FieldDef& def);
  FrameValue FieldScalar(const FactScalar& scalar, const AtomInstr& in,
                         absl::string_view path);
  FrameValue FieldUnset(const AtomInstr& in, absl::string_view path);
  FrameValue HasField(const FrameValue& base, const AtomInstr& in);
  FrameValue List(int32_t n);
  FrameValue Size(const FrameValue& v);
  FrameValue MentionsOf(const FrameValue& text, const FrameValue& phrase);
  FrameValue Mention(const FrameValue& text, const AtomPhrase& phrase);
  const AtomScratch::Text& WordsOf(absl::string_view text);
  FrameValue InSet(const FrameValue& element, const AtomSet& set);
  FrameValue Parse(const FrameValue& text, const AtomInstr& in);
  FrameValue Policy(const AtomInstr& in);
  FrameValue Answer(const AtomInstr& in);
  FrameValue Fired(absl::string_view pattern, absl::string_view path);
  FrameValue Bound(const AtomInstr& in, const PolicyBound& bound,
                   absl::string_view path);
  int32_t BeginLoop(const AtomInstr& in, int32_t pc);
  int32_t EndLoop(const AtomInstr& in, int32_t pc);
  FrameValue Combine(Function function, const AtomScratch::Loop& loop);
  absl::string_view PathOf(absl::string_view base, absl::string_view name);
  void Read(absl::string_view path, const FrameValue& v) {
    if (trace_ != nullptr) trace_->Read(path, DisplayFrameValue(v, schema_));
  }
  void ReadUnset(absl::string_view path) {
    if (trace_ != nullptr) trace_->ReadUnset(path);
  }

  const AtomCode& code_;
  const FactSchema& schema_;
  const FrameValue* frame_;
  AtomScratch& s_;
  AtomTrace* trace_;
  const PolicyInputs* policy_;
  OpContext ctx_;
  FrameValue* stack_ = nullptr;
  int32_t sp_ = 0;
};

// Every instruction pushes at most one value and a comprehension's body
// leaves the stack as it found it, so an atom of n instructions never holds
// more than n values.
FrameValue Machine::Run(int32_t begin, int32_t end) {
  const size_t depth = static_cast<size_t>(end - begin) + 1;
  if (s_.stack.size() < depth) s_.stack.resize(depth);
  stack_ = s_.stack.data();
  sp_ = 0;
  for (int32_t pc = begin; pc < end;) {
    const AtomInstr& in = code_.code[pc];
    ctx_.text = in.text >= 0 ? &code_.texts[in.text] : nullptr;
    pc = Step(in, pc);
  }
  return sp_ == 0 ? ErrorValue(ctx_, "empty atom") : Pop();
}

int32_t Machine::Step(const AtomInstr& in, int32_t pc) {
  switch (in.code) {
    case AtomOp::kConst:
      Push(code_.consts[in.a]);
      break;
    case AtomOp::kSlot:
    case AtomOp::kPresence:
      Push(Slot(in));
      break;
    case AtomOp::kVar: {
      const int32_t n = static_cast<int32_t>(s_.bindings.size());
      if (in.a < 0 || in.a >= n) {
        Push(ErrorValue(ctx_, "unbound variable"));
      } else {
        Push(s_.bindings[n - 1 - in.a]);
      }
      break;
    }
    case AtomOp::kField:
      Top() = Field(Top(), in);
      break;
    case AtomOp::kHasField:
      Top() = HasField(Top(), in);
      break;
    case AtomOp::kList:
      Push(List(in.a));
      break;
    case AtomOp::kUnary: {
      FrameValue& operand = Top();
      operand = operand.bounded
                    ? atom_vm_internal::OpenResult(operand, ctx_)
                    : atom_vm_internal::ApplyUnary(in.op, operand, ctx_);
      break;
    }
    case AtomOp::kBinary: {
      const FrameValue& right = stack_[--sp_];
      FrameValue& left = Top();
      left = left.bounded || right.bounded
                 ? atom_vm_internal::ApplyBounded(in.op, left, right, ctx_)
                 : atom_vm_internal::ApplyBinary(in.op, left, right, ctx_);
      break;
    }
    case AtomOp::kInSet:
      Top() = InSet(Top(), code_.sets[in.a]);
      break;
    case AtomOp::kPolicy:
      Push(Policy(in));
      break;
    case AtomOp::kSize:
      Top() = Size(Top());
      break;
    case AtomOp::kMentions: {
      const FrameValue& phrase = stack_[--sp_];
      Top() = MentionsOf(Top(), phrase);
      break;
    }
    case AtomOp::kMention:
      Top() = Mention(Top(), code_.phrases[in.a]);
      break;
    case AtomOp::kParse:
      Top() = Parse(Top(), in);
      break;
    case AtomOp::kFail:
      Push(ErrorValue(ctx_, *ctx_.text));
      break;
    case AtomOp::kCompBegin:
      return BeginLoop(in, pc);
    case AtomOp::kCompEnd:
      return EndLoop(in, pc);
  }
  return pc + 1;
}

const FrameValue& Machine::Slot(const AtomInstr& in) {
  const FrameValue& v = frame_[in.a];
  if (trace_ == nullptr || v.kind == VKind::kError) return v;
  if (in.code == AtomOp::kPresence) {
    trace_->Read(v.path, v.b ? "set" : "unset");
  } else if (v.kind == VKind::kUnknown) {
    trace_->ReadUnset(v.path);
  } else if (v.kind != VKind::kMessage) {
    Read(v.path, v);
  }
  return v;
}

absl::string_view Machine::PathOf(absl::string_view base,
                                  absl::string_view name) {
  if (trace_ == nullptr) return {};
  std::string* path = s_.strings.Next();
  if (base.empty()) {
    path->assign(name.data(), name.size());
  } else {
    absl::StrAppend(path, base, ".", name);
  }
  return *path;
}

FrameValue Machine::Field(const FrameValue& base, const AtomInstr& in) {
  if (base.kind == VKind::kError || base.kind == VKind::kUnknown) return base;
  if (base.kind != VKind::kAbsent &&
      (base.kind != VKind::kMessage || base.record == nullptr)) {
    return ErrorValue(ctx_, "field read on a non-message");
  }
  const FieldDef& def = *in.field;
  const absl::string_view path = PathOf(base.path, def.name);
  const bool singular_message =
      !def.type.is_list && def.type.kind == TypeKind::kMessage;
  const FactSlot* slot =
      base.kind == VKind::kAbsent ? nullptr : &base.record->slot(def.index);
  if (slot != nullptr && def.type.is_list) {
    FrameValue list;
    list.path = path;
    return FieldList(list, *slot, def);
  }
  if (slot != nullptr && !slot->values.empty()) {
    return FieldScalar(slot->values[0], in, path);
  }
  if (singular_message && in.as_base) {
    FrameValue absent;
    absent.kind = VKind::kAbsent;
    absent.ref = def.type.ref;
    absent.path = path;
    return absent;
  }
  if (slot == nullptr || singular_message) {
    ReadUnset(path);
    return FrameValue();
  }
  return FieldUnset(in, path);
}

FrameValue Machine::FieldList(const FrameValue& v, const FactSlot& slot,
                              const FieldDef& def) {
  const Type element = def.type.Element();
  FrameValue e;
  for (size_t i = 0; i < slot.values.size(); ++i) {
    if (!ScalarToValue(slot.values[i], element, &e)) {
      if (trace_ == nullptr) return ErrorValue(ctx_, "");
      return ErrorValue(
          ctx_, NotHoldingMessage(absl::StrCat(v.path, "[", i, "]"), element));
    }
  }
  FrameValue list = v;
  list.kind = VKind::kList;
  list.elem = element;
  list.size = static_cast<int32_t>(slot.values.size());
  list.fact_list = &slot;
  Read(list.path, list);
  return list;
}

FrameValue Machine::FieldScalar(const FactScalar& scalar, const AtomInstr& in,
                                absl::string_view path) {
  FrameValue v;
  if (!ScalarToValue(scalar, in.field->type, &v)) {
    if (trace_ == nullptr) return ErrorValue(ctx_, "");
    return ErrorValue(ctx_, NotHoldingMessage(path, in.field->type));
  }
  v.path = path;
  if (v.kind == VKind::kMessage) return v;
  if (v.kind == VKind::kEnum && v.i == 0 && in.zero_is_unknown) {
    ReadUnset(path);
    return FrameValue();
  }
  Read(path, v);
  return v;
}

FrameValue Machine::FieldUnset(const AtomInstr& in, absl::string_view path) {
  const FieldDef& def = *in.field;
  if (def.has_presence ||
      (def.type.kind == TypeKind::kEnum && in.zero_is_unknown)) {
    ReadUnset(path);
    return FrameValue();
  }
  FrameValue zero = ZeroValue(def.type);
  zero.path = path;
  Read(path, zero);
  return zero;
}

FrameValue Machine::HasField(const FrameValue& base, const AtomInstr& in) {
  if (base.kind == VKind::kError) return base;
  if (base.kind != VKind::kAbsent && base.kind != VKind::kMessage) {
    return ErrorValue(ctx_, "has() through a non-message");
  }
  const FieldDef& def = *in.field;
  const absl::string_view path = PathOf(base.path, def.name);
  bool set = false;
  if (base.kind == VKind::kMessage) {
    const FactSlot& slot = base.record->slot(def.index);
    set = !slot.values.empty();
    if (set && !def.type.is_list && !def.has_presence &&
        def.type.kind != TypeKind::kMessage) {
      FrameValue v;
      // A value of the wrong kind counts as set, as in the reference.
      if (ScalarToValue(slot.values[0], def.type, &v)) set = !IsZeroValue(v);
    }
  }
  if (trace_ != nullptr) trace_->Read(path, set ? "set" : "unset");
  return BoolValue(set);
}

FrameValue Machine::List(int32_t n) {
  FrameValue* elems = s_.arena.Allocate(n);
  sp_ -= n;
  for (int32_t i = 0; i < n; ++i) elems[i] = stack_[sp_ + i];
  bool unknown = false;
  for (int32_t i = 0; i < n; ++i) {
    if (elems[i].kind == VKind::kError) return elems[i];
    if (elems[i].bounded && elems[i].bound_failed) {
      return atom_vm_internal::OpenResult(elems[i], ctx_);
    }
    unknown |= IsUnknown(elems[i]);
  }
  if (unknown) return FrameValue();
  FrameValue list;
  list.kind = VKind::kList;
  list.size = n;
  list.elems = elems;
  return list;
}

FrameValue Machine::Size(const FrameValue& v) {
  if (!v.known()) return v;
  if (v.kind == VKind::kString) {
    return IntValue(atom_vm_internal::CodePoints(v.s));
  }
  if (v.kind == VKind::kList) return IntValue(v.size);
  return ErrorValue(ctx_, "size() of a non-list, non-string");
}

FrameValue Machine::MentionsOf(const FrameValue& text,
                               const FrameValue& phrase) {
  if (text.kind == VKind::kError) return text;
  if (phrase.kind == VKind::kError) return phrase;
  if (IsUnknown(text) || IsUnknown(phrase)) return FrameValue();
  if (text.kind != VKind::kString || phrase.kind != VKind::kString) {
    return ErrorValue(ctx_, "mentions() needs strings");
  }
  return BoolValue(atom_vm_internal::Mentions(text.s, phrase.s));
}

// mentions() of a constant phrase: the text is split into words once per
// run (WordsOf), and the phrase's word keys are sought in that sequence.
FrameValue Machine::Mention(const FrameValue& text, const AtomPhrase& phrase) {
  if (text.kind == VKind::kError) return text;
  if (IsUnknown(text)) return FrameValue();
  if (text.kind != VKind::kString) {
    return ErrorValue(ctx_, "mentions() needs strings");
  }
  const int32_t n = static_cast<int32_t>(phrase.keys.size());
  if (n == 0) return BoolValue(false);
  const AtomScratch::Text& words = WordsOf(text.s);
  const AtomScratch::Word* w = s_.words.data() + words.first;
  for (int32_t i = 0; i + n <= words.count; ++i) {
    int32_t k = 0;
    while (k < n && w[i + k].key == phrase.keys[k] &&
           static_cast<int32_t>(w[i + k].length) == phrase.lengths[k] &&
           (phrase.lengths[k] <= 8 ||
            atom_vm_internal::SameLowerWord(
                text.s.substr(w[i + k].begin, w[i + k].length),
                absl::string_view(phrase.folded)
                    .substr(phrase.offsets[k], phrase.lengths[k])))) {
      ++k;
    }
    if (k == n) return BoolValue(true);
  }
  return BoolValue(false);
}

// The words of `text` as mentions() splits them, computed on the first
// mentions() of that text in this run. Texts are told apart by where they
// are: within one run a text's bytes do not move or change.
const AtomScratch::Text& Machine::WordsOf(absl::string_view text) {
  for (const AtomScratch::Text& t : s_.texts) {
    if (t.data == text.data() && t.size == text.size()) return t;
  }
  AtomScratch::Text t;
  t.data = text.data();
  t.size = text.size();
  t.first = static_cast<int32_t>(s_.words.size());
  const char* limit = text.data() + text.size();
  word_scanner::ForEachWord(text, [&](size_t begin, size_t end) {
    AtomScratch::Word w;
    w.key = word_scanner::WordKey(text.data() + begin, end - begin, limit);
    w.begin = static_cast<uint32_t>(begin);
    w.length = static_cast<uint32_t>(end - begin);
    s_.words.push_back(w);
  });
  t.count = static_cast<int32_t>(s_.words.size()) - t.first;
  s_.texts.push_back(t);
  return s_.texts.back();
}

// `element in <constant list>`: ApplyBinary's answer, with a string or enum
// operand looked up in the prepared set rather than compared with each
// element (an enum equals a string that is its value's name; enums compare
// by number).
FrameValue Machine::InSet(const FrameValue& element, const AtomSet& set) {
  if (element.bounded || set.kind == AtomSet::Kind::kOther) {
    return element.bounded ? atom_vm_internal::ApplyBounded(Op::kIn, element,
                                                            set.list, ctx_)
                           : atom_vm_internal::ApplyBinary(Op::kIn, element,
                                                           set.list, ctx_);
  }
  if (element.kind == VKind::kError) {
    FrameValue out = element;
    out.path = {};
    return out;
  }
  if (IsUnknown(element)) return FrameValue();
  if (element.kind == VKind::kString) {
    return BoolValue(set.strings.contains(element.s));
  }
  if (element.kind != VKind::kEnum) return BoolValue(false);
  if (set.kind == AtomSet::Kind::kEnums) {
    return BoolValue(set.numbers.contains(element.i));
  }
  if (element.ref < 0 || element.ref >= schema_.enum_count()) {
    return BoolValue(false);
  }
  const std::string* name =
      schema_.enum_type(element.ref).NameOf(static_cast<int32_t>(element.i));
  return BoolValue(name != nullptr && set.strings.contains(*name));
}

FrameValue Machine::Parse(const FrameValue& text, const AtomInstr& in) {
  if (!text.known() || text.kind != VKind::kString) return text;
  FrameValue v;
  if (in.function == Function::kTimestamp) {
    v.kind = VKind::kTime;
    if (ParseTimestampText(text.s, &v.t)) return v;
  } else {
    v.kind = VKind::kDuration;
    if (ParseDurationText(text.s, &v.dur)) return v;
  }
  if (trace_ == nullptr) return ErrorValue(ctx_, "");
  return ErrorValue(
      ctx_, absl::StrCat(
                "invalid ",
                in.function == Function::kTimestamp ? "timestamp" : "duration",
                " text ", DisplayString(text.s), " in '", *ctx_.text, "'"));
}

// fired(), concern_score(), concern_level(), total_score(): each records a
// reading named by the call, e.g. (`fired("cse.*")`, "true"); their
// three-valued contract is PolicyInputs's.
// `in.text` is the function's name, `in.a` the enum type of a level (else
// -1).
FrameValue Machine::Policy(const AtomInstr& in) {
  if (in.function == Function::kGrade || in.function == Function::kPrompt ||
      in.function == Function::kAction) {
    return Answer(in);
  }
  const bool total = in.function == Function::kTotalScore;
  if (policy_ == nullptr) {
    if (!total) Pop();
    if (trace_ == nullptr) return ErrorValue(ctx_, "");
    return ErrorValue(ctx_,
                      absl::StrCat(*ctx_.text, "() outside the policy stage"));
  }
  std::string* path = s_.strings.Next();
  if (total) {
    path->assign("total_score()");
    return Bound(in, policy_->total_score, *path);
  }
  const FrameValue arg = Pop();
  if (arg.kind == VKind::kError || IsUnknown(arg)) return arg;
  absl::StrAppend(path, *ctx_.text, "(", DisplayString(arg.s), ")");
  if (in.function == Function::kFired) return Fired(arg.s, *path);
  static const PolicyBound kZero = PolicyBound::Known(0);
  for (const PolicyInputs::Concern& c : policy_->concerns) {
    if (c.name != arg.s) continue;
    return Bound(in, in.function == Function::kConcernScore ? c.score : c.level,
                 *path);
  }
  return Bound(in, kZero, *path);
}

// grade(), prompt(), action() at the answer stage (invariants): the final
// grade's rank read as its name, a prompt's answer rank read as its name,
// whether the answer takes an action.
FrameValue Machine::Answer(const AtomInstr& in) {
  const bool grade = in.function == Function::kGrade;
  if (policy_ == nullptr || !policy_->answer.has_value()) {
    if (!grade) Pop();
    if (trace_ == nullptr) return ErrorValue(ctx_, "");
    return ErrorValue(ctx_,
                      absl::StrCat(*ctx_.text, "() outside the answer stage"));
  }
  const PolicyInputs::Answer& answer = *policy_->answer;
  if (grade) {
    if (trace_ != nullptr) trace_->Read("grade()", answer.grade_name);
    return IntValue(answer.grade);
  }
  const FrameValue arg = Pop();
  if (arg.kind == VKind::kError || IsUnknown(arg)) return arg;
  std::string* path = s_.strings.Next();
  absl::StrAppend(path, *ctx_.text, "(", DisplayString(arg.s), ")");
  if (in.function == Function::kAction) {
    const bool present =
        std::binary_search(answer.actions.begin(), answer.actions.end(), arg.s);
    if (trace_ != nullptr) trace_->Read(*path, present ? "true" : "false");
    return BoolValue(present);
  }
  int64_t rank = -1;  // a prompt the answer does not name has no answer
  for (const auto& [name, r] : answer.prompts) {
    if (name == arg.s) rank = r;
  }
  const int64_t count = static_cast<int64_t>(std::size(kPromptAnswers));
  if (rank < 0 || rank >= count) {
    if (trace_ == nullptr) return ErrorValue(ctx_, "");
    return ErrorValue(ctx_, absl::StrCat("no answer for prompt ", arg.s));
  }
  if (trace_ != nullptr) trace_->Read(*path, kPromptAnswers[rank]);
  return IntValue(rank);
}

FrameValue Machine::Fired(absl::string_view pattern, absl::string_view path) {
  const PolicyRule* errored = nullptr;
  bool blocked = false;
  for (const PolicyRule& rule : policy_->rules) {
    if (!FiredPatternMatches(rule.id, pattern)) continue;
    if (rule.truth == Truth::kTrue) {
      if (trace_ != nullptr) trace_->Read(path, "true");
      return BoolValue(true);
    }
    if (rule.truth == Truth::kError && errored == nullptr) errored = &rule;
    blocked |= rule.truth == Truth::kUnknown;
  }
  if (errored != nullptr) {
    if (trace_ == nullptr) return ErrorValue(ctx_, "");
    trace_->Read(path, "error");
    return ErrorValue(ctx_, absl::StrCat(path, ": rule '", errored->id,
                                         "' failed: ", errored->error));
  }
  if (blocked) {
    if (trace_ != nullptr) {
      trace_->Read(path, "unknown");
      for (const PolicyRule& rule : policy_->rules) {
        if (rule.truth == Truth::kUnknown &&
            FiredPatternMatches(rule.id, pattern)) {
          trace_->MarkUnknown(rule.unknown_paths);
        }
      }
    }
    return UnknownValue();
  }
  if (trace_ != nullptr) trace_->Read(path, "false");
  return BoolValue(false);
}

// A score or level: its value when known, else a bounded unknown reading
// "unknown in [low, high]" and naming the bound's unknown paths.
FrameValue Machine::Bound(const AtomInstr& in, const PolicyBound& bound,
                          absl::string_view path) {
  const auto at = [&](int64_t n) {
    FrameValue v = IntValue(n);
    if (in.a >= 0) {
      v.kind = VKind::kEnum;
      v.ref = in.a;
    }
    return v;
  };
  if (bound.known()) {
    FrameValue out = at(bound.low);
    Read(path, out);
    return out;
  }
  FrameValue out;
  out.bounded = true;
  out.i = bound.low;
  out.high = bound.high;
  out.ref = in.a;
  out.bound_failed = !bound.error.empty();
  if (trace_ != nullptr) {
    trace_->Read(
        path,
        absl::StrCat("unknown in [", DisplayFrameValue(at(bound.low), schema_),
                     ", ", DisplayFrameValue(at(bound.high), schema_), "]"));
    trace_->MarkUnknown(bound.unknown_paths);
    if (out.bound_failed) {
      out.error = s_.strings.Save(absl::StrCat(path, ": ", bound.error));
    }
  }
  return out;
}

int32_t Machine::BeginLoop(const AtomInstr& in, int32_t pc) {
  FrameValue& list = Top();
  if (!list.known()) return in.a;  // stays on the stack as the answer
  if (list.kind != VKind::kList) {
    list = ErrorValue(ctx_, "comprehension over a non-list");
    return in.a;
  }
  if (list.size == 0) {
    static const AtomScratch::Loop kNoElements{};
    list = Combine(in.function, kNoElements);
    return in.a;
  }
  s_.loops.emplace_back();
  AtomScratch::Loop& loop = s_.loops.back();
  loop.list = Pop();
  s_.bindings.emplace_back();
  atom_vm_internal::ElementInto(loop.list, 0, ctx_, &s_.bindings.back());
  return pc + 1;
}

int32_t Machine::EndLoop(const AtomInstr& in, int32_t pc) {
  const FrameValue& result = stack_[--sp_];
  AtomScratch::Loop& loop = s_.loops.back();
  const Truth truth = TruthOf(result);
  if (truth == Truth::kError && loop.error.kind == VKind::kUnknown) {
    loop.error = result.kind == VKind::kError
                     ? result
                     : ErrorValue(ctx_, "comprehension predicate is not bool");
  }
  loop.any_unknown |= truth == Truth::kUnknown;
  loop.any_true |= truth == Truth::kTrue;
  loop.any_false |= truth == Truth::kFalse;
  loop.trues += truth == Truth::kTrue;
  if (++loop.index < loop.list.size) {
    atom_vm_internal::ElementInto(loop.list, loop.index, ctx_,
                                  &s_.bindings.back());
    return in.a;
  }
  s_.bindings.pop_back();
  Push(Combine(in.function, loop));
  s_.loops.pop_back();
  return pc + 1;
}

// exists: as ||; all: as &&; count: TRUE elements, unless any element is
// ERROR (the first one's) or UNKNOWN.
FrameValue Machine::Combine(Function function, const AtomScratch::Loop& loop) {
  if (function == Function::kExists && loop.any_true) return BoolValue(true);
  if (function == Function::kAll && loop.any_false) return BoolValue(false);
  if (loop.error.kind == VKind::kError) return loop.error;
  if (loop.any_unknown) return FrameValue();
  if (function == Function::kCount) return IntValue(loop.trues);
  if (function == Function::kExists) return BoolValue(false);
  if (function == Function::kAll) return BoolValue(true);
  return ErrorValue(ctx_, "unknown comprehension");
}

}  // namespace

FrameValue RunAtomValue(const AtomCode& code, int32_t atom,
                        const FactSchema& schema, const FrameValue* frame,
                        AtomScratch* scratch, AtomTrace* trace,
                        const PolicyInputs* policy) {
  scratch->bindings.clear();
  scratch->loops.clear();
  scratch->texts.clear();
  scratch->words.clear();
  scratch->arena.Reset();
  scratch->strings.Reset();
  Machine machine(code, schema, frame, scratch, trace, policy);
  return machine.Run(code.begin[atom], code.begin[atom + 1]);
}

Truth RunAtom(const AtomCode& code, int32_t atom, const FactSchema& schema,
              const FrameValue* frame, AtomScratch* scratch, AtomTrace* trace,
              const PolicyInputs* policy) {
  const FrameValue result =
      RunAtomValue(code, atom, schema, frame, scratch, trace, policy);
  const Truth truth = TruthOf(result);
  if (trace != nullptr && truth == Truth::kError) {
    trace->error = result.kind == VKind::kError && !result.error.empty()
                       ? std::string(result.error)
                       : "condition is not bool";
  }
  return truth;
}

}  // namespace lantern
