// Diagnostics: problems found in rule files, reported as data.
//
// A Diagnostic is one problem with its exact source position
// (`file:line:col: error: message`). Loading, parsing and checking collect
// every problem they find into a Diagnostics list instead of stopping at the
// first one; `absl::Status` is reserved for calls that failed outright (an
// unreadable directory, say). Lines and columns are 1-based; columns count
// bytes, as compilers do.
//
// Thread-safety: plain values; a Diagnostics list must not be appended to
// from two threads at once.
#ifndef LANTERN_ENGINE_LANG_DIAGNOSTICS_H_
#define LANTERN_ENGINE_LANG_DIAGNOSTICS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace lantern {

// A position in a source file. `line == 0` means "the whole file".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  SourceLocation location;
  Severity severity = Severity::kError;
  std::string message;

  // "file:line:col: error: message" (or "file: error: message" without a line).
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(SourceLocation location, std::string message);
  void Warning(SourceLocation location, std::string message);
  void Append(const Diagnostics& other);

  bool has_errors() const { return error_count_ > 0; }
  int error_count() const { return error_count_; }
  const std::vector<Diagnostic>& list() const { return list_; }

  // Sorted by file, line and column; stable for equal positions.
  std::vector<Diagnostic> Sorted() const;
  // One ToString() per line, sorted, each ending in '\n'.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> list_;
  int error_count_ = 0;
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_DIAGNOSTICS_H_
