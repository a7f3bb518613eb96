# Sourced by the shell integration tests: start_server LANTERN RULES_DIR
# [FLAG...] starts `lantern serve` on 127.0.0.1:0 (with any further flags)
# in the background, waits (boundedly)
# for its listening line and sets $pid and $addr; stop_server sends SIGTERM
# and fails unless it exits 0; fail prints the server's stderr. Needs $tmp.
pid=
addr=
fail() {
  echo "FAIL: $*"
  echo "--- server stderr:"
  cat "$tmp/err" 2>/dev/null || true
  exit 1
}
cleanup() {
  if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
start_server() {
  "$1" serve --listen 127.0.0.1:0 --metrics_listen 127.0.0.1:0 --rules "$2" --ledger "$tmp/ledger.db" "${@:3}" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1200); do
    grep -q "listening on" "$tmp/out" && break
    kill -0 "$pid" 2>/dev/null || fail "server exited"
    sleep 0.1
  done
  addr=$(sed -n 's/^lantern serve: listening on //p' "$tmp/out")
  [[ -n "$addr" ]] || fail "no listening line"
}
stop_server() {
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  pid=
  [[ $status -eq 0 ]] || fail "exit status $status after SIGTERM"
}
