#!/usr/bin/env bash
# packaging/lantern.service is clean under `systemd-analyze verify` and
# keeps its hardening: the unit is verified in a scratch root holding the
# built binary at /usr/bin/lantern, the host's system units and /bin/kill
# (what the unit refers to), and its offline security exposure must stay
# below 2.0 ("OK"). Usage: unit_verify_test.sh LANTERN_BINARY SOURCE_DIR
set -euo pipefail
binary=$1
source_dir=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/bin" "$root/etc/systemd/system" "$root/lib/systemd"
cp "$binary" "$root/usr/bin/lantern"
cp /bin/kill "$root/bin/kill"
cp -a /lib/systemd/system "$root/lib/systemd/"
cp "$source_dir/packaging/lantern.service" "$root/etc/systemd/system/"

output=$(systemd-analyze verify --root="$root" lantern.service 2>&1) || {
  echo "FAIL: systemd-analyze verify exited non-zero:"; echo "$output"; exit 1; }
if [[ -n "$output" ]]; then
  echo "FAIL: systemd-analyze verify is not clean:"; echo "$output"; exit 1
fi
echo "systemd-analyze verify: clean"

for setting in 'User=lantern' 'StateDirectory=lantern' 'ProtectSystem=strict' \
    'NoNewPrivileges=yes' 'PrivateTmp=yes' 'CapabilityBoundingSet=$' \
    'ExecReload=/bin/kill -HUP \$MAINPID' \
    'ExecStart=/usr/bin/lantern serve --config=/etc/lantern/lantern.yaml'; do
  grep -q "^$setting" "$source_dir/packaging/lantern.service" ||
    { echo "FAIL: the unit lacks $setting"; exit 1; }
done

exposure=$(systemd-analyze security --offline=true --root="$root" lantern.service 2>&1 |
  sed -n 's/.*Overall exposure level for lantern.service: \([0-9.]*\).*/\1/p')
[[ -n "$exposure" ]] || { echo "FAIL: no exposure level"; exit 1; }
echo "systemd-analyze security: exposure $exposure"
awk -v e="$exposure" 'BEGIN { exit !(e < 2.0) }' ||
  { echo "FAIL: exposure $exposure is not below 2.0"; exit 1; }
echo "PASS"
