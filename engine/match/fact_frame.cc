// FactFrame: entry points FrameLayout::SlotFor (compile time) and
// DecodeFrame (once per request).
//
// DecodeFrame walks each slot's path from the root record: every step but
// the last navigates through a singular message (an empty one makes the
// rest of the path absent, a malformed one an ERROR), and the last step reads
// the value exactly as the reference evaluator's ReadField does — or, for a
// presence slot, answers has() as its EvalHas does. No step allocates except
// the message of a malformed list element.
#include "engine/match/fact_frame.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/facts/fact_display.h"

namespace lantern {

std::string* ScratchStrings::Next() {
  if (used_ == strings_.size()) {
    strings_.push_back(std::make_unique<std::string>());
  }
  std::string* s = strings_[used_++].get();
  s->clear();
  return s;
}

absl::string_view ScratchStrings::Save(absl::string_view text) {
  std::string* s = Next();
  s->assign(text.data(), text.size());
  return *s;
}

namespace {

// The FactScalar alternative that holds a value of a non-message scalar
// type `kind` (in the variant's order), or -1.
int ScalarIndexOf(TypeKind kind) {
  switch (kind) {
    case TypeKind::kBool:
      return 0;
    case TypeKind::kInt:
      return 1;
    case TypeKind::kDouble:
      return 2;
    case TypeKind::kString:
      return 3;
    case TypeKind::kTimestamp:
      return 4;
    case TypeKind::kDuration:
      return 5;
    case TypeKind::kEnum:
      return 6;
    default:
      return -1;
  }
}

}  // namespace

int32_t FrameLayout::SlotFor(const FactSchema& schema,
                             const std::vector<int32_t>& fields,
                             SlotDef::Mode mode) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].first == fields && keys_[i].second == mode) {
      return static_cast<int32_t>(i);
    }
  }
  SlotDef def;
  def.mode = mode;
  int32_t message = schema.root();
  std::string path;
  for (int32_t field : fields) {
    const FieldDef& f = schema.message_type(message).fields[field];
    path = path.empty() ? f.name : absl::StrCat(path, ".", f.name);
    def.steps.push_back(f);
    def.step_paths.push_back(path);
    def.step_errors.push_back(NotHoldingMessage(path, f.type));
    message = f.type.ref;
  }
  const FieldDef& leaf = def.steps.back();
  def.zero_is_unknown = leaf.type.kind == TypeKind::kEnum &&
                        leaf.type.ref >= 0 &&
                        schema.enum_type(leaf.type.ref).zero_is_unknown;
  SlotPlan plan;
  plan.zero_is_unknown = def.zero_is_unknown;
  plan.ref = leaf.type.ref;
  const int scalar = ScalarIndexOf(leaf.type.kind);
  if (mode == SlotDef::Mode::kValue && fields.size() == 1 &&
      !leaf.type.is_list && scalar >= 0) {
    plan.direct = true;
    plan.field = leaf.index;
    plan.scalar = static_cast<uint8_t>(scalar);
  }
  keys_.emplace_back(fields, mode);
  slots_.push_back(std::move(def));
  plan_.push_back(plan);
  return static_cast<int32_t>(slots_.size() - 1);
}

int32_t FrameLayout::AsOfSlot() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].mode == SlotDef::Mode::kAsOf) return static_cast<int32_t>(i);
  }
  SlotDef def;
  def.mode = SlotDef::Mode::kAsOf;
  def.step_paths.push_back("as_of()");
  keys_.emplace_back(std::vector<int32_t>{}, SlotDef::Mode::kAsOf);
  slots_.push_back(std::move(def));
  plan_.emplace_back();
  return static_cast<int32_t>(slots_.size() - 1);
}

size_t FrameLayout::MemoryBytes() const {
  size_t bytes =
      slots_.capacity() * sizeof(SlotDef) + plan_.capacity() * sizeof(SlotPlan);
  for (const SlotDef& s : slots_) {
    for (const std::string& p : s.step_paths) bytes += p.capacity();
    for (const std::string& e : s.step_errors) bytes += e.capacity();
    bytes += s.steps.capacity() * sizeof(FieldDef);
  }
  return bytes;
}

std::string NotHoldingMessage(absl::string_view path, const Type& type) {
  return absl::StrCat("fact '", path, "' does not hold a ",
                      TypeName(type.Element(), nullptr));
}

FrameValue ZeroValue(const Type& type) {
  FrameValue v;
  switch (type.kind) {
    case TypeKind::kBool:
      v.kind = VKind::kBool;
      break;
    case TypeKind::kInt:
      v.kind = VKind::kInt;
      break;
    case TypeKind::kDouble:
      v.kind = VKind::kDouble;
      break;
    case TypeKind::kString:
      v.kind = VKind::kString;
      break;
    case TypeKind::kTimestamp:
      v.kind = VKind::kTime;
      v.t = absl::UnixEpoch();
      break;
    case TypeKind::kDuration:
      v.kind = VKind::kDuration;
      break;
    case TypeKind::kEnum:
      v.kind = VKind::kEnum;
      v.ref = type.ref;
      break;
    default:
      v.kind = VKind::kUnknown;
  }
  return v;
}

