#!/usr/bin/env bash
# Builds the Debian package in build-package/:
#   lantern_<version>-<revision>_amd64.deb
# (version from engine/version.h; revision from $1, default 1), with the
# binary reading /etc/lantern/lantern.yaml by default. Contents and
# maintainer scripts: packaging/CMakeLists.txt, packaging/debian/.
# Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
revision=${1:-1}
jobs=${LANTERN_JOBS:-2}
cmake -S . -B build-package -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLANTERN_BUILD_TESTS=OFF -DLANTERN_BUILD_BENCHMARKS=OFF \
  -DLANTERN_DEFAULT_CONFIG=/etc/lantern/lantern.yaml \
  -DLANTERN_PACKAGE_REVISION="$revision" >/dev/null
cmake --build build-package -j "$jobs" --target lantern
rm -f build-package/lantern_*-"${revision}"_amd64.deb
(cd build-package && cpack -G DEB >/dev/null)
ls "$PWD"/build-package/lantern_*-"${revision}"_amd64.deb
