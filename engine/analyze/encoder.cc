// Encoder: checked conditions → Z3 terms. See internal/encoder.h; the
// semantics encoded are doc/language.md's, construct by
// construct (the comments name the evaluator's rule each one follows).
#include "engine/analyze/internal/encoder.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace lantern {
namespace analyze_internal {
namespace {

// Words as mentions() splits them: ASCII letters lower-cased, every run of
// characters outside [a-z0-9] a separator.
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    const char l = absl::ascii_tolower(static_cast<unsigned char>(c));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      word.push_back(l);
    } else if (!word.empty()) {
      out.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

// Whether `inner`'s words occur contiguously in `outer`'s.
bool Contains(const std::vector<std::string>& outer,
              const std::vector<std::string>& inner) {
  if (inner.empty() || inner.size() > outer.size()) return false;
  for (size_t i = 0; i + inner.size() <= outer.size(); ++i) {
    if (std::equal(inner.begin(), inner.end(), outer.begin() + i)) return true;
  }
  return false;
}

// A separator no phrase uses, so that joined phrases mention nothing new.
constexpr char kSeparator[] = "zqxzq";

std::string Camel(const std::string& name) {
  std::string out;
  bool up = false;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    out.push_back(up ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c);
    up = false;
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, " ");
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

std::string Indices(const std::string& path) {
  std::string out;
  bool in = false;
  for (char c : path) {
    if (c == '[') in = true;
    if (in) out.push_back(c);
    if (c == ']') in = false;
  }
  return out;
}

void CollectStrings(const Expr& e, std::set<std::string>* out) {
  if (e.kind == ExprKind::kLiteral &&
      std::holds_alternative<std::string>(e.literal)) {
    out->insert(std::get<std::string>(e.literal));
  }
  for (const auto& a : e.args) CollectStrings(*a, out);
}

}  // namespace

std::string StripIndices(const std::string& path) {
  std::string out;
  bool in = false;
  for (char c : path) {
    if (c == '[') in = true;
    if (!in) out.push_back(c);
    if (c == ']') in = false;
  }
  return out;
}

Encoder::Encoder(z3::context* ctx, const RuleSet* ruleset,
                 const AnalysisOptions* opt, const RuleSet* also)
    : ctx_(*ctx),
      ruleset_(ruleset),
      schema_(*ruleset->schema),
      opt_(*opt),
      rulesets_{ruleset} {
  if (also != nullptr) rulesets_.push_back(also);
  std::set<std::string> strings;
  for (const RuleSet* rs : rulesets_) {
    for (const ConstantDef& c : rs->constants) {
      for (const LiteralValue& v : c.values) {
        if (std::holds_alternative<std::string>(v)) {
          strings.insert(std::get<std::string>(v));
        }
      }
    }
    for (const Rule& r : rs->rules) CollectStrings(*r.when.expr, &strings);
  }
  string_literals_.assign(strings.begin(), strings.end());
  string_literals_.push_back("zz_other");
}

Value Encoder::Bool(z3::expr t, z3::expr f) {
  Value v(ctx_);
  v.kind = Value::kBool;
  v.b = {t.simplify(), f.simplify()};
  return v;
}

Value Encoder::Scalar(Value::Kind kind, z3::expr def, z3::expr val) {
  Value v(ctx_);
  v.kind = kind;
  v.def = def;
  v.v = val;
  return v;
}

void Encoder::Touch(const std::string& path) {
  read_.insert(path);
  all_paths_.insert(path);
}

std::set<std::string> Encoder::TakeReadSet() {
  std::set<std::string> out;
  out.swap(read_);
  return out;
}

Var& Encoder::GetVar(const std::string& path, const FieldDef* field,
                     const std::string& parent) {
  auto it = vars_.find(path);
  if (it != vars_.end()) return it->second;
  parent_[path] = parent;
  Var& var = vars_.emplace(path, Var{}).first->second;
  var.path = path;
  var.field = field;
  var.type = field->type;
  const std::string name = path;
  const std::string stripped = StripIndices(path);
  const Type& t = field->type;
  if (t.is_list && t.kind == TypeKind::kMessage) {
    var.length = ctx_.int_const((name + "#len").c_str());
    var.domain.push_back({*var.length >= 0 && *var.length <= opt_.list_bound,
                          absl::StrCat("domain: ", stripped, " has at most ",
                                       opt_.list_bound, " elements")});
    return var;
  }
  if (t.is_list) {
    if (t.kind == TypeKind::kEnum) {
      const EnumType& en = schema_.enum_type(t.ref);
      for (const auto& [n, number] : en.values) {
        if (number == 0 && en.zero_is_unknown) continue;
        var.numbers.push_back(number);
        var.member.push_back(
            ctx_.bool_const(absl::StrCat(name, "#has#", n).c_str()));
      }
    } else if (t.kind == TypeKind::kString) {
      std::set<std::string> codes;
      for (const RuleSet* rs : rulesets_) {
        for (const Catalogue& c : rs->catalogues) {
          for (const CatalogueField& f : c.fields) {
            if (f.path != stripped) continue;
            for (const CatalogueEntry& e : c.entries) codes.insert(e.code);
          }
        }
      }
      if (codes.empty()) {
        codes.insert(string_literals_.begin(), string_literals_.end());
      }
      for (const std::string& code : codes) {
        var.codes.push_back(code);
        var.member.push_back(
            ctx_.bool_const(absl::StrCat(name, "#has#", code).c_str()));
      }
    } else {
      throw Unsupported{absl::StrCat("a repeated ", TypeName(t, &schema_),
                                     " field (", stripped, ")")};
    }
    return var;
  }
  if (t.kind == TypeKind::kMessage || field->has_presence) {
    var.set = ctx_.bool_const((name + "?").c_str());
  }
  switch (t.kind) {
    case TypeKind::kMessage:
      break;
    case TypeKind::kBool:
      var.value = ctx_.bool_const(name.c_str());
      break;
    case TypeKind::kInt: {
      var.value = ctx_.int_const(name.c_str());
      int64_t lo = opt_.domain.int_low, hi = opt_.domain.int_high;
      for (const AnalysisDomain::IntRange& r : opt_.domain.int_ranges) {
        if (r.path == stripped) lo = r.low, hi = r.high;
      }
      var.domain.push_back(
          {*var.value >= ctx_.int_val(lo) && *var.value <= ctx_.int_val(hi),
           absl::StrCat("domain: ", stripped, " in ", lo, "..", hi)});
      break;
    }
    case TypeKind::kDouble: {
      var.value = ctx_.real_const(name.c_str());
      const auto lo = static_cast<int64_t>(opt_.domain.double_low);
      const auto hi = static_cast<int64_t>(opt_.domain.double_high);
      var.domain.push_back(
          {*var.value >= ctx_.real_val(lo) && *var.value <= ctx_.real_val(hi),
           absl::StrCat("domain: ", stripped, " in ", lo, "..", hi)});
      break;
    }
    case TypeKind::kTimestamp:
      var.value = ctx_.int_const(name.c_str());
      var.domain.push_back(
          {*var.value >= ctx_.int_val(opt_.domain.time_low) &&
               *var.value <= ctx_.int_val(opt_.domain.time_high),
           absl::StrCat("domain: ", stripped,
                        " within the years around as_of")});
      break;
    case TypeKind::kDuration:
      var.value = ctx_.int_const(name.c_str());
      var.domain.push_back(
          {*var.value >= ctx_.int_val(-opt_.domain.time_high) &&
               *var.value <= ctx_.int_val(opt_.domain.time_high),
           absl::StrCat("domain: ", stripped, " bounded")});
      break;
    case TypeKind::kEnum: {
      var.value = ctx_.int_const(name.c_str());
      z3::expr_vector any(ctx_);
      for (const auto& [n, number] : schema_.enum_type(t.ref).values) {
        any.push_back(*var.value == number);
      }
      var.domain.push_back({z3::mk_or(any), absl::StrCat("domain: ", stripped,
                                                         " is a named value")});
      break;
    }
    case TypeKind::kString:
      var.nonempty = ctx_.bool_const((name + "#nonempty").c_str());
      break;
    default:
      throw Unsupported{absl::StrCat("a field of type ", TypeName(t, &schema_),
                                     " (", stripped, ")")};
  }
  return var;
}

std::vector<std::pair<z3::expr, std::string>> Encoder::DomainOf(
    const std::set<std::string>& paths) {
  std::vector<std::pair<z3::expr, std::string>> out;
  std::vector<const Var*> times;
  for (const std::string& p : paths) {
    auto it = vars_.find(p);
    if (it == vars_.end()) continue;
    const Var& var = it->second;
    for (const auto& d : var.domain) out.push_back(d);
    if (var.type.kind == TypeKind::kTimestamp && !var.type.is_list) {
      times.push_back(&var);
    }
  }
  // Time orders: between variables both read, when both are known.
  auto known = [&](const Var& v) {
    z3::expr k = v.set.has_value() ? *v.set : ctx_.bool_val(true);
    for (std::string p = parent_[v.path]; !p.empty(); p = parent_[p]) {
      auto it = vars_.find(p);
      if (it != vars_.end() && it->second.set.has_value())
        k = k && *it->second.set;
    }
    return k;
  };
  for (const AnalysisDomain::TimeOrder& o : opt_.domain.time_orders) {
    for (const Var* a : times) {
      if (StripIndices(a->path) != o.earlier) continue;
      for (const Var* b : times) {
        if (StripIndices(b->path) != o.later) continue;
        const std::string ia = Indices(a->path), ib = Indices(b->path);
        if (ia.rfind(ib, 0) != 0 && ib.rfind(ia, 0) != 0) continue;
        const z3::expr order =
            o.strict ? *a->value < *b->value : *a->value <= *b->value;
        out.push_back({z3::implies(known(*a) && known(*b), order),
                       absl::StrCat("domain: ", o.later,
                                    o.strict ? " is after " : " is not before ",
                                    o.earlier)});
      }
    }
  }
  for (const AnalysisDomain::EnumWhenSet& w : opt_.domain.enum_when_set) {
    for (const std::string& p : paths) {
      if (StripIndices(p) != w.path || vars_.count(p) == 0) continue;
      const std::string prefix = p.substr(0, p.size() - w.path.size());
      auto it = vars_.find(prefix + w.enum_path);
      if (it == vars_.end() || paths.count(it->first) == 0) continue;
      const Var& en = it->second;
      if (!en.value.has_value() || en.type.kind != TypeKind::kEnum) continue;
      z3::expr_vector any(ctx_);
      for (const std::string& name : w.allowed) {
        int32_t number = 0;
        if (schema_.enum_type(en.type.ref).NumberOf(name, &number)) {
          any.push_back(*en.value == number);
        }
      }
      out.push_back(
          {z3::implies(known(vars_.at(p)), z3::mk_or(any)),
           absl::StrCat("domain: ", w.path, " set only with ", w.enum_path,
                        " in [", absl::StrJoin(w.allowed, ", "), "]")});
    }
  }
  return out;
}

Value Encoder::Literal(const LiteralValue& lit, const Type& type) {
  if (std::holds_alternative<bool>(lit)) {
    const bool b = std::get<bool>(lit);
    return Bool(ctx_.bool_val(b), ctx_.bool_val(!b));
  }
  if (std::holds_alternative<int64_t>(lit)) {
    return Scalar(Value::kInt, ctx_.bool_val(true),
                  ctx_.int_val(std::get<int64_t>(lit)));
  }
  if (std::holds_alternative<double>(lit)) {
    const double d = std::get<double>(lit);
    const double scaled = d * 1000000.0;
    if (!std::isfinite(d) || scaled != std::floor(scaled) ||
        std::fabs(scaled) > 9e15) {
      throw Unsupported{
          absl::StrCat("the number ", d, " (only millionths are encoded)")};
    }
    return Scalar(Value::kReal, ctx_.bool_val(true),
                  ctx_.real_val(static_cast<int64_t>(scaled), 1000000));
  }
  if (std::holds_alternative<std::string>(lit)) {
    Value v(ctx_);
    v.kind = Value::kStrConst;
    v.s = std::get<std::string>(lit);
    return v;
  }
  if (std::holds_alternative<absl::Time>(lit)) {
    const absl::Duration d = std::get<absl::Time>(lit) - opt_.as_of;
    if (d != absl::Seconds(absl::IDivDuration(d, absl::Seconds(1), nullptr))) {
      throw Unsupported{"a timestamp with fractions of a second"};
    }
    return Scalar(Value::kTime, ctx_.bool_val(true),
                  ctx_.int_val(absl::ToInt64Seconds(d)));
  }
  if (std::holds_alternative<absl::Duration>(lit)) {
    const absl::Duration d = std::get<absl::Duration>(lit);
    if (d != absl::Seconds(absl::ToInt64Seconds(d))) {
      throw Unsupported{"a duration with fractions of a second"};
    }
    return Scalar(Value::kDur, ctx_.bool_val(true),
                  ctx_.int_val(absl::ToInt64Seconds(d)));
  }
  Value v = Scalar(Value::kEnum, ctx_.bool_val(true),
                   ctx_.int_val(std::get<EnumLiteral>(lit).number));
  v.ref = type.ref;
  return v;
}

Tri Encoder::AsTri(const Value& v) {
  if (v.kind != Value::kBool) throw Unsupported{"a non-bool condition"};
  return v.b;
}

Tri Encoder::Condition(const Expr& expr, const PolicyTerms* policy) {
  policy_ = policy;
  bindings_.clear();
  return AsTri(Enc(expr));
}

Value Encoder::Enc(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return Literal(e.literal, e.type);
    case ExprKind::kIdent: {
      if (e.resolution == Resolution::kIterVar) {
        const int depth = static_cast<int>(bindings_.size());
        if (e.slot < 0 || e.slot >= depth)
          throw Unsupported{"unbound variable"};
        return bindings_[depth - 1 - e.slot];
      }
      if (e.resolution == Resolution::kConstant) {
        const std::vector<ConstantDef>& constants =
            policy_ == nullptr ? ruleset_->constants
                               : ruleset_->policy.constants;
        if (e.slot < 0 || e.slot >= static_cast<int>(constants.size())) {
          throw Unsupported{"an unresolved constant"};
        }
        const ConstantDef& def = constants[e.slot];
        if (!def.type.is_list) return Literal(def.values.at(0), def.type);
        Value list(ctx_);
        list.kind = Value::kLitList;
        for (const LiteralValue& v : def.values) {
          list.items.push_back(Literal(v, def.type.Element()));
        }
        return list;
      }
      Value root(ctx_);
      root.kind = Value::kMsg;
      root.ref = schema_.root();
      return EncField(root, e.field);
    }
    case ExprKind::kSelect: {
      const Value base = Enc(*e.args[0]);
      if (base.kind != Value::kMsg)
        throw Unsupported{"a field of a non-message"};
      return EncField(base, e.field);
    }
    case ExprKind::kCall:
      return EncCall(e);
    case ExprKind::kList: {
      Value list(ctx_);
      list.kind = Value::kLitList;
      for (const auto& a : e.args) list.items.push_back(Enc(*a));
      return list;
    }
    case ExprKind::kUnary: {
      Value a = Enc(*e.args[0]);
      if (e.op == Op::kNot) {
        const Tri t = AsTri(a);
        return Bool(t.f, t.t);
      }
      if (a.kind == Value::kBounded) {
        return Scalar(Value::kInt, a.lo == a.hi, -a.lo);
      }
      if (a.kind != Value::kInt && a.kind != Value::kReal &&
          a.kind != Value::kDur) {
        throw Unsupported{"negation of a non-number"};
      }
      return Scalar(a.kind, a.def, -a.v);
    }
    case ExprKind::kBinary:
      return EncBinary(e);
    case ExprKind::kComprehension:
      return EncComprehension(e);
  }
  throw Unsupported{"an unknown expression kind"};
}

