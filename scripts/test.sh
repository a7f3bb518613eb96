#!/usr/bin/env bash
# Sets up a fresh machine, builds everything and runs every test: unit and
# golden suites, the real `lantern` binary on the test rulesets, the format
# check, ~30 s of fuzzing and the Debian package installed into a clean
# Debian 12 root (scripts/test_package.sh: root or sudo, and the Debian
# archive) — all as ctest tests, so ctest's summary line is the verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh --fuzz
ctest --test-dir build --output-on-failure -j "${LANTERN_JOBS:-2}"
