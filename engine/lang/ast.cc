// AST helpers: OpSpelling() maps an operator to its source spelling, and
// ExprToString() prints a tree as an S-expression by a pre-order walk that
// appends each node to one output string (operators and calls in prefix
// form, selects in dotted form, literals in a form that keeps their type
// visible: doubles always carry a '.' or exponent, strings are quoted).
#include "engine/lang/ast.h"

#include <string>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace lantern {
namespace {

// Shortest "%g" form that reads back as the same double.
std::string FormatDouble(double value) {
  std::string text;
  for (int precision = 15; precision <= 17; ++precision) {
    text = absl::StrFormat("%.*g", precision, value);
    double parsed = 0;
    if (absl::SimpleAtod(text, &parsed) && parsed == value) break;
  }
  if (text.find_first_of(".eni") == std::string::npos) text.append(".0");
  return text;
}

std::string QuoteString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          absl::StrAppend(&out, absl::StrFormat("\\x%02X", c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

struct LiteralPrinter {
  std::string operator()(bool value) const { return value ? "true" : "false"; }
  std::string operator()(int64_t value) const { return absl::StrCat(value); }
  std::string operator()(double value) const { return FormatDouble(value); }
  std::string operator()(const std::string& value) const {
    return QuoteString(value);
  }
  std::string operator()(absl::Time value) const {
    return absl::StrCat(
        "timestamp(\"",
        absl::FormatTime(absl::RFC3339_full, value, absl::UTCTimeZone()),
        "\")");
  }
  std::string operator()(absl::Duration value) const {
    return absl::StrCat("duration(\"", absl::FormatDuration(value), "\")");
  }
  std::string operator()(EnumLiteral value) const {
    return absl::StrCat("enum(", value.number, ")");
  }
};

void AppendExpr(const Expr& expr, std::string* out);

void AppendChild(const Expr& expr, size_t index, std::string* out) {
  if (index < expr.args.size() && expr.args[index] != nullptr) {
    AppendExpr(*expr.args[index], out);
  } else {
    out->append("<missing>");
  }
}

// Appends " arg" for each argument.
void AppendArgs(const Expr& expr, std::string* out) {
  for (size_t i = 0; i < expr.args.size(); ++i) {
    out->push_back(' ');
    AppendChild(expr, i, out);
  }
}

void AppendExpr(const Expr& expr, std::string* out) {
  switch (expr.kind) {
    case ExprKind::kLiteral:
      out->append(std::visit(LiteralPrinter{}, expr.literal));
      return;
    case ExprKind::kIdent:
      out->append(expr.name);
      return;
    case ExprKind::kSelect:
      AppendChild(expr, 0, out);
      absl::StrAppend(out, ".", expr.name);
      return;
    case ExprKind::kCall:
      absl::StrAppend(out, "(", expr.has_target ? "." : "", expr.name);
      AppendArgs(expr, out);
      out->push_back(')');
      return;
    case ExprKind::kList:
      out->push_back('[');
      for (size_t i = 0; i < expr.args.size(); ++i) {
        if (i > 0) out->push_back(' ');
        AppendChild(expr, i, out);
      }
      out->push_back(']');
      return;
    case ExprKind::kUnary:
    case ExprKind::kBinary:
      absl::StrAppend(out, "(", OpSpelling(expr.op));
      AppendArgs(expr, out);
      out->push_back(')');
      return;
    case ExprKind::kComprehension:
      absl::StrAppend(out, "(", expr.name, " ", expr.iter_var, " in ");
      AppendChild(expr, 0, out);
      out->push_back(' ');
      AppendChild(expr, 1, out);
      out->push_back(')');
      return;
  }
}

}  // namespace

const char* OpSpelling(Op op) {
  switch (op) {
    case Op::kNone:
      return "";
    case Op::kNot:
      return "!";
    case Op::kNeg:
      return "-";
    case Op::kAnd:
      return "&&";
    case Op::kOr:
      return "||";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "in";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
  }
  return "";
}

std::string ExprToString(const Expr& expr) {
  std::string out;
  AppendExpr(expr, &out);
  return out;
}

}  // namespace lantern
