#!/usr/bin/env bash
# Assess over mutual TLS versus plain text, same server build, same run
# (issue 12): builds `lantern` and `lantern_load` in build/ (RelWithDebInfo),
# makes a throw-away CA, a server certificate and an assessor's client
# certificate with openssl, then alternates `lantern serve` with mutual TLS
# and an access file ("mtls") and in plain text ("plain"), PAIRS times each
# (mtls, plain, mtls, plain, ...). Both serve the shipped rules with
# --ledger_off, so that the ledger's disk writes do not drown the
# transport's cost. Against each it runs lantern_load on Assess alone: a
# closed loop at --concurrency for the maximum throughput, then an open loop
# at half of it for latency, on connections made (and handshaken) before the
# timing starts. Prints one line per run and the medians per mode with the
# mtls/plain throughput ratio. See bench/README.md ("Mutual TLS vs plain
# text").
#
#   scripts/bench_tls.sh          # 3 pairs
#   scripts/bench_tls.sh 5        # 5 pairs
# Environment: LANTERN_BENCH_DURATION (10 s per phase), LANTERN_BENCH_CONCURRENCY
# (32), LANTERN_BENCH_DIR (build/bench-tls: certificates and full logs),
# LANTERN_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}
duration=${LANTERN_BENCH_DURATION:-10}
concurrency=${LANTERN_BENCH_CONCURRENCY:-32}
dir=${LANTERN_BENCH_DIR:-build/bench-tls}

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${LANTERN_JOBS:-2}" --target lantern lantern_load >/dev/null
rm -rf "$dir"
mkdir -p "$dir/pki"
server_pid=
trap '[[ -n $server_pid ]] && kill -9 $server_pid 2>/dev/null; true' EXIT

(
  cd "$dir/pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=lantern-bench-ca -keyout ca.key -out ca.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout server.key -out server.csr
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth') \
    -out server.pem
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench \
    -keyout bench.key -out bench.csr
  openssl x509 -req -in bench.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=URI:spiffe://bench.lantern/load\nextendedKeyUsage=clientAuth') \
    -out bench.pem
  printf 'principals:\n  spiffe://bench.lantern/load: [assessor]\n' >access.yaml
) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log"; exit 1; }
pki=$dir/pki

# wait_for_port OUT: the port `lantern serve` prints (scripts/lib).
source scripts/lib/wait_for_port.sh  # the working directory is the repository

# One run: serve in mode $1 ("mtls" or "plain"), load it, stop it; appends
# a summary line to $dir/runs.
run() {
  local mode=$1 n=$2
  local log=$dir/$mode-$n
  local serve_tls=() load_tls=()
  if [[ $mode == mtls ]]; then
    serve_tls=(--tls_cert="$pki/server.pem" --tls_key="$pki/server.key"
      --client_ca="$pki/ca.pem" --access="$pki/access.yaml")
    load_tls=(--ca="$pki/ca.pem" --cert="$pki/bench.pem" --key="$pki/bench.key"
      --server_name=localhost)
  fi
  build/server/lantern serve --listen=127.0.0.1:0 --metrics_listen= --rules=rules \
    --ledger_off "${serve_tls[@]}" >"$log.out" 2>"$log.err" &
  server_pid=$!
  local port
  port=$(wait_for_port "$log.out")
  build/bench/lantern_load --address="127.0.0.1:$port" --server_pid="$server_pid" \
    --baseline=false --duration_s="$duration" --concurrency="$concurrency" \
    "${load_tls[@]}" >"$log.load"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  if [[ $mode == mtls ]] && ! grep -q "mutual TLS" "$log.err"; then
    echo "the mtls server did not serve mutual TLS:" >&2
    cat "$log.err" >&2
    exit 1
  fi
  # Assess max / half lines and the cpu line after each (lantern_load's format).
  awk -v mode="$mode" -v n="$n" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
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
    /cpu per call/ && take != "" { cpu[take] = $5; ccpu[take] = $8; take = "" }
    END {
      printf "%-5s %d  max %6.0f calls/s p50 %7.3f p99 %7.3f ms  server %6.1f client %6.1f us/call" \
             "  | half %5.0f calls/s p50 %6.3f p99 %7.3f ms  | failed %d | load %s\n",
        mode, n, tput["max"], p50["max"], p99["max"], cpu["max"], ccpu["max"],
        tput["half"], p50["half"], p99["half"], failed["max"] + failed["half"], load
    }' "$log.load" | tee -a "$dir/runs"
}

echo "mode  run  Assess closed loop (concurrency $concurrency, ${duration} s)  | open loop at half | failed calls | load average"
for n in $(seq "$pairs"); do
  run mtls "$n"
  run plain "$n"
done

# Medians per mode (fields: 4 max calls/s, 7 p50, 9 p99, 12 server us/call,
# 14 client us/call, 18 half calls/s, 21 half p50, 23 half p99).
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
summary() {
  local mode=$1 f
  for f in 4 7 9 12 14 18 21 23; do
    awk -v m="$mode" -v f="$f" '$1 == m { print $f }' "$dir/runs" | median
  done | paste -sd' '
}
read -r t_tput t_p50 t_p99 t_cpu t_ccpu t_htput t_hp50 t_hp99 <<<"$(summary mtls)"
read -r p_tput p_p50 p_p99 p_cpu p_ccpu p_htput p_hp50 p_hp99 <<<"$(summary plain)"
printf '\nmedians of %d runs each       mutual TLS   plain text\n' "$pairs"
printf 'Assess max, calls/s          %10.0f %12.0f\n' "$t_tput" "$p_tput"
printf 'max p50 / p99, ms      %8.2f / %-6.2f %6.2f / %.2f\n' "$t_p50" "$t_p99" "$p_p50" "$p_p99"
printf 'server CPU per call, us      %10.1f %12.1f\n' "$t_cpu" "$p_cpu"
printf 'client CPU per call, us      %10.1f %12.1f\n' "$t_ccpu" "$p_ccpu"
printf 'half load, calls/s           %10.0f %12.0f\n' "$t_htput" "$p_htput"
printf 'half p50 / p99, ms     %8.2f / %-6.2f %6.2f / %.2f\n' "$t_hp50" "$t_hp99" "$p_hp50" "$p_hp99"
awk -v t="$t_tput" -v p="$p_tput" 'BEGIN {
  printf "mutual TLS / plain text max throughput: %.1f%%\n", 100 * t / p }'
