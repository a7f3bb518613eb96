#!/usr/bin/env bash
# Builds the Debian package lantern_<version>-<revision>_amd64.deb
# (version from engine/version.h; revision from $1, default 1) in the
# build tree $LANTERN_PACKAGE_BUILD (default build-package/, configured
# here without tests; an existing tree such as the test command's build/
# is used as it is configured), into its packages/ directory. The binary
# is the target lantern_packaged: `lantern` reading
# /etc/lantern/lantern.yaml by default, so in a tree that has built
# `lantern` only two files compile. Another revision from the same tree
# rebuilds nothing: only the package's version changes. Contents and
# maintainer scripts: packaging/CMakeLists.txt, packaging/debian/.
# Prints the package's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
revision=${1:-1}
jobs=${LANTERN_JOBS:-2}
tree=${LANTERN_PACKAGE_BUILD:-build-package}
tree=$(realpath -m "$tree")
if [[ ! -f "$tree/CMakeCache.txt" ]]; then
  cmake -S . -B "$tree" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLANTERN_BUILD_TESTS=OFF -DLANTERN_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$tree" -j "$jobs" --target lantern_packaged
rm -f "$tree"/packages/lantern_*-"${revision}"_amd64.deb
cpack --config "$tree/CPackConfig.cmake" -B "$tree/packages" -G DEB \
  -D CPACK_DEBIAN_PACKAGE_RELEASE="$revision" >/dev/null
ls "$tree"/packages/lantern_*-"${revision}"_amd64.deb
