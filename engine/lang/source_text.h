// SourceText: one expression's text and where each byte came from.
//
// Conditions live inside YAML scalars (plain, quoted, or multi-line `|`/`>`
// blocks), so an offset into the expression text is not an offset into the
// file. The loader records, for every byte of the text, the file line and
// column it was read from; parser and checker report through Locate() and
// so point at the exact token even inside a multi-line `when:` block.
//
// Thread-safety: immutable once built.
#ifndef LANTERN_ENGINE_LANG_SOURCE_TEXT_H_
#define LANTERN_ENGINE_LANG_SOURCE_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/lang/diagnostics.h"

namespace lantern {

class SourceText {
 public:
  // Text that starts at `line`:`column` of `file` and has no line breaks of
  // its own other than the ones in `text` (columns restart at 1 after '\n').
  static SourceText FromString(std::string file, std::string text, int line = 1,
                               int column = 1);
  // Text with an explicit position per byte. REQUIRES: positions.size() ==
  // text.size(); each position is a (line, column) pair.
  static SourceText WithPositions(std::string file, std::string text,
                                  std::vector<std::pair<int, int>> positions);

  const std::string& file() const { return file_; }
  const std::string& text() const { return text_; }

  // The file position of byte `offset`; offsets at or past the end map just
  // after the last byte.
  SourceLocation Locate(int32_t offset) const;
  // The text of [begin, end), clamped to the text.
  absl::string_view Slice(int32_t begin, int32_t end) const;

 private:
  std::string file_;
  std::string text_;
  std::vector<std::pair<int, int>> positions_;  // one per byte
  std::pair<int, int> end_position_{1, 1};
};

}  // namespace lantern

#endif  // LANTERN_ENGINE_LANG_SOURCE_TEXT_H_