Value Encoder::EncField(const Value& base, int32_t field) {
  const MessageType& type = schema_.message_type(base.ref);
  if (field < 0 || field >= static_cast<int32_t>(type.fields.size())) {
    throw Unsupported{"a field index out of range"};
  }
  const FieldDef& def = type.fields[field];
  const std::string path =
      base.path.empty() ? def.name : absl::StrCat(base.path, ".", def.name);
  Var& var = GetVar(path, &def, base.path);
  Touch(path);
  const z3::expr present = base.def;
  const Type& t = def.type;
  Value out(ctx_);
  out.path = path;
  out.ref = t.ref;
  out.elem = t.Element();
  if (t.is_list) {
    out.kind =
        t.kind == TypeKind::kMessage ? Value::kMsgList : Value::kScalarList;
    out.def = present;
    return out;
  }
  z3::expr known = var.set.has_value() ? present && *var.set : present;
  switch (t.kind) {
    case TypeKind::kMessage:
      out.kind = Value::kMsg;
      out.def = known;
      return out;
    case TypeKind::kBool:
      return Bool(known && *var.value, known && !*var.value);
    case TypeKind::kInt:
      return Scalar(Value::kInt, known, *var.value);
    case TypeKind::kDouble:
      return Scalar(Value::kReal, known, *var.value);
    case TypeKind::kTimestamp:
      return Scalar(Value::kTime, known, *var.value);
    case TypeKind::kDuration:
      return Scalar(Value::kDur, known, *var.value);
    case TypeKind::kEnum: {
      // An enum at a zero_is_unknown zero reads UNKNOWN.
      if (schema_.enum_type(t.ref).zero_is_unknown) {
        known = known && *var.value != 0;
      }
      Value v = Scalar(Value::kEnum, known, *var.value);
      v.ref = t.ref;
      return v;
    }
    case TypeKind::kString:
      out.kind = Value::kText;
      out.def = known;
      return out;
    default:
      throw Unsupported{"a field of an unsupported type"};
  }
}

