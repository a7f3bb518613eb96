// Diagnostics: formatting and ordering of rule-file problems.
#include "engine/lang/diagnostics.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lantern {

std::string Diagnostic::ToString() const {
  const char* kind = severity == Severity::kError ? "error" : "warning";
  if (location.line <= 0) {
    return absl::StrCat(location.file, ": ", kind, ": ", message);
  }
  return absl::StrCat(location.file, ":", location.line, ":", location.column,
                      ": ", kind, ": ", message);
}

void Diagnostics::Error(SourceLocation location, std::string message) {
  list_.push_back({std::move(location), Severity::kError, std::move(message)});
  ++error_count_;
}

void Diagnostics::Warning(SourceLocation location, std::string message) {
  list_.push_back(
      {std::move(location), Severity::kWarning, std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  list_.insert(list_.end(), other.list_.begin(), other.list_.end());
  error_count_ += other.error_count_;
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> sorted = list_;
  std::stable_sort(
      sorted.begin(), sorted.end(),
      [](const Diagnostic& a, const Diagnostic& b) {
        return std::tie(a.location.file, a.location.line, a.location.column) <
               std::tie(b.location.file, b.location.line, b.location.column);
      });
  return sorted;
}

std::string Diagnostics::ToString() const {
  std::string out;
  for (const Diagnostic& d : Sorted())
    absl::StrAppend(&out, d.ToString(), "\n");
  return out;
}

}  // namespace lantern
