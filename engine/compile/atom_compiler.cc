// Compiles one atom into VM code: entry point CompileAtom
// (engine/match/atom_vm.h).
//
// A post-order walk of the checked tree that emits, for every node, exactly
// the evaluation the reference evaluator performs for it, in the same order
// (so a traced run records the same readings in the same order): operands
// left to right, only the arguments a built-in actually evaluates, has()
// without evaluating its path, a comprehension's list then its body inline
// between kCompBegin and kCompEnd. Field paths from the root become frame
// slots (value reads, or presence slots for has()), and as_of() a read of
// the frame's as-of slot (traced as the reference records it); paths from a
// comprehension variable stay as field steps, since their records vary per
// element. Literals and constants go to the constant pool.
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/match/atom_vm.h"
#include "engine/match/word_scanner.h"

namespace lantern {
namespace {

class AtomCompiler {
 public:
  AtomCompiler(const SourceText& source, const FactSchema& schema,
               const std::vector<ConstantDef>& constants, FrameLayout* layout,
               AtomCode* code)
      : source_(source),
        schema_(schema),
        constants_(constants),
        layout_(*layout),
        code_(*code) {}

  void Emit(const Expr& e);

 private:
  int32_t Add(AtomInstr in) {
    code_.code.push_back(in);
    return static_cast<int32_t>(code_.code.size() - 1);
  }
  int32_t Text(std::string text) {
    code_.texts.push_back(std::move(text));
    return static_cast<int32_t>(code_.texts.size() - 1);
  }
  int32_t TextOf(const Expr& e) {
    return Text(ConditionText(e, source_, nullptr));
  }
  void Fail(std::string message) {
    AtomInstr in;
    in.code = AtomOp::kFail;
    in.text = Text(std::move(message));
    Add(in);
  }
  void Simple(AtomOp op, int32_t a = 0) {
    AtomInstr in;
    in.code = op;
    in.a = a;
    Add(in);
  }
  FrameValue Literal(const LiteralValue& literal, const Type& type);
  void EmitLiteral(const Expr& e);
  void EmitConstant(const Expr& e);
  void EmitPath(const Expr& e, bool as_base);
  void EmitField(const Expr& select, bool as_base);
  void EmitCall(const Expr& e);
  void EmitHas(const Expr& e);
  void EmitOperator(const Expr& e);
  void EmitComprehension(const Expr& e);
  bool ConstantString(const Expr& e, std::string* out) const;
  bool ConstantList(const Expr& e, FrameValue* out);
  int32_t AddPhrase(absl::string_view phrase);
  int32_t AddSet(const FrameValue& list);
  bool RootChain(const Expr& e, std::vector<int32_t>* fields) const;

