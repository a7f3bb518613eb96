// Test data helpers shared by the suites: where tests/testdata is, reading
// a file, and a ruleset directory as in-memory files to overlay and load.
#ifndef LANTERN_TESTS_TESTING_TEST_DATA_H_
#define LANTERN_TESTS_TESTING_TEST_DATA_H_

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/ruleset/ruleset.h"

namespace lantern::testing {

// LANTERN_SOURCE_DIR is defined for every test target by tests/CMakeLists.txt.
inline std::string SourcePath(const std::string& relative) {
  return std::string(LANTERN_SOURCE_DIR) + "/" + relative;
}

inline std::string TestDataPath(const std::string& relative) {
  return SourcePath("tests/testdata/" + relative);
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every file under `dir`, with '/'-separated paths relative to it.
inline std::vector<SourceFile> ReadTree(const std::string& dir) {
  std::vector<SourceFile> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    files.push_back(
        {std::filesystem::relative(entry.path(), dir).generic_string(),
         ReadFileOrDie(entry.path().string())});
  }
  return files;
}

// Replaces (or adds) `path` in `files`; an empty `content` removes it.
inline void Overlay(std::vector<SourceFile>* files, const std::string& path,
                    const std::string& content) {
  for (auto it = files->begin(); it != files->end(); ++it) {
    if (it->path == path) {
      files->erase(it);
      break;
    }
  }
  if (!content.empty()) files->push_back({path, content});
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_TEST_DATA_H_