bool ScalarToValue(const FactScalar& scalar, const Type& type,
                   FrameValue* out) {
  FrameValue& v = *out;
  const TypeKind want = type.kind;
  switch (scalar.index()) {
    case 0:  // bool
      v.kind = VKind::kBool;
      v.b = *std::get_if<bool>(&scalar);
      return want == TypeKind::kBool;
    case 1:  // int64
      v.kind = VKind::kInt;
      v.i = *std::get_if<int64_t>(&scalar);
      return want == TypeKind::kInt;
    case 2:  // double
      v.kind = VKind::kDouble;
      v.d = *std::get_if<double>(&scalar);
      return want == TypeKind::kDouble;
    case 3:  // string
      v.kind = VKind::kString;
      v.s = *std::get_if<std::string>(&scalar);
      return want == TypeKind::kString;
    case 4:  // time
      v.kind = VKind::kTime;
      v.t = *std::get_if<absl::Time>(&scalar);
      return want == TypeKind::kTimestamp;
    case 5:  // duration
      v.kind = VKind::kDuration;
      v.dur = *std::get_if<absl::Duration>(&scalar);
      return want == TypeKind::kDuration;
    case 6:  // enum
      v.kind = VKind::kEnum;
      v.i = std::get_if<EnumNumber>(&scalar)->number;
      v.ref = type.ref;
      return want == TypeKind::kEnum;
    default: {  // message
      const auto& m = *std::get_if<std::unique_ptr<FactRecord>>(&scalar);
      v.kind = m == nullptr ? VKind::kUnknown : VKind::kMessage;
      v.record = m.get();
      v.ref = type.ref;
      return want == TypeKind::kMessage && m != nullptr;
    }
  }
}

bool IsZeroValue(const FrameValue& v) {
  switch (v.kind) {
    case VKind::kBool:
      return !v.b;
    case VKind::kInt:
    case VKind::kEnum:
      return v.i == 0;
    case VKind::kDouble:
      return v.d == 0;
    case VKind::kString:
      return v.s.empty();
    case VKind::kTime:
      return v.t == absl::UnixEpoch();
    case VKind::kDuration:
      return v.dur == absl::ZeroDuration();
    default:
      return false;
  }
}

namespace {

void SetError(absl::string_view message, FrameValue* v) {
  v->kind = VKind::kError;
  v->error = message;
}

// Walks every step but the last. Returns the record holding the leaf, or
// nullptr with *error set (malformed) or left null (absent).
const FactRecord* Navigate(const SlotDef& def, const FactRecord& root,
                           const std::string** error) {
  const FactRecord* record = &root;
  for (size_t j = 0; j + 1 < def.steps.size(); ++j) {
    const FactSlot& slot = record->slot(def.steps[j].index);
    if (slot.values.empty()) return nullptr;
    const auto* m = std::get_if<std::unique_ptr<FactRecord>>(&slot.values[0]);
    if (m == nullptr || *m == nullptr) {
      *error = &def.step_errors[j];
      return nullptr;
    }
    record = m->get();
  }
  return record;
}

void ReadList(const SlotDef& def, const FactSlot& slot, ScratchStrings* strings,
              FrameValue* v) {
  const Type element = def.leaf().type.Element();
  FrameValue e;
  for (size_t i = 0; i < slot.values.size(); ++i) {
    if (!ScalarToValue(slot.values[i], element, &e)) {
      return SetError(strings->Save(NotHoldingMessage(
                          absl::StrCat(def.path(), "[", i, "]"), element)),
                      v);
    }
  }
  v->kind = VKind::kList;
  v->elem = element;
  v->size = static_cast<int32_t>(slot.values.size());
  v->fact_list = &slot;
  v->elems = nullptr;
}

void ReadValue(const SlotDef& def, const FactRecord* record,
               ScratchStrings* strings, FrameValue* v) {
  const FieldDef& leaf = def.leaf();
  if (record == nullptr) {
    v->kind = VKind::kUnknown;
    return;
  }
  const FactSlot& slot = record->slot(leaf.index);
  if (leaf.type.is_list) return ReadList(def, slot, strings, v);
  if (!slot.values.empty()) {
    if (!ScalarToValue(slot.values[0], leaf.type, v)) {
      return SetError(def.step_errors.back(), v);
    }
    if (v->kind == VKind::kEnum && v->i == 0 && def.zero_is_unknown) {
      v->kind = VKind::kUnknown;
    }
    return;
  }
  if (leaf.type.kind == TypeKind::kMessage || leaf.has_presence ||
      (leaf.type.kind == TypeKind::kEnum && def.zero_is_unknown)) {
    v->kind = VKind::kUnknown;
    return;
  }
  const absl::string_view path = v->path;
  *v = ZeroValue(leaf.type);
  v->path = path;
}

void ReadPresence(const SlotDef& def, const FactRecord* record, FrameValue* v) {
  const FieldDef& leaf = def.leaf();
  v->kind = VKind::kBool;
  v->b = false;
  if (record == nullptr) return;
  const FactSlot& slot = record->slot(leaf.index);
  v->b = !slot.values.empty();
  if (v->b && !leaf.type.is_list && !leaf.has_presence &&
      leaf.type.kind != TypeKind::kMessage) {
    FrameValue scalar;
    // A value of the wrong kind counts as set, as in the reference.
    if (ScalarToValue(slot.values[0], leaf.type, &scalar)) {
      v->b = !IsZeroValue(scalar);
    }
  }
}

// Decodes a direct slot whose stored scalar is the plan's alternative, as
// ScalarToValue and ReadValue would.
inline void DecodeDirect(const FactScalar& scalar, int32_t ref,
                         bool zero_is_unknown, FrameValue* v) {
  switch (scalar.index()) {
    case 0:
      v->kind = VKind::kBool;
      v->b = *std::get_if<bool>(&scalar);
      return;
    case 1:
      v->kind = VKind::kInt;
      v->i = *std::get_if<int64_t>(&scalar);
      return;
    case 2:
      v->kind = VKind::kDouble;
      v->d = *std::get_if<double>(&scalar);
      return;
    case 3:
      v->kind = VKind::kString;
      v->s = *std::get_if<std::string>(&scalar);
      return;
    case 4:
      v->kind = VKind::kTime;
      v->t = *std::get_if<absl::Time>(&scalar);
      return;
    case 5:
      v->kind = VKind::kDuration;
      v->dur = *std::get_if<absl::Duration>(&scalar);
      return;
    default:  // 6, enum (the plan has no message alternative)
      v->i = std::get_if<EnumNumber>(&scalar)->number;
      v->ref = ref;
      v->kind = v->i == 0 && zero_is_unknown ? VKind::kUnknown : VKind::kEnum;
      return;
  }
}

}  // namespace

