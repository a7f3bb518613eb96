#!/usr/bin/env bash
# Assess throughput and ledger commit latency with 1, 2 and 3 `lantern serve`
# replicas sharing one PostgreSQL ledger, against one node on a SQLite
# ledger, same machine, same run (issue 13): builds `lantern` and
# `lantern_load` in build/ (RelWithDebInfo), starts a throw-away
# PostgreSQL 15 (initdb + pg_ctl in a temporary directory, Unix socket only;
# as root it runs as user postgres), then for each configuration starts the
# servers on a fresh ledger (a new database, or a new SQLite file) and runs
# lantern_load on Assess alone against all of them (--address a,b,c: calls
# go to each replica in turn; a client_request_id per call), a closed loop at
# --concurrency then an open loop at half the throughput found.
#
# Commit latency is the servers' own histogram,
# lantern_ledger_commit_duration_seconds (time to write and sync one ledger
# transaction, i.e. one group commit), read from each server's /metrics at
# the end of its run and summed over the replicas; p50/p99 are interpolated
# linearly within its buckets (bounds 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250 ms
# ...), so they are as coarse as those. It covers the whole run (the 1 s
# warm-up and both phases). See bench/README.md ("Replicas on PostgreSQL").
#
#   scripts/bench_replicas.sh            # sqlite, pg x1, pg x2, pg x3
# Environment: LANTERN_BENCH_DURATION (10 s per phase), LANTERN_BENCH_CONCURRENCY
# (32), LANTERN_BENCH_DIR (build/bench-replicas: logs), LANTERN_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${LANTERN_BENCH_DURATION:-10}
concurrency=${LANTERN_BENCH_CONCURRENCY:-32}
dir=$(realpath -m "${LANTERN_BENCH_DIR:-build/bench-replicas}")
pgbin=/usr/lib/postgresql/15/bin

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target lantern lantern_load >/dev/null
[[ -x $pgbin/initdb ]] || { echo "no $pgbin/initdb: scripts/setup.sh installs postgresql-15" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"

pgdir=$(mktemp -d /tmp/lantern-bench-pg-XXXXXX)
as_pg=()
if [[ $(id -u) == 0 ]]; then
  chown postgres: "$pgdir"
  as_pg=(/usr/sbin/runuser -u postgres --)
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log"
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -o \
  "-k $pgdir -c listen_addresses= -p 5432 -c max_connections=100" start >/dev/null
uri() { echo "postgresql:///$1?host=$pgdir&port=5432&user=postgres"; }
psql_admin() { "${as_pg[@]}" /usr/bin/psql -q -h "$pgdir" -U postgres -d postgres -c "$1"; }

# wait_for_port OUT: the port `lantern serve` prints (scripts/lib).
source scripts/lib/wait_for_port.sh  # the working directory is the repository

# start NAME LEDGER: one `lantern serve` in the background; sets `port`
# and `metrics`, appends its pid to pids.
start() {
  local name=$1 ledger=$2 log=$dir/$1
  build/server/lantern serve --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
    --rules=rules --ledger="$ledger" --ledger_key="$dir/ledger.key" \
    >"$log.out" 2>"$log.err" &
  server_pid=$!
  pids+=("$server_pid")
  port=$(wait_for_port "$log.out")
  for _ in $(seq 100); do
    metrics=$(sed -n 's/^lantern serve: metrics on //p' "$log.out")
    [[ -n $metrics ]] && break
    sleep 0.1
  done
}

# run CONFIG N LEDGER...: N servers (one per LEDGER given), loaded together.
run() {
  local config=$1 n=$2
  shift 2
  local addresses=() scrapes=() i
  for ((i = 0; i < n; i++)); do
    start "$config-$i" "$1"
    [[ $# -gt 1 ]] && shift
    addresses+=("127.0.0.1:$port")
    scrapes+=("$metrics")
  done
  build/bench/lantern_load --address="$(IFS=,; echo "${addresses[*]}")" \
    --baseline=false --client_request_ids --duration_s="$duration" \
    --concurrency="$concurrency" >"$dir/$config.load"
  : >"$dir/$config.metrics"
  for m in "${scrapes[@]}"; do
    /usr/bin/python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
      "http://$m/metrics" >>"$dir/$config.metrics"
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  # The load's Assess max/half lines (lantern_load's format) and the summed
  # commit histogram's percentiles.
  local load
  load=$(awk '
    /^Assess +max/ { phase = "max"; k++ }
    /^Assess +half/ { phase = "half" }
    /^Assess/ && (phase == "half" || k == 2) {
      for (i = 1; i <= NF; i++) {
        if ($i == "calls/s") tput[phase] = $(i - 1)
        if ($i == "p50") p50[phase] = $(i + 1)
        if ($i == "p99") p99[phase] = $(i + 1)
        if ($i == "failed,") failed[phase] += $(i - 1)
      }
    }
    END {
      printf "%6.0f %7.2f %7.2f %6.0f %7.2f %7.2f %5d", tput["max"], p50["max"],
        p99["max"], tput["half"], p50["half"], p99["half"],
        failed["max"] + failed["half"]
    }' "$dir/$config.load")
  local commits
  commits=$(awk '
    /^lantern_ledger_commit_duration_seconds_bucket/ {
      match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
      if (le == "+Inf") le = 1e9
      cum[le + 0] += $NF
    }
    /^lantern_ledger_commit_batch_size_sum/ { records += $NF }
    END {
      n = 0
      for (b in cum) {  # insertion sort (mawk has no asort)
        v = b + 0
        for (i = n; i >= 1 && bounds[i] > v; i--) bounds[i + 1] = bounds[i]
        bounds[i + 1] = v; n++
      }
      total = cum[bounds[n]]
      if (total == 0) { printf "%8s %7s %7s %6s", "-", "-", "-", "-"; exit }
      split("0.5 0.99", qs, " ")
      for (j = 1; j <= 2; j++) {
        want = qs[j] * total; lo = 0; below = 0
        for (i = 1; i <= n; i++) {
          if (cum[bounds[i]] >= want) {
            hi = bounds[i]; if (hi > 1e8) hi = lo
            f = (want - below) / (cum[bounds[i]] - below)
            q[j] = 1000 * (lo + f * (hi - lo)); break
          }
          lo = bounds[i]; below = cum[bounds[i]]
        }
      }
      printf "%8d %7.2f %7.2f %6.1f", total, q[1], q[2], records / total
    }' "$dir/$config.metrics")
  printf '%-14s %s | %s | %s\n' "$config" "$load" "$commits" "$(cut -d' ' -f1-3 /proc/loadavg)" |
    tee -a "$dir/runs"
}

echo "Assess: closed loop at concurrency $concurrency, then open loop at half; ${duration} s each"
printf '%-14s %6s %7s %7s %6s %7s %7s %5s | %8s %7s %7s %6s | %s\n' config \
  "max/s" "p50ms" "p99ms" "half/s" "p50ms" "p99ms" fail commits "c.p50" "c.p99" "rec/c" load
run sqlite 1 "$dir/ledger.db"
for n in 1 2 3; do
  psql_admin "CREATE DATABASE lantern_$n"
  u=$(uri "lantern_$n")
  run "postgresql-x$n" "$n" "$u" "$u" "$u"
done
