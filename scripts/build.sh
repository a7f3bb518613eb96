#!/usr/bin/env bash
# Configures and builds Lantern in build/ (and, with --fuzz, the libFuzzer
# targets with clang in build-fuzz/). Reuses both directories between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${LANTERN_JOBS:-2}
fuzz_args=()
if [[ "${1:-}" == "--fuzz" ]]; then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DLANTERN_FUZZ=ON -DLANTERN_BUILD_TESTS=OFF >/dev/null
  cmake --build build-fuzz -j "$jobs" --target expression_fuzzer ruleset_fuzzer request_fuzzer
  fuzz_args=(-DLANTERN_FUZZERS_DIR="$PWD/build-fuzz/tests/fuzz")
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${fuzz_args[@]}" >/dev/null
cmake --build build -j "$jobs"