Value Encoder::EncHas(const Expr& e) {
  if (e.args.empty()) throw Unsupported{"has() without an argument"};
  const Expr& arg = *e.args[0];
  Value base(ctx_);
  base.kind = Value::kMsg;
  base.ref = schema_.root();
  if (arg.kind == ExprKind::kSelect) base = Enc(*arg.args[0]);
  if (base.kind != Value::kMsg)
    throw Unsupported{"has() through a non-message"};
  const FieldDef& def = schema_.message_type(base.ref).fields.at(arg.field);
  const std::string path =
      base.path.empty() ? def.name : absl::StrCat(base.path, ".", def.name);
  Var& var = GetVar(path, &def, base.path);
  Touch(path);
  const Type& t = def.type;
  z3::expr set = ctx_.bool_val(false);
  if (t.is_list && t.kind == TypeKind::kMessage) {
    set = *var.length > 0;
  } else if (t.is_list) {
    z3::expr_vector any(ctx_);
    for (const z3::expr& m : var.member) any.push_back(m);
    set = z3::mk_or(any);
  } else if (var.set.has_value()) {
    set = *var.set;
  } else {
    // Without presence, "set" means "not zero".
    switch (t.kind) {
      case TypeKind::kBool:
        set = *var.value;
        break;
      case TypeKind::kInt:
      case TypeKind::kEnum:
        set = *var.value != 0;
        break;
      case TypeKind::kDouble:
        set = *var.value != ctx_.real_val(0);
        break;
      case TypeKind::kString:
        set = *var.nonempty;
        break;
      default:
        throw Unsupported{"has() of a timestamp or duration without presence"};
    }
  }
  const z3::expr t_ = base.def && set;
  return Bool(t_, !t_);
}

