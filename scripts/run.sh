#!/usr/bin/env bash
# Sets up a fresh machine, builds Lantern and runs its main job on its
# embedded defaults: assess the sample episode with the example ruleset and
# print the Assessment as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
rules=tests/testdata/rulesets/example
exec build/server/lantern eval --rules "$rules" \
  --facts "$rules/episodes/runner_at_station.json" --as_of 2024-05-04T12:00:00Z
