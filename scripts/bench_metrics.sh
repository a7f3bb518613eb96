#!/usr/bin/env bash
# Assess with the metrics endpoint on versus off, same server build, same run:
# builds `lantern` and `lantern_load` in build/ (RelWithDebInfo), then
# alternates `lantern serve --metrics_listen=127.0.0.1:0` ("on": the metrics
# interceptor on every call, every decision counted, the endpoint scraped
# once a second during the load, as an impatient Prometheus would) with
# `--metrics_listen=` ("off": none of that), PAIRS times each, both with
# --ledger_off so that the ledger's fsync does not hide the CPU the metrics
# cost. Against each runs lantern_load on Assess alone (closed loop at
# --concurrency, then an open loop at half). Prints one line per run and the
# medians per mode, with the on/off ratios of throughput and of server CPU
# per call. See bench/README.md ("Metrics on vs off").
#
#   scripts/bench_metrics.sh          # 3 pairs
#   scripts/bench_metrics.sh 5        # 5 pairs
# Environment: LANTERN_BENCH_DURATION (10 s per phase),
# LANTERN_BENCH_CONCURRENCY (32), LANTERN_BENCH_DIR (build/bench-metrics:
# full logs), LANTERN_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}
duration=${LANTERN_BENCH_DURATION:-10}
concurrency=${LANTERN_BENCH_CONCURRENCY:-32}
dir=${LANTERN_BENCH_DIR:-build/bench-metrics}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target lantern lantern_load >/dev/null
rm -rf "$dir"
mkdir -p "$dir"
server_pid=
scraper_pid=
trap '[[ -n $scraper_pid ]] && kill $scraper_pid 2>/dev/null; [[ -n $server_pid ]] && kill -9 $server_pid 2>/dev/null; true' EXIT

# wait_for_port OUT: the port `lantern serve` prints (scripts/lib).
source scripts/lib/wait_for_port.sh  # the working directory is the repository

# One run in mode $1 ("on" or "off"); appends a summary line to $dir/runs.
run() {
  local mode=$1 n=$2
  local log=$dir/$mode-$n metrics=
  [[ $mode == on ]] && metrics=127.0.0.1:0
  build/server/lantern serve --listen=127.0.0.1:0 --metrics_listen="$metrics" \
    --rules=rules --ledger_off >"$log.out" 2>"$log.err" &
  server_pid=$!
  local port
  port=$(wait_for_port "$log.out")
  local scrapes=0
  if [[ $mode == on ]]; then
    local metrics_port
    metrics_port=$(sed -n 's/^lantern serve: metrics on .*:\([0-9]*\)$/\1/p' "$log.out")
    while [[ -z $metrics_port ]]; do
      sleep 0.1
      metrics_port=$(sed -n 's/^lantern serve: metrics on .*:\([0-9]*\)$/\1/p' "$log.out")
    done
    (while true; do
       # bash's /dev/tcp: a scrape without a client process's start-up CPU
       if exec 3<>"/dev/tcp/127.0.0.1/$metrics_port"; then
         printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
         grep -q '^lantern_rpc_handled_total' <&3 && echo scrape
         exec 3>&-
       fi
       sleep 1
     done) >"$log.scrapes" 2>/dev/null &
    scraper_pid=$!
  fi
  build/bench/lantern_load --address="127.0.0.1:$port" --server_pid="$server_pid" \
    --baseline=false --duration_s="$duration" --concurrency="$concurrency" \
    >"$log.load"
  if [[ -n $scraper_pid ]]; then
    kill "$scraper_pid" 2>/dev/null || true
    wait "$scraper_pid" 2>/dev/null || true
    scraper_pid=
    scrapes=$(grep -c scrape "$log.scrapes" || true)
  fi
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  awk -v mode="$mode" -v n="$n" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    -v scrapes="$scrapes" '
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
             "  | half %5.0f calls/s server %6.1f us/call | failed %d | scrapes %d | load %s\n",
        mode, n, tput["max"], p50["max"], p99["max"], cpu["max"],
        tput["half"], cpu["half"], failed["max"] + failed["half"], scrapes, load
    }' "$log.load" | tee -a "$dir/runs"
}

echo "mode run  Assess closed loop (concurrency $concurrency, ${duration} s)  | open loop at half | failed calls | scrapes | load average"
for n in $(seq "$pairs"); do
  run on "$n"
  run off "$n"
done

# Medians per mode (fields: 4 max calls/s, 12 server us/call at max,
# 16 half calls/s, 19 server us/call at half).
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
summary() {
  local mode=$1 f
  for f in 4 12 16 19; do
    awk -v m="$mode" -v f="$f" '$1 == m { print $f }' "$dir/runs" | median
  done | paste -sd' '
}
read -r on_tput on_cpu on_htput on_hcpu <<<"$(summary on)"
read -r off_tput off_cpu off_htput off_hcpu <<<"$(summary off)"
printf '\nmedians of %d runs each       metrics on  metrics off\n' "$pairs"
printf 'Assess max, calls/s          %10.0f %12.0f\n' "$on_tput" "$off_tput"
printf 'server CPU per call, us      %10.1f %12.1f\n' "$on_cpu" "$off_cpu"
printf 'half load, calls/s           %10.0f %12.0f\n' "$on_htput" "$off_htput"
printf 'half server CPU per call, us %10.1f %12.1f\n' "$on_hcpu" "$off_hcpu"
awk -v on="$on_tput" -v off="$off_tput" -v con="$on_cpu" -v coff="$off_cpu" 'BEGIN {
  printf "metrics on / off max throughput: %.1f%%; server CPU per call on / off: %.1f%%\n",
    100 * on / off, 100 * con / coff }'