Value Encoder::EncCall(const Expr& e) {
  switch (e.function) {
    case Function::kSize: {
      const Value list = Enc(*e.args.at(0));
      if (list.kind == Value::kMsgList) {
        return Scalar(Value::kInt, list.def, *vars_.at(list.path).length);
      }
      if (list.kind != Value::kScalarList && list.kind != Value::kLitList) {
        throw Unsupported{"size() of text"};
      }
      std::vector<z3::expr> in;
      std::vector<Value> elems;
      Elements(list, &in, &elems);
      z3::expr n = ctx_.int_val(0);
      for (const z3::expr& i : in)
        n = n + z3::ite(i, ctx_.int_val(1), ctx_.int_val(0));
      return Scalar(Value::kInt, list.def, n);
    }
    case Function::kHas:
      return EncHas(e);
    case Function::kMentions: {
      const Value text = Enc(*e.args.at(0));
      const Value phrase = Enc(*e.args.at(1));
      if (phrase.kind != Value::kStrConst) {
        throw Unsupported{"mentions() of a phrase that is not a literal"};
      }
      const std::vector<std::string> words = Words(phrase.s);
      if (text.kind == Value::kStrConst) {
        const bool m = Contains(Words(text.s), words);
        return Bool(ctx_.bool_val(m), ctx_.bool_val(!m));
      }
      if (text.kind != Value::kText)
        throw Unsupported{"mentions() of a non-text"};
      if (words.empty()) return Bool(ctx_.bool_val(false), text.def);
      Var& var = vars_.at(text.path);
      const std::string key = absl::StrJoin(words, " ");
      auto it = var.phrases.find(key);
      if (it == var.phrases.end()) {
        z3::expr p =
            ctx_.bool_const(absl::StrCat(text.path, "#says#", key).c_str());
        var.domain.push_back({z3::implies(p, *var.nonempty),
                              "domain: a text that mentions a phrase is set"});
        for (const auto& [other, q] : var.phrases) {
          const std::vector<std::string> ow = Words(other);
          if (Contains(words, ow)) {
            var.domain.push_back(
                {z3::implies(p, q), "domain: phrase in phrase"});
          }
          if (Contains(ow, words)) {
            var.domain.push_back(
                {z3::implies(q, p), "domain: phrase in phrase"});
          }
        }
        it = var.phrases.emplace(key, p).first;
      }
      return Bool(text.def && it->second, text.def && !it->second);
    }
    case Function::kAsOf:
      return Scalar(Value::kTime, ctx_.bool_val(true), ctx_.int_val(0));
    case Function::kFired:
    case Function::kConcernScore:
    case Function::kConcernLevel:
    case Function::kTotalScore:
      return EncPolicy(e);
    case Function::kGrade:
    case Function::kPrompt:
    case Function::kAction:
      return EncAnswer(e);
    default:
      throw Unsupported{absl::StrCat(e.name, "() not folded to a literal")};
  }
}

