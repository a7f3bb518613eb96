#!/usr/bin/env bash
# Sets up a fresh machine, builds Lantern and runs its main job on its
# embedded defaults: assess an example episode (a county lines runner found
# far from home) with the shipped safeguarding ruleset in rules/ and print
# the answer, lantern.v1.Assessment, as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/server/lantern eval --rules rules \
  --facts rules/examples/county_lines_runner.json --as_of 2024-05-04T12:00:00Z
