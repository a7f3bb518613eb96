#!/usr/bin/env bash
# Assess with a shadow run on versus off, same server build, same run
# (issue 14): builds `lantern` and `lantern_load` in build/ (RelWithDebInfo),
# then alternates `lantern serve` (the shipped rules, a fresh temporary
# --ledger each time) with a shadow of the active version started through
# RuleSets.Shadow ("on": every decision evaluated a second time on the
# shadow's worker) and without one ("off"), PAIRS times each. Against each
# runs lantern_load on Assess alone (a client_request_id per call): a closed
# loop at --concurrency, then an open loop at half of it. Prints one line per
# run (with the shadow's report: compared, skipped), the medians per mode
# and the on/off throughput ratio. See bench/README.md ("Shadow runs").
#
#   scripts/bench_shadow.sh          # 3 pairs
#   scripts/bench_shadow.sh 2        # 2 pairs
# Environment: LANTERN_BENCH_DURATION (10 s per phase), LANTERN_BENCH_CONCURRENCY
# (32), LANTERN_BENCH_DIR (build/bench-shadow: full logs; ledgers deleted),
# LANTERN_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}
duration=${LANTERN_BENCH_DURATION:-10}
concurrency=${LANTERN_BENCH_CONCURRENCY:-32}
dir=${LANTERN_BENCH_DIR:-build/bench-shadow}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target lantern lantern_load >/dev/null
rm -rf "$dir"
mkdir -p "$dir"
server_pid=
trap '[[ -n $server_pid ]] && kill -9 $server_pid 2>/dev/null; true' EXIT

# wait_for_port OUT: the port `lantern serve` prints (scripts/lib).
source scripts/lib/wait_for_port.sh  # the working directory is the repository

call() { /usr/bin/python3 scripts/grpc_call.py "$@"; }

# One run: serve, start a shadow in mode "on", load, read the report, stop;
# appends a summary line to $dir/runs.
run() {
  local mode=$1 n=$2
  local log=$dir/$mode-$n
  build/server/lantern serve --listen=127.0.0.1:0 --metrics_listen= --rules=rules \
    --ledger="$dir/ledger-$n-$mode.db" >"$log.out" 2>"$log.err" &
  server_pid=$!
  local port
  port=$(wait_for_port "$log.out")
  local report="-"
  if [[ $mode == on ]]; then
    local digest
    digest=$(call "127.0.0.1:$port" lantern.v1.RuleSets/List |
      sed -n 's/.*"activeDigest": "\(sha256:[0-9a-f]*\)".*/\1/p')
    call "127.0.0.1:$port" lantern.v1.RuleSets/Shadow "{\"version\": \"$digest\"}" \
      >"$log.shadow"
  fi
  build/bench/lantern_load --address="127.0.0.1:$port" --server_pid="$server_pid" \
    --baseline=false --client_request_ids --duration_s="$duration" \
    --concurrency="$concurrency" >"$log.load"
  if [[ $mode == on ]]; then
    sleep 2  # let the shadow's queue drain before reading its totals
    call "127.0.0.1:$port" lantern.v1.Audit/GetShadowReport '{"maxExamples": 1}' \
      >"$log.report"
    report=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print("compared %s differing %s skipped %s errors %s pending %s" % tuple(
    r.get(k, "0") for k in ("compared", "differing", "skipped", "errors", "pending")))
' "$log.report")
  fi
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  rm -f "$dir/ledger-$n-$mode.db"*
  awk -v mode="$mode" -v n="$n" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v report="$report" '
    /^Assess +max/ { phase = "max"; k++ }
    /^Assess +half/ { phase = "half" }
    /^Assess/ && (phase == "half" || k == 2) {
      for (i = 1; i <= NF; i++) {
        if ($i == "calls/s") tput[phase] = $(i - 1)
        if ($i == "p50") p50[phase] = $(i + 1)
        if ($i == "p99") p99[phase] = $(i + 1)
        if ($i == "failed,") failed[phase] = $(i - 1)
      }
      take = phase
      next
    }
    /cpu per call/ && take != "" { cpu[take] = $5; take = "" }
    END {
      printf "%-3s %d  max %6.0f calls/s p50 %7.3f p99 %7.3f ms  server %6.1f us/call" \
             "  | half %5.0f calls/s p50 %6.3f p99 %7.3f ms  | failed %d | load %s | shadow %s\n",
        mode, n, tput["max"], p50["max"], p99["max"], cpu["max"],
        tput["half"], p50["half"], p99["half"], failed["max"] + failed["half"],
        load, report
    }' "$log.load" | tee -a "$dir/runs"
}

echo "mode run  Assess closed loop (concurrency $concurrency, ${duration} s)  | open loop at half | failed calls | load average | shadow report"
for n in $(seq "$pairs"); do
  run on "$n"
  run off "$n"
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
summary() {
  local mode=$1 f
  for f in 4 7 9 12 16 19 21; do
    awk -v m="$mode" -v f="$f" '$1 == m { print $f }' "$dir/runs" | median
  done | paste -sd' '
}
read -r on_tput on_p50 on_p99 on_cpu on_htput on_hp50 on_hp99 <<<"$(summary on)"
read -r off_tput off_p50 off_p99 off_cpu off_htput off_hp50 off_hp99 <<<"$(summary off)"
printf '\nmedians of %d runs each       shadow on   shadow off\n' "$pairs"
printf 'Assess max, calls/s          %10.0f %12.0f\n' "$on_tput" "$off_tput"
printf 'max p50 / p99, ms      %8.2f / %-6.2f %6.2f / %.2f\n' "$on_p50" "$on_p99" "$off_p50" "$off_p99"
printf 'server CPU per call, us      %10.1f %12.1f\n' "$on_cpu" "$off_cpu"
printf 'half load, calls/s           %10.0f %12.0f\n' "$on_htput" "$off_htput"
printf 'half p50 / p99, ms     %8.2f / %-6.2f %6.2f / %.2f\n' "$on_hp50" "$on_hp99" "$off_hp50" "$off_hp99"
awk -v on="$on_tput" -v off="$off_tput" 'BEGIN {
  printf "shadow on / off max throughput: %.1f%%\n", 100 * on / off }'