Value Encoder::EncPolicy(const Expr& e) {
  if (policy_ == nullptr) throw Unsupported{"a policy function in a rule"};
  auto bounded = [&](z3::expr lo, z3::expr hi) {
    Value v(ctx_);
    v.kind = Value::kBounded;
    v.lo = lo;
    v.hi = hi;
    return v;
  };
  if (e.function == Function::kTotalScore) {
    return bounded(*policy_->total_lo, *policy_->total_hi);
  }
  const Value arg = Enc(*e.args.back());
  if (arg.kind != Value::kStrConst) throw Unsupported{"a non-literal argument"};
  if (e.function == Function::kFired) {
    // TRUE if a matching rule fired; FALSE if all are FALSE; else UNKNOWN
    // (no rule the encoding supports can ERROR).
    const std::string& p = arg.s;
    const bool prefix = p.size() >= 2 && p.compare(p.size() - 2, 2, ".*") == 0;
    z3::expr_vector t(ctx_), f(ctx_);
    for (size_t i = 0; i < policy_->rule_ids.size(); ++i) {
      const std::string& id = policy_->rule_ids[i];
      const bool match =
          prefix ? id.rfind(p.substr(0, p.size() - 1), 0) == 0 : id == p;
      if (!match) continue;
      t.push_back(policy_->rules[i].t);
      f.push_back(policy_->rules[i].f);
    }
    return Bool(z3::mk_or(t), z3::mk_and(f));
  }
  for (size_t i = 0; i < policy_->concerns.size(); ++i) {
    if (policy_->concerns[i] != arg.s) continue;
    if (e.function == Function::kConcernScore) {
      return bounded(policy_->score_lo[i], policy_->score_hi[i]);
    }
    return bounded(policy_->level_lo[i], policy_->level_hi[i]);
  }
  return bounded(ctx_.int_val(0), ctx_.int_val(0));
}

Value Encoder::EncAnswer(const Expr& e) {
  if (policy_ == nullptr || !policy_->answer_stage) {
    throw Unsupported{"an answer function outside the answer stage"};
  }
  if (e.function == Function::kGrade) {
    return Scalar(Value::kInt, ctx_.bool_val(true), *policy_->grade);
  }
  const Value arg = Enc(*e.args.back());
  if (arg.kind != Value::kStrConst) throw Unsupported{"a non-literal argument"};
  if (e.function == Function::kAction) {
    for (size_t i = 0; i < policy_->action_codes.size(); ++i) {
      if (policy_->action_codes[i] == arg.s) {
        return Bool(policy_->action_listed[i], !policy_->action_listed[i]);
      }
    }
    return Bool(ctx_.bool_val(false), ctx_.bool_val(true));
  }
  for (size_t i = 0; i < policy_->prompt_names.size(); ++i) {
    if (policy_->prompt_names[i] == arg.s) {
      return Scalar(Value::kInt, ctx_.bool_val(true), policy_->prompt_rank[i]);
    }
  }
  throw Unsupported{absl::StrCat("prompt(\"", arg.s,
                                 "\") of a prompt the policy lacks (ERROR)")};
}

