#!/usr/bin/env bash
# The matcher benchmark from one command: builds matcher_benchmark and
# workload_generator in build/ (RelWithDebInfo, as scripts/build.sh), writes
# neutral workloads with Lantern's own generator, runs the benchmark on each
# (single thread; the matcher and the reference evaluator in the same run)
# and prints one summary line per size. See bench/README.md.
#
#   scripts/bench.sh                 # N = 100 1000 10000 100000
#   scripts/bench.sh 1000 10000      # chosen sizes
# Environment: LANTERN_BENCH_SEED (1), LANTERN_BENCH_EPISODES (5000),
# LANTERN_BENCH_DIR (build/bench-data: workloads, fired ids, full logs),
# LANTERN_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${LANTERN_BENCH_SEED:-1}
episodes=${LANTERN_BENCH_EPISODES:-5000}
dir=${LANTERN_BENCH_DIR:-build/bench-data}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 10000 100000)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target matcher_benchmark workload_generator
mkdir -p "$dir"
for n in "${sizes[@]}"; do
  workload="$dir/w$n.s$seed.json"
  build/bench/workload_generator --rules "$n" --episodes "$episodes" \
    --seed "$seed" --out "$workload"
  build/bench/matcher_benchmark "$workload" --fired_out="$dir/w$n.s$seed.fired.jsonl" \
    >"$dir/w$n.s$seed.log" 2>&1 ||
    { tail -20 "$dir/w$n.s$seed.log"; exit 1; }
  grep -E '^(workload|compiler|fired ids|summary)' "$dir/w$n.s$seed.log"
done
