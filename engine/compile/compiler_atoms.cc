// The compiler's atom catalog: entry points AtomCatalog::Intern and
// AtomCatalog::Complement (engine/compile/internal/compiler_internal.h).
//
// Intern classifies one atom by its shape, first match wins:
//   field                      bool field            → ordered source, == true
//   field OP constant          ==, !=, <, <=, >, >=   → ordered source
//   field in [constants]       or a list constant     → ordered source
//   constant in list_field     set membership         → set source
//   field.mentions("phrase")                          → text source
//   has(field)                                        → presence source
//   anything else                                     → compiled (VM) atom
// where `field` is a path of fields from the root and `constant` a literal
// or a scalar ruleset constant. Constants are converted into the source's
// comparison domain exactly as the reference compares them (ints exactly;
// an int against a double as doubles; bools as 0/1; enums by number, or by
// name when the constant is a string); a combination with no exact domain
// (an int field against a NaN, say) is left to the VM. Atoms are
// deduplicated by (source, operator, values); compiled atoms by their
// checked tree and the operator texts their error messages quote.
#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/compile/internal/compiler_internal.h"

namespace lantern {
namespace compiler_internal {
namespace {

bool IsRootPath(const Expr& e, std::vector<int32_t>* fields) {
  if (e.resolution != Resolution::kField) return false;
  if (e.kind == ExprKind::kIdent) {
    fields->push_back(e.field);
    return true;
  }
  if (e.kind != ExprKind::kSelect || e.args.empty()) return false;
  if (!IsRootPath(*e.args[0], fields)) return false;
  fields->push_back(e.field);
  return true;
}

// A literal, or a scalar constant with a value.
bool ConstantOf(const Expr& e, const std::vector<ConstantDef>& constants,
                LiteralValue* out) {
  if (e.kind == ExprKind::kLiteral) {
    *out = e.literal;
    return true;
  }
  if (e.kind != ExprKind::kIdent || e.resolution != Resolution::kConstant ||
      e.slot < 0 || e.slot >= static_cast<int32_t>(constants.size())) {
    return false;
  }
  const ConstantDef& def = constants[e.slot];
  if (def.type.is_list || def.values.empty()) return false;
  *out = def.values[0];
  return true;
}

// A list literal of constants, or a list constant.
bool ConstantListOf(const Expr& e, const std::vector<ConstantDef>& constants,
                    std::vector<LiteralValue>* out) {
  if (e.kind == ExprKind::kList) {
    for (const auto& arg : e.args) {
      out->emplace_back();
      if (!ConstantOf(*arg, constants, &out->back())) return false;
    }
    return true;
  }
  if (e.kind != ExprKind::kIdent || e.resolution != Resolution::kConstant ||
      e.slot < 0 || e.slot >= static_cast<int32_t>(constants.size())) {
    return false;
  }
  const ConstantDef& def = constants[e.slot];
  if (!def.type.is_list) return false;
  *out = def.values;
  return true;
}

Domain DefaultDomain(TypeKind kind) {
  switch (kind) {
    case TypeKind::kDouble:
      return Domain::kDouble;
    case TypeKind::kString:
      return Domain::kString;
    case TypeKind::kTimestamp:
      return Domain::kTime;
    case TypeKind::kDuration:
      return Domain::kDuration;
    default:
      return Domain::kInt;
  }
}

// Appends `v` in the comparison domain of a field of `type`; false when no
// exact domain exists. A string against an enum compares by name: it adds
// the numbers so named (possibly none) and sets *by_name.
bool ToDomain(const Type& type, const LiteralValue& v, const FactSchema& schema,
              Domain* domain, std::vector<Scalar>* out, bool* by_name) {
  const auto* i = std::get_if<int64_t>(&v);
  const auto* d = std::get_if<double>(&v);
  switch (type.kind) {
    case TypeKind::kInt:
    case TypeKind::kDouble:
      if (d != nullptr && !std::isnan(*d)) {
        *domain = Domain::kDouble;
        out->push_back(*d);
        return true;
      }
      if (i == nullptr) return false;
      *domain = type.kind == TypeKind::kInt ? Domain::kInt : Domain::kDouble;
      if (*domain == Domain::kInt) {
        out->push_back(*i);
      } else {
        out->push_back(static_cast<double>(*i));
      }
      return true;
    case TypeKind::kBool:
      if (!std::holds_alternative<bool>(v)) return false;
      *domain = Domain::kInt;
      out->push_back(static_cast<int64_t>(std::get<bool>(v)));
      return true;
    case TypeKind::kEnum: {
      *domain = Domain::kInt;
      if (const auto* e = std::get_if<EnumLiteral>(&v)) {
        out->push_back(static_cast<int64_t>(e->number));
        return true;
      }
      const auto* name = std::get_if<std::string>(&v);
      if (name == nullptr || type.ref < 0) return false;
      *by_name = true;
      const EnumType& e = schema.enum_type(type.ref);
      for (const auto& entry : e.values) {
        const std::string* named = e.NameOf(entry.second);
        if (named != nullptr && *named == *name) {
          out->push_back(static_cast<int64_t>(entry.second));
        }
      }
      return true;
    }
    case TypeKind::kString:
      if (!std::holds_alternative<std::string>(v)) return false;
      *domain = Domain::kString;
      out->push_back(std::get<std::string>(v));
      return true;
    case TypeKind::kTimestamp:
      if (!std::holds_alternative<absl::Time>(v)) return false;
      *domain = Domain::kTime;
      out->push_back(std::get<absl::Time>(v));
      return true;
    case TypeKind::kDuration:
      if (!std::holds_alternative<absl::Duration>(v)) return false;
      *domain = Domain::kDuration;
      out->push_back(std::get<absl::Duration>(v));
      return true;
    default:
      return false;
  }
}

Op Flip(Op op) {
  switch (op) {
    case Op::kLt:
      return Op::kGt;
    case Op::kLe:
      return Op::kGe;
    case Op::kGt:
      return Op::kLt;
    case Op::kGe:
      return Op::kLe;
    default:
      return op;
  }
}

PredOp PredOf(Op op) {
  switch (op) {
    case Op::kEq:
      return PredOp::kEq;
    case Op::kNe:
      return PredOp::kNe;
    case Op::kLt:
      return PredOp::kLt;
    case Op::kLe:
      return PredOp::kLe;
    case Op::kGt:
      return PredOp::kGt;
    default:
      return PredOp::kGe;
  }
}

}  // namespace

AtomCatalog::AtomCatalog(const RuleSet& ruleset, CompiledRuleSet* program)
    : ruleset_(ruleset), program_(*program) {}

int32_t AtomCatalog::SourceFor(SourceKind kind, int32_t slot, Domain domain,
                               const Type& field_type) {
  const std::string key = absl::StrCat(static_cast<int>(kind), ":", slot, ":",
                                       static_cast<int>(domain));
  auto [it, added] =
      source_keys_.emplace(key, static_cast<int32_t>(sources.size()));
  if (!added) return it->second;
  SourceBuild source;
  source.kind = kind;
  source.slot = slot;
  source.domain = domain;
  source.field_kind = field_type.kind;
  if (field_type.kind == TypeKind::kEnum && field_type.ref >= 0) {
    const EnumType& e = ruleset_.schema->enum_type(field_type.ref);
    source.enum_size =
        static_cast<int32_t>(e.values.size()) - (e.zero_is_unknown ? 1 : 0);
  }
  sources.push_back(std::move(source));
  return it->second;
}

int32_t AtomCatalog::Add(int32_t source, std::string key, AtomBuild atom) {
  auto [it, added] = atom_keys_.emplace(absl::StrCat(source, "|", key),
                                        static_cast<int32_t>(atoms.size()));
  if (!added) return it->second;
  atom.source = source;
  atom.selectivity = EstimateTruth(sources[source], atom);
  sources[source].atoms.push_back(it->second);
  atoms.push_back(std::move(atom));
  return it->second;
}

bool AtomCatalog::RootPath(const Expr& e, int32_t* slot, Type* type,
                           SlotDef::Mode mode) {
  std::vector<int32_t> fields;
  if (!IsRootPath(e, &fields)) return false;
  *slot = program_.layout.SlotFor(*ruleset_.schema, fields, mode);
  *type = e.type;
  return true;
}

int32_t AtomCatalog::Ordered(int32_t slot, const Type& type, Domain domain,
                             PredOp op, std::vector<Scalar> values) {
  if (op == PredOp::kIn || op == PredOp::kNotIn) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
  }
  std::string key = absl::StrCat("o", static_cast<int>(op), ":");
  for (const Scalar& v : values) AppendKey(v, &key);
  AtomBuild atom;
  atom.op = op;
  atom.values = std::move(values);
  const int32_t source = SourceFor(SourceKind::kOrdered, slot, domain, type);
  return Add(source, std::move(key), std::move(atom));
}

int32_t AtomCatalog::TryBareBool(const Expr& e) {
  int32_t slot;
  Type type;
  if (!RootPath(e, &slot, &type, SlotDef::Mode::kValue) ||
      type != Type::Bool()) {
    return -1;
  }
  return Ordered(slot, type, Domain::kInt, PredOp::kEq, {int64_t{1}});
}

int32_t AtomCatalog::TryCompare(const Expr& e) {
  if (e.kind != ExprKind::kBinary || e.args.size() != 2 || e.op < Op::kEq ||
      e.op > Op::kGe) {
    return -1;
  }
  int32_t slot;
  Type type;
  LiteralValue constant;
  Op op = e.op;
  const auto& constants = ruleset_.constants;
  const bool field_left =
      ConstantOf(*e.args[1], constants, &constant) &&
      RootPath(*e.args[0], &slot, &type, SlotDef::Mode::kValue);
  if (!field_left) {
    if (!ConstantOf(*e.args[0], constants, &constant) ||
        !RootPath(*e.args[1], &slot, &type, SlotDef::Mode::kValue)) {
      return -1;
    }
    op = Flip(op);
  }
  if (type.is_list) return -1;
  Domain domain;
  std::vector<Scalar> values;
  bool by_name = false;
  if (!ToDomain(type, constant, *ruleset_.schema, &domain, &values, &by_name)) {
    return -1;
  }
  PredOp pred = PredOf(op);
  if (by_name) {
    if (op != Op::kEq && op != Op::kNe) return -1;
    pred = op == Op::kEq ? PredOp::kIn : PredOp::kNotIn;
  }
  return Ordered(slot, type, domain, pred, std::move(values));
}

int32_t AtomCatalog::TryIn(const Expr& e) {
  if (e.kind != ExprKind::kBinary || e.op != Op::kIn || e.args.size() != 2) {
    return -1;
  }
  int32_t slot;
  Type type;
  std::vector<LiteralValue> list;
  if (!RootPath(*e.args[0], &slot, &type, SlotDef::Mode::kValue) ||
      type.is_list || !ConstantListOf(*e.args[1], ruleset_.constants, &list)) {
    return -1;
  }
  Domain domain = DefaultDomain(type.kind);
  std::vector<Scalar> values;
  bool by_name = false;
  for (size_t i = 0; i < list.size(); ++i) {
    Domain element_domain;
    if (!ToDomain(type, list[i], *ruleset_.schema, &element_domain, &values,
                  &by_name)) {
      return -1;
    }
    if (i > 0 && element_domain != domain) return -1;
    domain = element_domain;
  }
  return Ordered(slot, type, domain, PredOp::kIn, std::move(values));
}

int32_t AtomCatalog::TryMember(const Expr& e) {
  if (e.kind != ExprKind::kBinary || e.op != Op::kIn || e.args.size() != 2) {
    return -1;
  }
  int32_t slot;
  Type type;
  LiteralValue constant;
  if (!ConstantOf(*e.args[0], ruleset_.constants, &constant) ||
      !RootPath(*e.args[1], &slot, &type, SlotDef::Mode::kValue) ||
      !type.is_list) {
    return -1;
  }
  const Type element = type.Element();
  if (element.kind != TypeKind::kString && element.kind != TypeKind::kInt &&
      element.kind != TypeKind::kEnum && element.kind != TypeKind::kBool) {
    return -1;
  }
  Domain domain;
  std::vector<Scalar> values;
  bool by_name = false;
  if (std::holds_alternative<double>(constant) ||
      !ToDomain(element, constant, *ruleset_.schema, &domain, &values,
                &by_name)) {
    return -1;
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string key = "m:";
  for (const Scalar& v : values) AppendKey(v, &key);
  AtomBuild atom;
  atom.op = PredOp::kMember;
  atom.values = std::move(values);
  return Add(SourceFor(SourceKind::kSet, slot, domain, element), std::move(key),
             std::move(atom));
}

int32_t AtomCatalog::TryMentions(const Expr& e) {
  if (e.kind != ExprKind::kCall || e.function != Function::kMentions ||
      e.args.size() != 2 || e.args[1]->kind != ExprKind::kLiteral ||
      !std::holds_alternative<std::string>(e.args[1]->literal)) {
    return -1;
  }
  int32_t slot;
  Type type;
  if (!RootPath(*e.args[0], &slot, &type, SlotDef::Mode::kValue) ||
      type != Type::String()) {
    return -1;
  }
  AtomBuild atom;
  atom.op = PredOp::kMention;
  atom.phrase = phrases.Add(std::get<std::string>(e.args[1]->literal));
  return Add(SourceFor(SourceKind::kText, slot, Domain::kString, type),
             absl::StrCat("p", atom.phrase), std::move(atom));
}

int32_t AtomCatalog::TryHas(const Expr& e) {
  if (e.kind != ExprKind::kCall || e.function != Function::kHas ||
      e.args.size() != 1) {
    return -1;
  }
  int32_t slot;
  Type type;
  if (!RootPath(*e.args[0], &slot, &type, SlotDef::Mode::kPresence)) return -1;
  AtomBuild atom;
  atom.op = PredOp::kHas;
  return Add(SourceFor(SourceKind::kPresence, slot, Domain::kInt, type), "h",
             std::move(atom));
}

int32_t AtomCatalog::Intern(const Expr& atom, const SourceText& source) {
  for (int32_t (AtomCatalog::*attempt)(const Expr&) :
       {&AtomCatalog::TryBareBool, &AtomCatalog::TryCompare,
        &AtomCatalog::TryIn, &AtomCatalog::TryMember, &AtomCatalog::TryMentions,
        &AtomCatalog::TryHas}) {
    const int32_t id = (this->*attempt)(atom);
    if (id >= 0) return id;
  }
  return Compiled(atom, source);
}

int32_t AtomCatalog::Compiled(const Expr& e, const SourceText& source) {
  if (compiled_source_ < 0) {
    compiled_source_ =
        SourceFor(SourceKind::kCompiled, -1, Domain::kInt, Type::Bool());
  }
  std::string key = "c:";
  AppendExprKey(e, source, &key);
  auto it = atom_keys_.find(absl::StrCat(compiled_source_, "|", key));
  if (it != atom_keys_.end()) return it->second;
  AtomBuild atom;
  atom.op = PredOp::kCompiled;
  atom.compiled = CompileAtom(e, source, *ruleset_.schema, ruleset_.constants,
                              &program_.layout, &program_.code);
  return Add(compiled_source_, std::move(key), std::move(atom));
}

int32_t AtomCatalog::Complement(int32_t id) {
  if (atoms[id].complement >= 0) return atoms[id].complement;
  const SourceBuild& source = sources[atoms[id].source];
  if (source.kind == SourceKind::kSet || source.kind == SourceKind::kText) {
    return -1;
  }
  AtomBuild complement = atoms[id];
  complement.complement_of = id;
  complement.complement = -1;
  std::string key = absl::StrCat("~", id);
  const int32_t source_id = atoms[id].source;
  const int32_t made = Add(source_id, std::move(key), std::move(complement));
  atoms[made].selectivity = 1 - atoms[id].selectivity;
  atoms[id].complement = made;
  return made;
}

}  // namespace compiler_internal
}  // namespace lantern