Value Encoder::EncBinary(const Expr& e) {
  const Value a = Enc(*e.args.at(0));
  const Value b = Enc(*e.args.at(1));
  switch (e.op) {
    case Op::kAnd: {
      const Tri x = AsTri(a), y = AsTri(b);
      return Bool(x.t && y.t, x.f || y.f);
    }
    case Op::kOr: {
      const Tri x = AsTri(a), y = AsTri(b);
      return Bool(x.t || y.t, x.f && y.f);
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const Tri r = Compare(e.op, a, b);
      return Bool(r.t, r.f);
    }
    case Op::kIn: {
      const Tri r = In(a, b);
      return Bool(r.t, r.f);
    }
    case Op::kDiv:
    case Op::kMod:
      throw Unsupported{"division or modulo (a runtime ERROR is possible)"};
    default:
      break;
  }
  // + - *: anything done with an open bound is UNKNOWN.
  auto plain = [&](const Value& v) {
    if (v.kind != Value::kBounded) return v;
    return Scalar(Value::kInt, v.lo == v.hi, v.lo);
  };
  const Value x = plain(a), y = plain(b);
  const z3::expr def = x.def && y.def;
  using K = Value::Kind;
  const bool nx = x.kind == K::kInt || x.kind == K::kReal;
  const bool ny = y.kind == K::kInt || y.kind == K::kReal;
  if (nx && ny) {
    const bool real = x.kind == K::kReal || y.kind == K::kReal;
    const z3::expr xv = real && x.kind == K::kInt ? z3::to_real(x.v) : x.v;
    const z3::expr yv = real && y.kind == K::kInt ? z3::to_real(y.v) : y.v;
    const K k = real ? K::kReal : K::kInt;
    if (e.op == Op::kAdd) return Scalar(k, def, xv + yv);
    if (e.op == Op::kSub) return Scalar(k, def, xv - yv);
    if (e.op == Op::kMul) return Scalar(k, def, xv * yv);
  }
  if (e.op == Op::kAdd) {
    if (x.kind == K::kTime && y.kind == K::kDur)
      return Scalar(K::kTime, def, x.v + y.v);
    if (x.kind == K::kDur && y.kind == K::kTime)
      return Scalar(K::kTime, def, x.v + y.v);
    if (x.kind == K::kDur && y.kind == K::kDur)
      return Scalar(K::kDur, def, x.v + y.v);
  }
  if (e.op == Op::kSub) {
    if (x.kind == K::kTime && y.kind == K::kDur)
      return Scalar(K::kTime, def, x.v - y.v);
    if (x.kind == K::kTime && y.kind == K::kTime)
      return Scalar(K::kDur, def, x.v - y.v);
    if (x.kind == K::kDur && y.kind == K::kDur)
      return Scalar(K::kDur, def, x.v - y.v);
  }
  throw Unsupported{
      absl::StrCat("the operator '", OpSpelling(e.op), "' on these operands")};
}

Tri Encoder::Compare(Op op, const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.kind == K::kBounded || b.kind == K::kBounded) {
    // A comparison decided when every value in the bounds agrees; two open
    // bounds compared are UNKNOWN (PolicyInputs).
    auto range = [&](const Value& v, z3::expr* lo, z3::expr* hi, z3::expr* open,
                     z3::expr* def) {
      if (v.kind == K::kBounded) {
        *lo = v.lo, *hi = v.hi, *open = v.lo != v.hi,
        *def = ctx_.bool_val(true);
      } else if (v.kind == K::kInt || v.kind == K::kEnum) {
        *lo = v.v, *hi = v.v, *open = ctx_.bool_val(false), *def = v.def;
      } else {
        throw Unsupported{"a policy value compared with a non-integer"};
      }
    };
    z3::expr alo = a.lo, ahi = a.hi, aopen = a.def, adef = a.def;
    z3::expr blo = b.lo, bhi = b.hi, bopen = b.def, bdef = b.def;
    range(a, &alo, &ahi, &aopen, &adef);
    range(b, &blo, &bhi, &bopen, &bdef);
    const z3::expr ok = adef && bdef && !(aopen && bopen);
    z3::expr all = ctx_.bool_val(false), none = ctx_.bool_val(false);
    switch (op) {
      case Op::kLt:
        all = ahi < blo, none = alo >= bhi;
        break;
      case Op::kLe:
        all = ahi <= blo, none = alo > bhi;
        break;
      case Op::kGt:
        all = alo > bhi, none = ahi <= blo;
        break;
      case Op::kGe:
        all = alo >= bhi, none = ahi < blo;
        break;
      case Op::kEq:
        all = alo == ahi && blo == bhi && alo == blo,
        none = ahi < blo || alo > bhi;
        break;
      default:  // kNe
        all = ahi < blo || alo > bhi,
        none = alo == ahi && blo == bhi && alo == blo;
        break;
    }
    return {ok && all, ok && none};
  }
  auto cmp = [&](const z3::expr& x, const z3::expr& y) -> z3::expr {
    switch (op) {
      case Op::kEq:
        return x == y;
      case Op::kNe:
        return x != y;
      case Op::kLt:
        return x < y;
      case Op::kLe:
        return x <= y;
      case Op::kGt:
        return x > y;
      default:
        return x >= y;
    }
  };
  if (a.kind == K::kBool && b.kind == K::kBool) {
    if (op != Op::kEq && op != Op::kNe) throw Unsupported{"ordering of bools"};
    const z3::expr def = (a.b.t || a.b.f) && (b.b.t || b.b.f);
    const z3::expr c = op == Op::kEq ? a.b.t == b.b.t : a.b.t != b.b.t;
    return {def && c, def && !c};
  }
  if (a.kind == K::kStrConst && b.kind == K::kStrConst) {
    const int c = a.s.compare(b.s);
    const bool r = op == Op::kEq   ? c == 0
                   : op == Op::kNe ? c != 0
                   : op == Op::kLt ? c < 0
                   : op == Op::kLe ? c <= 0
                   : op == Op::kGt ? c > 0
                                   : c >= 0;
    return {ctx_.bool_val(r), ctx_.bool_val(!r)};
  }
  if ((a.kind == K::kEnum && b.kind == K::kStrConst) ||
      (a.kind == K::kStrConst && b.kind == K::kEnum)) {
    // An enum compared with a string constant compares value names.
    if (op != Op::kEq && op != Op::kNe) {
      throw Unsupported{"ordering an enum against a string"};
    }
    const Value& en = a.kind == K::kEnum ? a : b;
    const Value& str = a.kind == K::kEnum ? b : a;
    int32_t number = 0;
    z3::expr eq = ctx_.bool_val(false);
    if (en.ref >= 0 && schema_.enum_type(en.ref).NumberOf(str.s, &number)) {
      eq = en.v == number;
    }
    const z3::expr c = op == Op::kEq ? eq : !eq;
    return {en.def && c, en.def && !c};
  }
  const bool na = a.kind == K::kInt || a.kind == K::kReal;
  const bool nb = b.kind == K::kInt || b.kind == K::kReal;
  z3::expr x = a.v, y = b.v;
  if (na && nb) {
    if (a.kind != b.kind) {
      if (a.kind == K::kInt) x = z3::to_real(x);
      if (b.kind == K::kInt) y = z3::to_real(y);
    }
  } else if (!(a.kind == b.kind && (a.kind == K::kTime || a.kind == K::kDur ||
                                    a.kind == K::kEnum))) {
    throw Unsupported{"a comparison of text, messages or mixed types"};
  }
  const z3::expr def = a.def && b.def;
  const z3::expr c = cmp(x, y);
  return {def && c, def && !c};
}

