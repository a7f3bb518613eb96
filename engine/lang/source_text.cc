// SourceText: byte offset → file position.
#include "engine/lang/source_text.h"

#include <algorithm>
#include <utility>

namespace lantern {

SourceText SourceText::FromString(std::string file, std::string text, int line,
                                  int column) {
  std::vector<std::pair<int, int>> positions;
  positions.reserve(text.size());
  for (char c : text) {
    positions.emplace_back(line, column);
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  SourceText source;
  source.file_ = std::move(file);
  source.text_ = std::move(text);
  source.positions_ = std::move(positions);
  source.end_position_ = {line, column};
  return source;
}

SourceText SourceText::WithPositions(
    std::string file, std::string text,
    std::vector<std::pair<int, int>> positions) {
  SourceText source;
  source.file_ = std::move(file);
  source.text_ = std::move(text);
  source.positions_ = std::move(positions);
  if (!source.positions_.empty()) {
    auto [line, column] = source.positions_.back();
    source.end_position_ = {line, column + 1};
  }
  return source;
}

SourceLocation SourceText::Locate(int32_t offset) const {
  std::pair<int, int> at = end_position_;
  if (offset >= 0 && offset < static_cast<int32_t>(positions_.size())) {
    at = positions_[offset];
  }
  return SourceLocation{file_, at.first, at.second};
}

absl::string_view SourceText::Slice(int32_t begin, int32_t end) const {
  const int32_t size = static_cast<int32_t>(text_.size());
  begin = std::clamp(begin, 0, size);
  end = std::clamp(end, begin, size);
  return absl::string_view(text_).substr(begin, end - begin);
}

}  // namespace lantern
