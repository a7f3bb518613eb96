# Sourced by the benchmark scripts that start `lantern serve` themselves.
#
# wait_for_port OUT: prints the port `lantern serve` reports on its
# "listening on HOST:PORT" line in the file OUT, waiting up to 60 s. Gives
# up early when the process $server_pid has exited, printing OUT's sibling
# .err file (the server's stderr), and exits the script with status 1.
wait_for_port() {
  local out=$1
  for _ in $(seq 600); do
    if grep -q "listening on" "$out" 2>/dev/null; then
      sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$out"
      return
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "lantern serve did not start:" >&2
  cat "${out%.out}.err" >&2
  exit 1
}