void Encoder::Elements(const Value& list, std::vector<z3::expr>* in,
                       std::vector<Value>* elems) {
  if (list.kind == Value::kLitList) {
    for (const Value& v : list.items) {
      in->push_back(ctx_.bool_val(true));
      elems->push_back(v);
    }
    return;
  }
  if (list.kind == Value::kMsgList) {
    const Var& var = vars_.at(list.path);
    for (int i = 0; i < opt_.list_bound; ++i) {
      in->push_back(*var.length > i);
      Value e(ctx_);
      e.kind = Value::kMsg;
      e.ref = list.elem.ref;
      e.path = absl::StrCat(list.path, "[", i, "]");
      parent_[e.path] = parent_[list.path];
      elems->push_back(e);
    }
    return;
  }
  if (list.kind != Value::kScalarList) throw Unsupported{"a non-list"};
  const Var& var = vars_.at(list.path);
  for (size_t i = 0; i < var.member.size(); ++i) {
    in->push_back(var.member[i]);
    if (list.elem.kind == TypeKind::kEnum) {
      Value e = Scalar(Value::kEnum, ctx_.bool_val(true),
                       ctx_.int_val(var.numbers[i]));
      e.ref = list.elem.ref;
      elems->push_back(e);
    } else {
      Value e(ctx_);
      e.kind = Value::kStrConst;
      e.s = var.codes[i];
      elems->push_back(e);
    }
  }
}

Tri Encoder::In(const Value& x, const Value& list) {
  if (list.kind == Value::kMsgList)
    throw Unsupported{"'in' a list of messages"};
  std::vector<z3::expr> in;
  std::vector<Value> elems;
  Elements(list, &in, &elems);
  z3::expr def = list.def;
  z3::expr_vector any(ctx_), none(ctx_);
  for (size_t i = 0; i < elems.size(); ++i) {
    const Tri eq = Compare(Op::kEq, x, elems[i]);
    // A list literal with an UNKNOWN element is UNKNOWN as a whole.
    if (list.kind == Value::kLitList) def = def && (eq.t || eq.f);
    any.push_back(in[i] && eq.t);
    none.push_back(!in[i] || eq.f);
  }
  z3::expr xdef = ctx_.bool_val(true);
  if (x.kind == Value::kBool) {
    xdef = x.b.t || x.b.f;
  } else if (x.kind != Value::kStrConst && x.kind != Value::kBounded) {
    xdef = x.def;
  }
  if (x.kind == Value::kBounded) xdef = x.lo == x.hi;
  const z3::expr ok = def && xdef;
  return {ok && z3::mk_or(any), ok && z3::mk_and(none)};
}

