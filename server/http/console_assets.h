// The web console's files (server/http/console/), embedded in the binary at
// build time (embed_assets.cmake). Immutable; safe from any thread.
#ifndef LANTERN_SERVER_HTTP_CONSOLE_ASSETS_H_
#define LANTERN_SERVER_HTTP_CONSOLE_ASSETS_H_

#include <cstddef>

#include "absl/types/span.h"

namespace lantern {

struct ConsoleAsset {
  const char* path;  // "/index.html"
  const char* content_type;
  const unsigned char* data;
  size_t size;
};

// Every file, by path.
absl::Span<const ConsoleAsset> ConsoleAssets();

}  // namespace lantern

#endif  // LANTERN_SERVER_HTTP_CONSOLE_ASSETS_H_