// Two passes: the first starts loading the stored values of every direct
// slot (each a separate heap block of the record, so in a record not in
// cache each is a miss; issued together they overlap), the second decodes.
void DecodeFrame(const FrameLayout& layout, const FactSchema& schema,
                 const FactRecord& facts, absl::Time as_of,
                 ScratchStrings* strings, FrameValue* out) {
  const FrameLayout::SlotPlan* plan = layout.plan_.data();
  const int32_t n = layout.size();
  for (int32_t i = 0; i < n; ++i) {
    if (plan[i].direct) {
      __builtin_prefetch(facts.slot(plan[i].field).values.data());
    }
  }
  for (int32_t i = 0; i < n; ++i) {
    const SlotDef& def = layout.slots_[i];
    FrameValue& v = out[i];
    v.path = def.path();
    const FrameLayout::SlotPlan& p = plan[i];
    if (p.direct) {
      const std::vector<FactScalar>& values = facts.slot(p.field).values;
      if (!values.empty() && values[0].index() == p.scalar) {
        DecodeDirect(values[0], p.ref, p.zero_is_unknown, &v);
        continue;
      }
    }
    if (def.mode == SlotDef::Mode::kAsOf) {
      v.kind = VKind::kTime;
      v.t = as_of;
      continue;
    }
    const std::string* error = nullptr;
    const FactRecord* record =
        def.steps.size() == 1 ? &facts : Navigate(def, facts, &error);
    if (error != nullptr) {
      SetError(*error, &v);
    } else if (def.mode == SlotDef::Mode::kPresence) {
      ReadPresence(def, record, &v);
    } else {
      ReadValue(def, record, strings, &v);
    }
  }
}

std::string DisplayFrameValue(const FrameValue& value,
                              const FactSchema& schema) {
  switch (value.kind) {
    case VKind::kUnknown:
    case VKind::kAbsent:
      return "unset";
    case VKind::kError:
      return "error";
    case VKind::kBool:
      return value.b ? "true" : "false";
    case VKind::kInt:
      return absl::StrCat(value.i);
    case VKind::kDouble:
      return DisplayDouble(value.d);
    case VKind::kString:
      return DisplayString(value.s);
    case VKind::kTime:
      return DisplayTimestamp(value.t);
    case VKind::kDuration:
      return DisplayDuration(value.dur);
    case VKind::kEnum:
      return DisplayEnum(value.i, value.ref, schema);
    case VKind::kMessage:
      return "{...}";
    case VKind::kList:
      break;
  }
  std::vector<std::string> parts;
  for (int32_t i = 0; i < value.size; ++i) {
    FrameValue e;
    if (value.fact_list != nullptr) {
      ScalarToValue(value.fact_list->values[i], value.elem, &e);
    } else {
      e = value.elems[i];
    }
    parts.push_back(DisplayFrameValue(e, schema));
  }
  return absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
}

}  // namespace lantern