Value Encoder::EncComprehension(const Expr& e) {
  const Value list = Enc(*e.args.at(0));
  std::vector<z3::expr> in;
  std::vector<Value> elems;
  Elements(list, &in, &elems);
  std::vector<Tri> preds;
  for (const Value& el : elems) {
    bindings_.push_back(el);
    preds.push_back(AsTri(Enc(*e.args.at(1))));
    bindings_.pop_back();
  }
  z3::expr def = list.def;
  z3::expr_vector any_t(ctx_), all_t(ctx_), any_f(ctx_), all_f(ctx_),
      settled(ctx_);
  z3::expr count = ctx_.int_val(0);
  for (size_t i = 0; i < preds.size(); ++i) {
    any_t.push_back(in[i] && preds[i].t);
    all_t.push_back(!in[i] || preds[i].t);
    any_f.push_back(in[i] && preds[i].f);
    all_f.push_back(!in[i] || preds[i].f);
    settled.push_back(!in[i] || preds[i].t || preds[i].f);
    count =
        count + z3::ite(in[i] && preds[i].t, ctx_.int_val(1), ctx_.int_val(0));
  }
  switch (e.function) {
    case Function::kExists:
      return Bool(def && z3::mk_or(any_t), def && z3::mk_and(all_f));
    case Function::kAll:
      return Bool(def && z3::mk_and(all_t), def && z3::mk_or(any_f));
    case Function::kCount:
      return Scalar(Value::kInt, def && z3::mk_and(settled), count);
    default:
      throw Unsupported{"an unknown comprehension"};
  }
}

std::string Encoder::WitnessJson(const z3::model& model,
                                 const std::set<std::string>& paths) {
  return EmitMessage(model, schema_.root(), "", paths);
}

std::string Encoder::EmitMessage(const z3::model& model, int32_t type,
                                 const std::string& path,
                                 const std::set<std::string>& paths) {
  auto eval_bool = [&](const z3::expr& x) {
    return model.eval(x, true).is_true();
  };
  auto eval_int = [&](const z3::expr& x) {
    int64_t out = 0;
    model.eval(x, true).is_numeral_i64(out);
    return out;
  };
  std::vector<std::string> members;
  for (const FieldDef& f : schema_.message_type(type).fields) {
    const std::string fp =
        path.empty() ? f.name : absl::StrCat(path, ".", f.name);
    auto it = vars_.find(fp);
    if (it == vars_.end() || paths.count(fp) == 0) continue;
    const Var& var = it->second;
    const Type& t = f.type;
    std::string value;
    if (t.is_list && t.kind == TypeKind::kMessage) {
      const int64_t n = eval_int(*var.length);
      std::vector<std::string> items;
      for (int64_t i = 0; i < n; ++i) {
        items.push_back(
            EmitMessage(model, t.ref, absl::StrCat(fp, "[", i, "]"), paths));
      }
      value = absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    } else if (t.is_list) {
      std::vector<std::string> items;
      for (size_t i = 0; i < var.member.size(); ++i) {
        if (!eval_bool(var.member[i])) continue;
        if (t.kind == TypeKind::kEnum) {
          const std::string* name =
              schema_.enum_type(t.ref).NameOf(var.numbers[i]);
          items.push_back(JsonString(name != nullptr ? *name : "?"));
        } else {
          items.push_back(JsonString(var.codes[i]));
        }
      }
      value = absl::StrCat("[", absl::StrJoin(items, ", "), "]");
    } else if (var.set.has_value() && !eval_bool(*var.set)) {
      continue;
    } else if (t.kind == TypeKind::kMessage) {
      value = EmitMessage(model, t.ref, fp, paths);
    } else if (t.kind == TypeKind::kString) {
      std::vector<std::string> said;
      for (const auto& [phrase, p] : var.phrases) {
        if (eval_bool(p)) said.push_back(phrase);
      }
      // Empty text: written only when its presence says it is set.
      if (said.empty() && !eval_bool(*var.nonempty)) {
        if (!var.set.has_value()) continue;
        members.push_back(absl::StrCat(
            JsonString(opt_.json_camel_case ? Camel(f.name) : f.name),
            ": \"\""));
        continue;
      }
      value = JsonString(
          said.empty()
              ? kSeparator
              : absl::StrJoin(said, absl::StrCat(" ", kSeparator, " ")));
    } else if (t.kind == TypeKind::kBool) {
      value = eval_bool(*var.value) ? "true" : "false";
    } else if (t.kind == TypeKind::kInt) {
      value = absl::StrCat(eval_int(*var.value));
    } else if (t.kind == TypeKind::kDouble) {
      value = model.eval(*var.value, true).get_decimal_string(12);
      if (!value.empty() && value.back() == '?') value.pop_back();
    } else if (t.kind == TypeKind::kTimestamp) {
      value = JsonString(
          absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ",
                           opt_.as_of + absl::Seconds(eval_int(*var.value)),
                           absl::UTCTimeZone()));
    } else if (t.kind == TypeKind::kDuration) {
      value = JsonString(absl::StrCat(eval_int(*var.value), "s"));
    } else if (t.kind == TypeKind::kEnum) {
      const int64_t n = eval_int(*var.value);
      if (n == 0 && schema_.enum_type(t.ref).zero_is_unknown) continue;
      const std::string* name =
          schema_.enum_type(t.ref).NameOf(static_cast<int32_t>(n));
      value = name != nullptr ? JsonString(*name) : absl::StrCat(n);
    } else {
      continue;
    }
    members.push_back(
        absl::StrCat(JsonString(opt_.json_camel_case ? Camel(f.name) : f.name),
                     ": ", value));
  }
  return absl::StrCat("{", absl::StrJoin(members, ", "), "}");
}

}  // namespace analyze_internal
}  // namespace lantern
