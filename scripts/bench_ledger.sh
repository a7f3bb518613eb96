#!/usr/bin/env bash
# Assess with the audit ledger on versus off, same server build, same run
# (issue 6 §5): builds `lantern` and `lantern_load` in build/ (RelWithDebInfo),
# then alternates `lantern serve` with a fresh temporary --ledger ("on") and
# with --ledger_off ("off"), PAIRS times each (on, off, on, off, ...); against
# each runs lantern_load on Assess alone (the shipped rules and example
# episodes, a client_request_id per call): a closed loop at --concurrency for
# the maximum throughput, then an open loop at half of it for latency. Prints
# one line per run and the medians per mode with the on/off throughput ratio.
# See bench/README.md ("Ledger on vs off").
#
#   scripts/bench_ledger.sh          # 3 pairs
#   scripts/bench_ledger.sh 2        # 2 pairs
# Environment: LANTERN_BENCH_DURATION (10 s per phase), LANTERN_BENCH_CONCURRENCY
# (32), LANTERN_BENCH_DIR (build/bench-ledger: full logs; each ledger is deleted
# after its run, its size printed), LANTERN_JOBS (2), LANTERN_BENCH_VIEW
# (AssessRequest.view: DECISION, EXPLAINED or FULL; unset: the default).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}
duration=${LANTERN_BENCH_DURATION:-10}
concurrency=${LANTERN_BENCH_CONCURRENCY:-32}
dir=${LANTERN_BENCH_DIR:-build/bench-ledger}
view=${LANTERN_BENCH_VIEW:-}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target lantern lantern_load >/dev/null
rm -rf "$dir"
mkdir -p "$dir"
server_pid=
trap '[[ -n $server_pid ]] && kill -9 $server_pid 2>/dev/null; true' EXIT

# wait_for_port OUT: the port `lantern serve` prints (scripts/lib).
source scripts/lib/wait_for_port.sh  # the working directory is the repository

# One run: serve in mode $1 ("on" or "off"), load it, stop it; appends a
# summary line to $dir/runs.
run() {
  local mode=$1 n=$2 flag
  local log=$dir/$mode-$n
  if [[ $mode == on ]]; then
    flag=--ledger=$dir/ledger-$n.db
  else
    flag=--ledger_off
  fi
  build/server/lantern serve --listen=127.0.0.1:0 --metrics_listen= --rules=rules "$flag" \
    >"$log.out" 2>"$log.err" &
  server_pid=$!
  local port
  port=$(wait_for_port "$log.out")
  build/bench/lantern_load --address="127.0.0.1:$port" --server_pid="$server_pid" \
    --baseline=false --client_request_ids --duration_s="$duration" \
    --concurrency="$concurrency" --view="$view" >"$log.load"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  local bytes=-
  if [[ $mode == on ]]; then  # about 20 KB a decision: do not keep them
    bytes=$(du -cb "$dir/ledger-$n.db"* | tail -1 | cut -f1)
    rm -f "$dir/ledger-$n.db"*
  fi
  # Assess max / half lines and the cpu line after each (lantern_load's format).
  awk -v mode="$mode" -v n="$n" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v stats="$(sed -n 's/^lantern serve: ledger: //p' "$log.err")" -v bytes="$bytes" '
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
             "  | half %5.0f calls/s p50 %6.3f p99 %7.3f ms  | failed %d | load %s | %s\n",
        mode, n, tput["max"], p50["max"], p99["max"], cpu["max"],
        tput["half"], p50["half"], p99["half"], failed["max"] + failed["half"],
        load, (stats == "" ? "-" : stats " (" bytes " bytes on disk)")
    }' "$log.load" | tee -a "$dir/runs"
}

echo "mode run  Assess closed loop (concurrency $concurrency, ${duration} s)  | open loop at half | failed calls | load average | ledger"
for n in $(seq "$pairs"); do
  run on "$n"
  run off "$n"
done

# Medians per mode (fields: 4 max calls/s, 7 p50, 9 p99, 12 server us/call,
# 16 half calls/s, 19 half p50, 21 half p99).
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
summary() {
  local mode=$1 f
  for f in 4 7 9 12 16 19 21; do
    awk -v m="$mode" -v f="$f" '$1 == m { print $f }' "$dir/runs" | median
  done | paste -sd' '
}
read -r on_tput on_p50 on_p99 on_cpu on_htput on_hp50 on_hp99 <<<"$(summary on)"
read -r off_tput off_p50 off_p99 off_cpu off_htput off_hp50 off_hp99 <<<"$(summary off)"
printf '\nmedians of %d runs each       ledger on   ledger off\n' "$pairs"
printf 'Assess max, calls/s          %10.0f %12.0f\n' "$on_tput" "$off_tput"
printf 'max p50 / p99, ms      %8.2f / %-6.2f %6.2f / %.2f\n' "$on_p50" "$on_p99" "$off_p50" "$off_p99"
printf 'server CPU per call, us      %10.1f %12.1f\n' "$on_cpu" "$off_cpu"
printf 'half load, calls/s           %10.0f %12.0f\n' "$on_htput" "$off_htput"
printf 'half p50 / p99, ms     %8.2f / %-6.2f %6.2f / %.2f\n' "$on_hp50" "$on_hp99" "$off_hp50" "$off_hp99"
awk -v on="$on_tput" -v off="$off_tput" 'BEGIN {
  printf "ledger on / off max throughput: %.1f%% (goal >= 70%%)\n", 100 * on / off }'
