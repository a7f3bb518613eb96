// The value-level interpreter of the reference evaluator.
//
// Entry point: ValueInterpreter::Eval, a recursive walk over one checked
// subtree (an atom, or a whole value expression) that evaluates every node
// (no short-circuit) and records every fact it reads in a ReadTrace.
//
// Field paths are walked step by step from the root record or a
// comprehension variable. A step that reaches an unset message hands on a
// kAbsent marker instead of recording it, so the read that finally consumes
// the path records the full path ("child.age_years", not "child") as
// "unset" and UNKNOWN. Set messages are navigation and record nothing;
// scalars and repeated fields record their display value. A singular field
// without presence whose slot is empty reads its type's zero value.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/reference/internal/evaluator_value.h"

namespace lantern {
namespace evaluator_internal {
namespace {

bool IsUnknown(const Value& v) {
  return v.kind == ValueKind::kUnknown || v.kind == ValueKind::kAbsent;
}

// A settled operand (ERROR or UNKNOWN) that decides a function's result, or
// nullptr when `v` is known.
const Value* Unsettled(const Value& v) { return v.known() ? nullptr : &v; }

Value ZeroOf(const Type& type) {
  switch (type.kind) {
    case TypeKind::kBool:
      return Value::Bool(false);
    case TypeKind::kInt:
      return Value::Int(0);
    case TypeKind::kDouble:
      return Value::Double(0);
    case TypeKind::kString:
      return Value::String("");
    case TypeKind::kTimestamp:
      return Value::Time(absl::UnixEpoch());
    case TypeKind::kDuration:
      return Value::Duration(absl::ZeroDuration());
    case TypeKind::kEnum:
      return Value::Enum(0, type.ref);
    default:
      return Value::Unknown();
  }
}

// Converts a stored scalar; ERROR when it does not hold the field's kind.
Value FromScalar(const FactScalar& scalar, const Type& type,
                 const std::string& path) {
  Value v;
  if (const auto* b = std::get_if<bool>(&scalar)) v = Value::Bool(*b);
  if (const auto* i = std::get_if<int64_t>(&scalar)) v = Value::Int(*i);
  if (const auto* d = std::get_if<double>(&scalar)) v = Value::Double(*d);
  if (const auto* s = std::get_if<std::string>(&scalar)) v = Value::String(*s);
  if (const auto* t = std::get_if<absl::Time>(&scalar)) v = Value::Time(*t);
  if (const auto* d = std::get_if<absl::Duration>(&scalar)) {
    v = Value::Duration(*d);
  }
  if (const auto* e = std::get_if<EnumNumber>(&scalar)) {
    v = Value::Enum(e->number, type.ref);
  }
  if (const auto* m = std::get_if<std::unique_ptr<FactRecord>>(&scalar)) {
    if (*m != nullptr) {
      v.kind = ValueKind::kMessage;
      v.record = m->get();
      v.ref = type.ref;
    }
  }
  v.path = path;
  const bool fits = type.kind == TypeKind::kMessage
                        ? v.kind == ValueKind::kMessage
                        : ZeroOf(type.Element()).kind == v.kind;
  if (fits) return v;
  return Value::Error(absl::StrCat("fact '", path, "' does not hold a ",
                                   TypeName(type.Element(), nullptr)));
}

bool IsZero(const Value& v) {
  switch (v.kind) {
    case ValueKind::kBool:
      return !v.b;
    case ValueKind::kInt:
    case ValueKind::kEnum:
      return v.i == 0;
    case ValueKind::kDouble:
      return v.d == 0;
    case ValueKind::kString:
      return v.s.empty();
    case ValueKind::kTime:
      return v.t == absl::UnixEpoch();
    case ValueKind::kDuration:
      return v.dur == absl::ZeroDuration();
    default:
      return false;
  }
}

// Unicode code points in UTF-8 text: bytes that are not continuation bytes.
int64_t CodePoints(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// `pattern` is a rule id or "prefix.*".
bool MatchesPattern(const std::string& id, const std::string& pattern) {
  if (absl::EndsWith(pattern, ".*")) {
    return absl::StartsWith(
        id, absl::string_view(pattern).substr(0, pattern.size() - 1));
  }
  return id == pattern;
}

// "a.b" + "c" → "a.b.c"; root fields start the path.
std::string StepPath(const std::string& base, const std::string& name) {
  return base.empty() ? name : absl::StrCat(base, ".", name);
}

const PolicyInputs::Concern* FindConcern(const PolicyInputs& inputs,
                                         const std::string& name) {
  for (const PolicyInputs::Concern& c : inputs.concerns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

Value ValueInterpreter::Root() const {
  Value root;
  root.kind = ValueKind::kMessage;
  root.record = &facts_;
  root.ref = schema_.root();
  return root;
}

const FieldDef* ValueInterpreter::FieldOf(const Value& message,
                                          int32_t field) const {
  if (message.ref < 0 || message.ref >= schema_.message_count()) return nullptr;
  const MessageType& type = schema_.message_type(message.ref);
  if (field < 0 || field >= static_cast<int32_t>(type.fields.size())) {
    return nullptr;
  }
  return &type.fields[field];
}

std::string ValueInterpreter::TextOf(const Expr& expr) const {
  return ConditionText(expr, source_, nullptr);
}

Value ValueInterpreter::Eval(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kLiteral:
      return FromLiteral(expr.literal, expr.type);
    case ExprKind::kIdent:
      return EvalIdent(expr);
    case ExprKind::kSelect:
      return EvalPath(expr, /*as_base=*/false);
    case ExprKind::kCall:
      return EvalCall(expr);
    case ExprKind::kList:
      return EvalList(expr);
    case ExprKind::kUnary:
      return EvalUnary(expr);
    case ExprKind::kBinary:
      return EvalBinary(expr);
    case ExprKind::kComprehension:
      return EvalComprehension(expr);
  }
  return Value::Error("unknown expression kind");
}

Value ValueInterpreter::EvalIdent(const Expr& expr) {
  switch (expr.resolution) {
    case Resolution::kField:
    case Resolution::kIterVar:
      return EvalPath(expr, /*as_base=*/false);
    case Resolution::kConstant:
      return EvalConstant(expr);
    default:
      return Value::Error(absl::StrCat("unresolved name '", expr.name, "'"));
  }
}

Value ValueInterpreter::EvalConstant(const Expr& expr) {
  if (constants_ == nullptr || expr.slot < 0 ||
      expr.slot >= static_cast<int32_t>(constants_->size())) {
    return Value::Error(absl::StrCat("no constant '", expr.name, "'"));
  }
  const ConstantDef& def = (*constants_)[expr.slot];
  const Type element = def.type.Element();
  if (!def.type.is_list) {
    if (def.values.empty()) return Value::Error("empty constant");
    return FromLiteral(def.values[0], element);
  }
  Value list;
  list.kind = ValueKind::kList;
  list.element_type = element;
  for (const LiteralValue& v : def.values) {
    list.elements.push_back(FromLiteral(v, element));
  }
  return list;
}

Value ValueInterpreter::EvalPath(const Expr& expr, bool as_base) {
  if (expr.kind == ExprKind::kIdent &&
      expr.resolution == Resolution::kIterVar) {
    const int32_t depth = static_cast<int32_t>(bindings_.size());
    if (expr.slot < 0 || expr.slot >= depth) {
      return Value::Error(absl::StrCat("unbound variable '", expr.name, "'"));
    }
    return bindings_[depth - 1 - expr.slot];
  }
  if (expr.resolution != Resolution::kField) return Eval(expr);
  if (expr.kind == ExprKind::kIdent) {
    return ReadField(Root(), expr.field, as_base);
  }
  if (expr.kind != ExprKind::kSelect || expr.args.empty()) return Eval(expr);
  const Value base = EvalPath(*expr.args[0], /*as_base=*/true);
  return ReadField(base, expr.field, as_base);
}

Value ValueInterpreter::ReadField(const Value& message, int32_t field,
                                  bool as_base) {
  if (message.kind == ValueKind::kError ||
      message.kind == ValueKind::kUnknown) {
    return message;
  }
  if (message.kind != ValueKind::kAbsent &&
      (message.kind != ValueKind::kMessage || message.record == nullptr)) {
    return Value::Error("field read on a non-message");
  }
  const FieldDef* found = FieldOf(message, field);
  if (found == nullptr) return Value::Error("field index out of range");
  const FieldDef& def = *found;
  const std::string path = StepPath(message.path, def.name);
  const bool singular_message =
      !def.type.is_list && def.type.kind == TypeKind::kMessage;
  const FactSlot* slot = message.kind == ValueKind::kAbsent
                             ? nullptr
                             : &message.record->slot(field);
  if (slot != nullptr && def.type.is_list) return ReadList(def, *slot, path);
  if (slot != nullptr && !slot->values.empty()) {
    return ReadScalar(def, slot->values[0], path);
  }
  if (singular_message && as_base) {
    Value absent;  // named in full by the step that reads through it
    absent.kind = ValueKind::kAbsent;
    absent.ref = def.type.ref;
    absent.path = path;
    return absent;
  }
  if (slot == nullptr || singular_message) {
    trace_->ReadUnset(path);
    return Value::Unknown();
  }
  return ReadUnsetScalar(def, path);
}

Value ValueInterpreter::ReadScalar(const FieldDef& def,
                                   const FactScalar& scalar,
                                   const std::string& path) {
  Value v = FromScalar(scalar, def.type, path);
  if (v.kind == ValueKind::kMessage || v.kind == ValueKind::kError) return v;
  if (v.kind == ValueKind::kEnum && v.i == 0 && def.type.ref >= 0 &&
      schema_.enum_type(def.type.ref).zero_is_unknown) {
    trace_->ReadUnset(path);
    return Value::Unknown();
  }
  trace_->Read(path, DisplayValue(v, schema_));
  return v;
}

Value ValueInterpreter::ReadUnsetScalar(const FieldDef& def,
                                        const std::string& path) {
  if (def.has_presence) {
    trace_->ReadUnset(path);
    return Value::Unknown();
  }
  Value zero = ZeroOf(def.type);
  if (zero.kind == ValueKind::kEnum && def.type.ref >= 0 &&
      schema_.enum_type(def.type.ref).zero_is_unknown) {
    trace_->ReadUnset(path);
    return Value::Unknown();
  }
  trace_->Read(path, DisplayValue(zero, schema_));
  return zero;
}

Value ValueInterpreter::ReadList(const FieldDef& def, const FactSlot& slot,
                                 const std::string& path) {
  Value list;
  list.kind = ValueKind::kList;
  list.element_type = def.type.Element();
  list.path = path;
  for (size_t i = 0; i < slot.values.size(); ++i) {
    Value e =
        FromScalar(slot.values[i], def.type, absl::StrCat(path, "[", i, "]"));
    if (e.kind == ValueKind::kError) return e;
    list.elements.push_back(std::move(e));
  }
  trace_->Read(path, DisplayValue(list, schema_));
  return list;
}

Value ValueInterpreter::EvalList(const Expr& expr) {
  Value list;
  list.kind = ValueKind::kList;
  list.element_type = expr.type.Element();
  const Value* unsettled = nullptr;
  for (const auto& arg : expr.args) {
    list.elements.push_back(Eval(*arg));
  }
  // A list literal with an ERROR element is that ERROR; with an UNKNOWN one,
  // UNKNOWN as a whole.
  for (const Value& e : list.elements) {
    if (e.kind == ValueKind::kError) return e;
    if (e.bounded && !e.bound_error.empty()) return OpenResult(e);
    if (IsUnknown(e) && unsettled == nullptr) unsettled = &e;
  }
  if (unsettled != nullptr) return Value::Unknown();
  return list;
}

Value ValueInterpreter::EvalUnary(const Expr& expr) {
  if (expr.args.empty()) return Value::Error("missing operand");
  const Value operand = Eval(*expr.args[0]);
  if (operand.bounded) return OpenResult(operand);
  return ApplyUnary(expr.op, operand, [&] { return TextOf(expr); });
}

Value ValueInterpreter::EvalBinary(const Expr& expr) {
  if (expr.args.size() != 2) return Value::Error("missing operand");
  const Value left = Eval(*expr.args[0]);
  const Value right = Eval(*expr.args[1]);
  if (left.bounded || right.bounded) {
    return ApplyBounded(expr.op, left, right, schema_);
  }
  return ApplyBinary(expr.op, left, right, schema_,
                     [&] { return TextOf(expr); });
}

Value ValueInterpreter::EvalCall(const Expr& expr) {
  switch (expr.function) {
    case Function::kSize:
      if (expr.args.empty()) return Value::Error("size() needs an argument");
      return EvalSize(Eval(*expr.args[0]));
    case Function::kHas:
      return EvalHas(expr);
    case Function::kMentions:
      return EvalMentions(expr);
    case Function::kTimestamp:
    case Function::kDuration:
      return EvalParse(expr);
    case Function::kAsOf:
      return EvalAsOf();
    case Function::kFired:
    case Function::kConcernScore:
    case Function::kConcernLevel:
    case Function::kTotalScore:
      return EvalPolicy(expr);
    case Function::kGrade:
    case Function::kPrompt:
    case Function::kAction:
      return EvalAnswer(expr);
    default:
      return Value::Error(
          absl::StrCat("unsupported function '", expr.name, "'"));
  }
}

Value ValueInterpreter::EvalSize(const Value& operand) {
  if (const Value* settled = Unsettled(operand)) return *settled;
  if (operand.kind == ValueKind::kString) {
    return Value::Int(CodePoints(operand.s));
  }
  if (operand.kind == ValueKind::kList) {
    return Value::Int(static_cast<int64_t>(operand.elements.size()));
  }
  return Value::Error("size() of a non-list, non-string");
}

// has(path): the last step's presence, never UNKNOWN. Records (path,
// "set"/"unset") without making the path unknown.
Value ValueInterpreter::EvalHas(const Expr& expr) {
  if (expr.args.empty()) return Value::Error("has() needs an argument");
  const Expr& arg = *expr.args[0];
  if (arg.resolution != Resolution::kField ||
      (arg.kind == ExprKind::kSelect && arg.args.empty())) {
    return Value::Error("has() needs a field path");
  }
  const Value base = arg.kind == ExprKind::kSelect
                         ? EvalPath(*arg.args[0], /*as_base=*/true)
                         : Root();
  if (base.kind == ValueKind::kError) return base;
  if (base.kind != ValueKind::kAbsent && base.kind != ValueKind::kMessage) {
    return Value::Error("has() through a non-message");
  }
  const FieldDef* def = FieldOf(base, arg.field);
  if (def == nullptr) return Value::Error("field index out of range");
  const std::string path = StepPath(base.path, def->name);
  bool set = false;
  if (base.kind == ValueKind::kMessage) {
    const FactSlot& slot = base.record->slot(arg.field);
    set = !slot.values.empty();
    // Without presence (and not a message), "set" means "not zero".
    if (set && !def->type.is_list && !def->has_presence &&
        def->type.kind != TypeKind::kMessage) {
      set = !IsZero(FromScalar(slot.values[0], def->type, path));
    }
  }
  trace_->Read(path, set ? "set" : "unset");
  return Value::Bool(set);
}

Value ValueInterpreter::EvalMentions(const Expr& expr) {
  if (expr.args.size() != 2) return Value::Error("mentions() needs a phrase");
  const Value text = Eval(*expr.args[0]);
  const Value phrase = Eval(*expr.args[1]);
  Value unknown;
  if (text.kind == ValueKind::kError) return text;
  if (phrase.kind == ValueKind::kError) return phrase;
  if (IsUnknown(text) || IsUnknown(phrase)) return unknown;
  if (text.kind != ValueKind::kString || phrase.kind != ValueKind::kString) {
    return Value::Error("mentions() needs strings");
  }
  return Value::Bool(TextMentions(text.s, phrase.s));
}

// timestamp()/duration() the checker could not fold (non-literal text).
Value ValueInterpreter::EvalParse(const Expr& expr) {
  if (expr.args.empty()) return Value::Error("missing argument");
  const Value text = Eval(*expr.args.back());
  if (const Value* settled = Unsettled(text)) return *settled;
  if (text.kind != ValueKind::kString) return text;  // already converted
  if (expr.function == Function::kTimestamp) {
    absl::Time t;
    if (ParseTimestampText(text.s, &t)) return Value::Time(t);
  } else {
    absl::Duration d;
    if (ParseDurationText(text.s, &d)) return Value::Duration(d);
  }
  return Value::Error(absl::StrCat("invalid ", expr.name, " text ",
                                   JsonQuote(text.s), " in '", TextOf(expr),
                                   "'"));
}

// as_of(): the request's as-of time, recorded as the reading
// ("as_of()", "<RFC 3339>"); never UNKNOWN.
Value ValueInterpreter::EvalAsOf() {
  const Value out = Value::Time(as_of_);
  trace_->Read("as_of()", DisplayValue(out, schema_));
  return out;
}

// fired(), concern_score(), concern_level(), total_score(): each records a
// reading named by the call, e.g. (`fired("cse.*")`, "true"). Their
// three-valued contract is PolicyInputs's (engine/reference/evaluator.h).
Value ValueInterpreter::EvalPolicy(const Expr& expr) {
  if (policy_ == nullptr) {
    return Value::Error(absl::StrCat(expr.name, "() outside the policy stage"));
  }
  if (expr.function == Function::kTotalScore) {
    return EvalBound(expr, policy_->total_score, "total_score()");
  }
  if (expr.args.empty()) return Value::Error("missing argument");
  const Value arg = Eval(*expr.args.back());
  if (const Value* settled = Unsettled(arg)) return *settled;
  const std::string path = absl::StrCat(expr.name, "(", JsonQuote(arg.s), ")");
  if (expr.function == Function::kFired) return EvalFired(arg.s, path);
  static const PolicyBound kZero = PolicyBound::Known(0);
  const PolicyInputs::Concern* concern = FindConcern(*policy_, arg.s);
  if (concern == nullptr) return EvalBound(expr, kZero, path);
  return EvalBound(expr,
                   expr.function == Function::kConcernScore ? concern->score
                                                            : concern->level,
                   path);
}

// TRUE if a matching rule fired; else ERROR if one errored (the first by
// id); else UNKNOWN, naming the matching blocked rules' paths; else FALSE.
Value ValueInterpreter::EvalFired(const std::string& pattern,
                                  const std::string& path) {
  const PolicyRule* errored = nullptr;
  std::vector<const PolicyRule*> blocked;
  for (const PolicyRule& rule : policy_->rules) {
    if (!MatchesPattern(rule.id, pattern)) continue;
    if (rule.truth == Truth::kTrue) {
      trace_->Read(path, "true");
      return Value::Bool(true);
    }
    if (rule.truth == Truth::kError && errored == nullptr) errored = &rule;
    if (rule.truth == Truth::kUnknown) blocked.push_back(&rule);
  }
  if (errored != nullptr) {
    trace_->Read(path, "error");
    return Value::Error(absl::StrCat(path, ": rule '", errored->id,
                                     "' failed: ", errored->error));
  }
  if (!blocked.empty()) {
    trace_->Read(path, "unknown");
    for (const PolicyRule* rule : blocked) {
      trace_->MarkUnknown(rule->unknown_paths);
    }
    return Value::Unknown();
  }
  trace_->Read(path, "false");
  return Value::Bool(false);
}

// A score or level: its value when known, else a bounded unknown reading
// "unknown in [low, high]" and naming the bound's unknown paths.
Value ValueInterpreter::EvalBound(const Expr& expr, const PolicyBound& bound,
                                  const std::string& path) {
  const bool is_enum = expr.type.kind == TypeKind::kEnum;
  auto at = [&](int64_t n) {
    return is_enum ? Value::Enum(n, expr.type.ref) : Value::Int(n);
  };
  if (bound.known()) {
    Value out = at(bound.low);
    trace_->Read(path, DisplayValue(out, schema_));
    return out;
  }
  trace_->Read(
      path, absl::StrCat("unknown in [", DisplayValue(at(bound.low), schema_),
                         ", ", DisplayValue(at(bound.high), schema_), "]"));
  trace_->MarkUnknown(bound.unknown_paths);
  Value out = Value::Unknown();
  out.bounded = true;
  out.bound_kind = is_enum ? ValueKind::kEnum : ValueKind::kInt;
  out.ref = is_enum ? expr.type.ref : -1;
  out.low = bound.low;
  out.high = bound.high;
  if (!bound.error.empty()) {
    out.bound_error = absl::StrCat(path, ": ", bound.error);
  }
  return out;
}

// grade(), prompt(), action(): the final answer, recorded like the policy
// functions but with names for ranks: (`grade()`, "HIGH"),
// (`prompt("nrm")`, "CONSIDER").
Value ValueInterpreter::EvalAnswer(const Expr& expr) {
  if (policy_ == nullptr || !policy_->answer.has_value()) {
    return Value::Error(absl::StrCat(expr.name, "() outside the answer stage"));
  }
  const PolicyInputs::Answer& answer = *policy_->answer;
  if (expr.function == Function::kGrade) {
    trace_->Read("grade()", answer.grade_name);
    return Value::Int(answer.grade);
  }
  if (expr.args.empty()) return Value::Error("missing argument");
  const Value arg = Eval(*expr.args.back());
  if (const Value* settled = Unsettled(arg)) return *settled;
  const std::string path = absl::StrCat(expr.name, "(", JsonQuote(arg.s), ")");
  if (expr.function == Function::kAction) {
    const bool present =
        std::binary_search(answer.actions.begin(), answer.actions.end(), arg.s);
    trace_->Read(path, present ? "true" : "false");
    return Value::Bool(present);
  }
  int64_t rank = -1;  // a prompt the ruleset does not declare has no answer
  for (const auto& [name, r] : answer.prompts) {
    if (name == arg.s) rank = r;
  }
  const int64_t count = static_cast<int64_t>(std::size(kPromptAnswers));
  if (rank < 0 || rank >= count) {
    return Value::Error(absl::StrCat("no answer for prompt ", arg.s));
  }
  trace_->Read(path, kPromptAnswers[rank]);
  return Value::Int(rank);
}

Value ValueInterpreter::EvalComprehension(const Expr& expr) {
  if (expr.args.size() != 2) return Value::Error("malformed comprehension");
  const Value list = Eval(*expr.args[0]);
  if (const Value* settled = Unsettled(list)) return *settled;
  if (list.kind != ValueKind::kList) {
    return Value::Error("comprehension over a non-list");
  }
  std::vector<Value> results;
  for (const Value& element : list.elements) {
    bindings_.push_back(element);
    results.push_back(Eval(*expr.args[1]));
    bindings_.pop_back();
  }
  return CombineElements(expr.function, results);
}

// exists: as ||; all: as &&; count: TRUE elements, unless any element is
// ERROR (the first one's) or UNKNOWN.
Value ValueInterpreter::CombineElements(Function function,
                                        const std::vector<Value>& results) {
  const Value* error = nullptr;
  bool any_unknown = false, any_true = false, any_false = false;
  int64_t trues = 0;
  for (const Value& r : results) {
    const Truth truth = TruthOf(r);
    if (truth == Truth::kError && error == nullptr) error = &r;
    any_unknown |= truth == Truth::kUnknown;
    any_true |= truth == Truth::kTrue;
    any_false |= truth == Truth::kFalse;
    trues += truth == Truth::kTrue;
  }
  if (function == Function::kExists && any_true) return Value::Bool(true);
  if (function == Function::kAll && any_false) return Value::Bool(false);
  if (error != nullptr) {
    if (error->kind == ValueKind::kError) return *error;
    return Value::Error("comprehension predicate is not bool");
  }
  if (any_unknown) return Value::Unknown();
  if (function == Function::kCount) return Value::Int(trues);
  if (function == Function::kExists) return Value::Bool(false);
  if (function == Function::kAll) return Value::Bool(true);
  return Value::Error("unknown comprehension");
}

}  // namespace evaluator_internal
}  // namespace lantern