  const SourceText& source_;
  const FactSchema& schema_;
  const std::vector<ConstantDef>& constants_;
  FrameLayout& layout_;
  AtomCode& code_;
};

void AtomCompiler::Emit(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return EmitLiteral(e);
    case ExprKind::kIdent:
      if (e.resolution == Resolution::kField ||
          e.resolution == Resolution::kIterVar) {
        return EmitPath(e, /*as_base=*/false);
      }
      if (e.resolution == Resolution::kConstant) return EmitConstant(e);
      return Fail(absl::StrCat("unresolved name '", e.name, "'"));
    case ExprKind::kSelect:
      return EmitPath(e, /*as_base=*/false);
    case ExprKind::kCall:
      return EmitCall(e);
    case ExprKind::kList:
      for (const auto& arg : e.args) Emit(*arg);
      return Simple(AtomOp::kList, static_cast<int32_t>(e.args.size()));
    case ExprKind::kUnary:
    case ExprKind::kBinary:
      return EmitOperator(e);
    case ExprKind::kComprehension:
      return EmitComprehension(e);
  }
  Fail("unknown expression kind");
}

FrameValue AtomCompiler::Literal(const LiteralValue& literal,
                                 const Type& type) {
  FrameValue v;
  if (const auto* b = std::get_if<bool>(&literal)) {
    v.kind = VKind::kBool;
    v.b = *b;
  } else if (const auto* i = std::get_if<int64_t>(&literal)) {
    v.kind = VKind::kInt;
    v.i = *i;
  } else if (const auto* d = std::get_if<double>(&literal)) {
    v.kind = VKind::kDouble;
    v.d = *d;
  } else if (const auto* s = std::get_if<std::string>(&literal)) {
    v.kind = VKind::kString;
    code_.strings.push_back(*s);
    v.s = code_.strings.back();
  } else if (const auto* t = std::get_if<absl::Time>(&literal)) {
    v.kind = VKind::kTime;
    v.t = *t;
  } else if (const auto* dur = std::get_if<absl::Duration>(&literal)) {
    v.kind = VKind::kDuration;
    v.dur = *dur;
  } else if (const auto* e = std::get_if<EnumLiteral>(&literal)) {
    v.kind = VKind::kEnum;
    v.i = e->number;
    v.ref = type.kind == TypeKind::kEnum ? type.ref : -1;
  }
  return v;
}

void AtomCompiler::EmitLiteral(const Expr& e) {
  code_.consts.push_back(Literal(e.literal, e.type));
  Simple(AtomOp::kConst, static_cast<int32_t>(code_.consts.size() - 1));
}

void AtomCompiler::EmitConstant(const Expr& e) {
  if (e.slot < 0 || e.slot >= static_cast<int32_t>(constants_.size())) {
    return Fail(absl::StrCat("no constant '", e.name, "'"));
  }
  const ConstantDef& def = constants_[e.slot];
  const Type element = def.type.Element();
  FrameValue v;
  if (!def.type.is_list) {
    if (def.values.empty()) return Fail("empty constant");
    v = Literal(def.values[0], element);
  } else {
    const int32_t n = static_cast<int32_t>(def.values.size());
    code_.lists.push_back(std::make_unique<FrameValue[]>(n));
    for (int32_t i = 0; i < n; ++i) {
      code_.lists.back()[i] = Literal(def.values[i], element);
    }
    v.kind = VKind::kList;
    v.elem = element;
    v.size = n;
    v.elems = code_.lists.back().get();
  }
  code_.consts.push_back(v);
  Simple(AtomOp::kConst, static_cast<int32_t>(code_.consts.size() - 1));
}

// A path of fields from the root record: `a`, `a.b.c` (fields appended).
bool AtomCompiler::RootChain(const Expr& e,
                             std::vector<int32_t>* fields) const {
  if (e.resolution != Resolution::kField) return false;
  if (e.kind == ExprKind::kIdent) {
    fields->push_back(e.field);
    return true;
  }
  if (e.kind != ExprKind::kSelect || e.args.empty()) return false;
  if (!RootChain(*e.args[0], fields)) return false;
  fields->push_back(e.field);
  return true;
}

void AtomCompiler::EmitPath(const Expr& e, bool as_base) {
  if (e.kind == ExprKind::kIdent && e.resolution == Resolution::kIterVar) {
    return Simple(AtomOp::kVar, e.slot);
  }
  if (e.resolution != Resolution::kField) return Emit(e);
  std::vector<int32_t> fields;
  if (!as_base && RootChain(e, &fields)) {
    return Simple(AtomOp::kSlot,
                  layout_.SlotFor(schema_, fields, SlotDef::Mode::kValue));
  }
  if (e.kind != ExprKind::kSelect || e.args.empty()) return Emit(e);
  EmitPath(*e.args[0], /*as_base=*/true);
  EmitField(e, as_base);
}

void AtomCompiler::EmitField(const Expr& select, bool as_base) {
  const Type base = select.args[0]->type;
  if (base.kind != TypeKind::kMessage || base.is_list || base.ref < 0 ||
      select.field < 0 ||
      select.field >=
          static_cast<int32_t>(schema_.message_type(base.ref).fields.size())) {
    return Fail("field index out of range");
  }
  AtomInstr in;
  in.code = AtomOp::kField;
  in.as_base = as_base;
  in.field = &schema_.message_type(base.ref).fields[select.field];
  in.zero_is_unknown = in.field->type.kind == TypeKind::kEnum &&
                       in.field->type.ref >= 0 &&
                       schema_.enum_type(in.field->type.ref).zero_is_unknown;
  Add(in);
}

void AtomCompiler::EmitCall(const Expr& e) {
  switch (e.function) {
    case Function::kSize:
      if (e.args.empty()) return Fail("size() needs an argument");
      Emit(*e.args[0]);
      return Simple(AtomOp::kSize);
    case Function::kHas:
      return EmitHas(e);
    case Function::kMentions: {
      if (e.args.size() != 2) return Fail("mentions() needs a phrase");
      Emit(*e.args[0]);
      std::string phrase;
      if (ConstantString(*e.args[1], &phrase)) {
        return Simple(AtomOp::kMention, AddPhrase(phrase));
      }
      Emit(*e.args[1]);
      return Simple(AtomOp::kMentions);
    }
    case Function::kTimestamp:
    case Function::kDuration: {
      if (e.args.empty()) return Fail("missing argument");
      Emit(*e.args.back());
      AtomInstr in;
      in.code = AtomOp::kParse;
      in.function = e.function;
      in.text = TextOf(e);
      Add(in);
      return;
    }
    case Function::kAsOf:
      return Simple(AtomOp::kSlot, layout_.AsOfSlot());
    case Function::kFired:
    case Function::kConcernScore:
    case Function::kConcernLevel:
    case Function::kTotalScore:
    case Function::kGrade:
    case Function::kPrompt:
    case Function::kAction: {
      if (e.function != Function::kTotalScore &&
          e.function != Function::kGrade) {
        if (e.args.empty()) return Fail("missing argument");
        Emit(*e.args.back());
      }
      AtomInstr in;
      in.code = AtomOp::kPolicy;
      in.function = e.function;
      in.a = e.type.kind == TypeKind::kEnum ? e.type.ref : -1;
      in.text = Text(e.name);
      Add(in);
      return;
    }
    default:
      return Fail(absl::StrCat("unsupported function '", e.name, "'"));
  }
}

void AtomCompiler::EmitHas(const Expr& e) {
  if (e.args.empty()) return Fail("has() needs an argument");
  const Expr& arg = *e.args[0];
  if (arg.resolution != Resolution::kField ||
      (arg.kind == ExprKind::kSelect && arg.args.empty())) {
    return Fail("has() needs a field path");
  }
  std::vector<int32_t> fields;
  if (RootChain(arg, &fields)) {
    return Simple(AtomOp::kPresence,
                  layout_.SlotFor(schema_, fields, SlotDef::Mode::kPresence));
  }
  EmitPath(*arg.args[0], /*as_base=*/true);
  const Type base = arg.args[0]->type;
  if (base.kind != TypeKind::kMessage || base.is_list || base.ref < 0) {
    return Fail("has() through a non-message");
  }
  AtomInstr in;
  in.code = AtomOp::kHasField;
  in.field = &schema_.message_type(base.ref).fields[arg.field];
  Add(in);
}

void AtomCompiler::EmitOperator(const Expr& e) {
  const size_t want = e.kind == ExprKind::kUnary ? 1 : 2;
  if (e.args.size() < want || (want == 2 && e.args.size() != 2)) {
    return Fail("missing operand");
  }
  AtomInstr in;
  in.code = want == 1 ? AtomOp::kUnary : AtomOp::kBinary;
  in.op = e.op;
  FrameValue list;
  if (e.kind == ExprKind::kBinary && e.op == Op::kIn &&
      ConstantList(*e.args[1], &list)) {
    // A constant list's evaluation reads nothing and cannot fail.
    Emit(*e.args[0]);
    in.code = AtomOp::kInSet;
    in.a = AddSet(list);
  } else {
    for (size_t i = 0; i < want; ++i) Emit(*e.args[i]);
  }
  in.text = TextOf(e);
  Add(in);
}

// A string literal, or a ruleset constant holding one.
bool AtomCompiler::ConstantString(const Expr& e, std::string* out) const {
  const LiteralValue* value = nullptr;
  if (e.kind == ExprKind::kLiteral) {
    value = &e.literal;
  } else if (e.kind == ExprKind::kIdent &&
             e.resolution == Resolution::kConstant && e.slot >= 0 &&
             e.slot < static_cast<int32_t>(constants_.size()) &&
             !constants_[e.slot].type.is_list &&
             constants_[e.slot].values.size() == 1) {
    value = &constants_[e.slot].values[0];
  }
  const auto* s = value == nullptr ? nullptr : std::get_if<std::string>(value);
  if (s == nullptr) return false;
  *out = *s;
  return true;
}

// A list constant, or a list literal of literals: its value, as kConst
// would push it.
bool AtomCompiler::ConstantList(const Expr& e, FrameValue* out) {
  if (e.kind == ExprKind::kIdent && e.resolution == Resolution::kConstant &&
      e.slot >= 0 && e.slot < static_cast<int32_t>(constants_.size()) &&
      constants_[e.slot].type.is_list) {
    const ConstantDef& def = constants_[e.slot];
    const Type element = def.type.Element();
    const int32_t n = static_cast<int32_t>(def.values.size());
    code_.lists.push_back(std::make_unique<FrameValue[]>(n));
    for (int32_t i = 0; i < n; ++i) {
      code_.lists.back()[i] = Literal(def.values[i], element);
    }
    out->kind = VKind::kList;
    out->elem = element;
    out->size = n;
    out->elems = code_.lists.back().get();
    return true;
  }
  if (e.kind != ExprKind::kList) return false;
  for (const auto& arg : e.args) {
    if (arg->kind != ExprKind::kLiteral) return false;
  }
  const int32_t n = static_cast<int32_t>(e.args.size());
  code_.lists.push_back(std::make_unique<FrameValue[]>(n));
  for (int32_t i = 0; i < n; ++i) {
    code_.lists.back()[i] = Literal(e.args[i]->literal, e.args[i]->type);
  }
  out->kind = VKind::kList;
  out->size = n;
  out->elems = code_.lists.back().get();
  return true;
}

int32_t AtomCompiler::AddPhrase(absl::string_view phrase) {
  AtomPhrase p;
  const char* limit = phrase.data() + phrase.size();
  word_scanner::ForEachWord(phrase, [&](size_t begin, size_t end) {
    const absl::string_view word = phrase.substr(begin, end - begin);
    p.keys.push_back(word_scanner::WordKey(word.data(), word.size(), limit));
    p.lengths.push_back(static_cast<int32_t>(word.size()));
    p.offsets.push_back(static_cast<int32_t>(p.folded.size()));
    p.folded.append(absl::AsciiStrToLower(word));
  });
  code_.phrases.push_back(std::move(p));
  return static_cast<int32_t>(code_.phrases.size() - 1);
}

// The set of a constant list's elements when they are all strings or all
// enums (AtomSet).
int32_t AtomCompiler::AddSet(const FrameValue& list) {
  AtomSet set;
  set.list = list;
  bool strings = list.size > 0, enums = list.size > 0;
  for (int32_t i = 0; i < list.size; ++i) {
    strings &= list.elems[i].kind == VKind::kString;
    enums &= list.elems[i].kind == VKind::kEnum;
  }
  if (strings) {
    set.kind = AtomSet::Kind::kStrings;
    for (int32_t i = 0; i < list.size; ++i) set.strings.insert(list.elems[i].s);
  } else if (enums) {
    set.kind = AtomSet::Kind::kEnums;
    for (int32_t i = 0; i < list.size; ++i) {
      const FrameValue& e = list.elems[i];
      set.numbers.insert(e.i);
      if (e.ref < 0 || e.ref >= schema_.enum_count()) continue;
      const std::string* name =
          schema_.enum_type(e.ref).NameOf(static_cast<int32_t>(e.i));
      if (name == nullptr) continue;
      code_.strings.push_back(*name);
      set.strings.insert(code_.strings.back());
    }
  }
  code_.sets.push_back(std::move(set));
  return static_cast<int32_t>(code_.sets.size() - 1);
}

void AtomCompiler::EmitComprehension(const Expr& e) {
  if (e.args.size() != 2) return Fail("malformed comprehension");
  Emit(*e.args[0]);
  AtomInstr begin;
  begin.code = AtomOp::kCompBegin;
  begin.function = e.function;
  const int32_t begin_at = Add(begin);
  Emit(*e.args[1]);
  AtomInstr end;
  end.code = AtomOp::kCompEnd;
  end.function = e.function;
  end.a = begin_at + 1;
  const int32_t end_at = Add(end);
  code_.code[begin_at].a = end_at + 1;
}

}  // namespace

int32_t CompileAtom(const Expr& atom, const SourceText& source,
                    const FactSchema& schema,
                    const std::vector<ConstantDef>& constants,
                    FrameLayout* layout, AtomCode* code) {
  if (code->begin.empty()) code->begin.push_back(0);
  AtomCompiler compiler(source, schema, constants, layout, code);
  compiler.Emit(atom);
  code->begin.push_back(static_cast<int32_t>(code->code.size()));
  return code->atom_count() - 1;
}

}  // namespace lantern
