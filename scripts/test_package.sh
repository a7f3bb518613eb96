#!/usr/bin/env bash
# The Debian package end to end: builds it twice (revisions 1 and 2,
# scripts/package.sh, from the build tree $LANTERN_PACKAGE_BUILD: the
# second only changes the version), checks its contents, verifies its
# unit, installs revision 1 into a clean Debian 12 root (debootstrap
# --variant=minbase, from the Debian archive; kept in $LANTERN_DEBIAN_BASE,
# default /var/tmp/lantern-debian12, for the next run), starts the unit's
# ExecStart as the unit would (its user, working directory, umask and
# state directory) and assesses a shipped example over gRPC, scrapes its
# metrics, edits the conffile as an administrator would, upgrades to
# revision 2 and checks that the ledger (verified, still holding the
# decision) and the edited config survived, then purges the package and
# checks that the ledger is kept.
#
# The packages are built as the calling user; the rest needs root (chroot,
# mount), so without it the script runs itself again through `sudo -n`.
# The server listens on port 0 (flags override the packaged config's
# fixed ports), so the test shares no port with the host; each run works
# in a directory of its own ($LANTERN_PACKAGE_WORK, default a new
# /tmp/lantern-package-test.*, removed when every check passed), so runs
# may overlap. Needs debootstrap, /usr/bin/python3 with python3-grpcio,
# and the Debian archive (http://deb.debian.org): without it the test
# fails saying so. Ends with "N passed, N failed"; exit 1 on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
work=${LANTERN_PACKAGE_WORK:-$(mktemp -d /tmp/lantern-package-test.XXXXXX)}
base=${LANTERN_DEBIAN_BASE:-/var/tmp/lantern-debian12}
mirror=${LANTERN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
root=$work/root
started=$SECONDS

if [[ -z "${LANTERN_PACKAGE_DEBS:-}" ]]; then
  echo "== building the package (revisions 1 and 2)"
  deb1=$(scripts/package.sh 1 | tail -1)
  deb2=$(scripts/package.sh 2 | tail -1)
else
  read -r deb1 deb2 <<<"$LANTERN_PACKAGE_DEBS"
fi
if [[ $(id -u) -ne 0 ]]; then
  if ! sudo -n true 2>/dev/null; then
    echo "FAIL: the package test needs root (chroot, mount): run it as root,"
    echo "or give this user sudo without a password"
    echo "0 passed, 1 failed"
    exit 1
  fi
  exec sudo -n env LANTERN_PACKAGE_DEBS="$deb1 $deb2" LANTERN_PACKAGE_WORK="$work" \
    LANTERN_DEBIAN_BASE="$base" LANTERN_DEBIAN_MIRROR="$mirror" "$0"
fi
mkdir -p "$work"
rm -rf "$root" "$work/extract"
cp "$deb1" "$deb2" "$work/"
deb1=$work/$(basename "$deb1")
deb2=$work/$(basename "$deb2")
echo "$deb1"
echo "$deb2"

passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@" >>"$work/checks.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAIL: $what (see $work/checks.log)"
  fi
}
# Ends the test at once with a failure that stops the rest.
give_up() {
  echo "FAIL: $1"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
}
pid=
cleanup() {
  if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc"; fi
}
trap cleanup EXIT

echo "== contents"
dpkg-deb -c "$deb1" | awk '{print $1, $6}' | tee "$work/contents.txt"
for path in ./usr/bin/lantern ./usr/share/lantern/rules/manifest.yaml \
    ./usr/share/lantern/rules/policy.yaml ./etc/lantern/lantern.yaml \
    ./lib/systemd/system/lantern.service ./usr/share/doc/lantern/README.md; do
  check "package holds $path" grep -q " $path\$" "$work/contents.txt"
done
check "conffile /etc/lantern/lantern.yaml" \
  sh -c "dpkg-deb --ctrl-tarfile '$deb1' | tar -xO ./conffiles | grep -qx /etc/lantern/lantern.yaml"
check "Depends names the gRPC library" \
  sh -c "dpkg-deb -f '$deb1' Depends | grep -q libgrpc++"
check "the two revisions differ in version" \
  test "$(dpkg-deb -f "$deb1" Version)" != "$(dpkg-deb -f "$deb2" Version)"
dpkg-deb -x "$deb1" "$work/extract"
check "unit verifies with the packaged binary" \
  tests/packaging/unit_verify_test.sh "$work/extract/usr/bin/lantern" "$src"

echo "== a clean Debian 12 root"
# One run makes the cached root, under a lock, into a temporary directory
# renamed when complete; others wait for it.
make_base() {
  [[ -x "$base/bin/sh" ]] && return 0
  rm -rf "$base.new"
  if ! debootstrap --variant=minbase bookworm "$base.new" "$mirror" \
      >"$work/debootstrap.log" 2>&1; then
    tail -5 "$work/debootstrap.log"
    rm -rf "$base.new"
    return 1
  fi
  rm -rf "$base"
  mv "$base.new" "$base"
}
mkdir -p "$(dirname "$base")"
exec {lock}>"$base.lock"
flock "$lock"
make_base || give_up "debootstrap could not make a Debian 12 root from $mirror (see $work/debootstrap.log): is the Debian archive reachable?"
flock -u "$lock"
echo "Debian 12 root ready after $((SECONDS - started)) s"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
cp "$deb1" "$deb2" "$root/tmp/"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq >"$work/apt-update.log" 2>&1 ||
  give_up "apt-get update in the Debian 12 root failed (see $work/apt-update.log): is the Debian archive reachable?"
echo "== install revision 1"
check "apt-get installs revision 1 with its dependencies" \
  in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb1")"
check "the lantern system user exists" in_root getent passwd lantern
check "installed version is revision 1" \
  sh -c "chroot '$root' dpkg-query -W -f='\${Version}' lantern | grep -q -- '-1\$'"
check "the binary reads /etc/lantern/lantern.yaml by default" \
  sh -c "chroot '$root' /usr/bin/lantern --helpfull 2>&1 | grep -q 'default: \"/etc/lantern/lantern.yaml\"'"

# What systemd does for StateDirectory=lantern (StateDirectoryMode=0700).
in_root install -d -o lantern -g lantern -m 0700 /var/lib/lantern
unit=$root/lib/systemd/system/lantern.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
group=$(sed -n 's/^Group=//p' "$unit")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
umask_value=$(sed -n 's/^UMask=//p' "$unit")
addr=
metrics=
start_as_unit() {
  chroot --userspec="$user:$group" "$root" /bin/sh -c \
    "cd '$workdir' && umask $umask_value && exec $exec_start --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0" \
    >"$work/out" 2>"$work/err" &
  pid=$!
  addr=
  metrics=
  for _ in $(seq 1200); do
    grep -q "metrics on" "$work/out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  addr=$(sed -n 's/^lantern serve: listening on //p' "$work/out")
  metrics=$(sed -n 's/^lantern serve: metrics on //p' "$work/out")
  [[ -n "$addr" && -n "$metrics" ]]
}
stop_server() {
  kill -TERM "$pid"
  local status=0
  wait "$pid" || status=$?
  pid=
  return "$status"
}
example=$(ls "$root"/usr/share/lantern/rules/examples/*.json | head -1)
assess() {
  /usr/bin/python3 scripts/grpc_call.py "$addr" lantern.v1.RiskAssessment/Assess \
    "{\"facts\": $(cat "$example"), \"asOf\": \"2024-05-04T12:00:00Z\", \"clientRequestId\": \"$1\"}" \
    >"$work/answer-$1.json"
  grep -q '"decisionId"' "$work/answer-$1.json"
}
scrape() {
  /usr/bin/python3 -c "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://$metrics/metrics').read().decode())"
}

echo "== run the unit's command (revision 1)"
check "serve starts as the unit would" start_as_unit
cat "$work/err"
check "assesses a shipped example" assess first
decision=$(sed -n 's/.*"decisionId": "\([^"]*\)".*/\1/p' "$work/answer-first.json")
one_decision_counted() {
  scrape | grep -E '^lantern_decisions_total' | awk '{s += $2} END {exit s != 1}'
}
check "metrics count the decision" one_decision_counted
check "SIGTERM stops it with exit 0" stop_server
check "ledger is 0600, owned by lantern" \
  sh -c "chroot '$root' stat -c '%a %U' /var/lib/lantern/ledger.db | grep -qx '600 lantern'"
check "state directory is 0700, owned by lantern" \
  sh -c "chroot '$root' stat -c '%a %U' /var/lib/lantern | grep -qx '700 lantern'"
check "ledger key is in the state directory" test -f "$root/var/lib/lantern/ledger.key"

# An administrator's change to the conffile, which an upgrade must keep.
sed -i 's/^max_repeated: 100$/max_repeated: 50/' "$root/etc/lantern/lantern.yaml"

echo "== upgrade to revision 2"
check "apt-get upgrades to revision 2 keeping the edited conffile" \
  in_root apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confold "/tmp/$(basename "$deb2")"
check "installed version is revision 2" \
  sh -c "chroot '$root' dpkg-query -W -f='\${Version}' lantern | grep -q -- '-2\$'"
check "the edited config survived" grep -qx 'max_repeated: 50' "$root/etc/lantern/lantern.yaml"
check "the ledger survived and verifies" \
  sh -c "chroot --userspec=lantern:lantern '$root' /usr/bin/lantern ledger verify /var/lib/lantern/ledger.db | tee -a '$work/verify.txt' | grep -q '^ok: 2 records (1 decisions, 1 activations[,)]'"
check "serve starts again on the old ledger" start_as_unit
cat "$work/err"
check "the old decision is still answered (same client_request_id)" assess first
check "it is the recorded decision, not a new one" \
  grep -q "\"decisionId\": \"$decision\"" "$work/answer-first.json"
check "assesses a new request" assess second
check "SIGTERM stops it with exit 0" stop_server

echo "== purge"
check "dpkg --purge removes the package" in_root dpkg --purge lantern
check "purge keeps the audit ledger" test -f "$root/var/lib/lantern/ledger.db"
check "purge removes the binary" test ! -e "$root/usr/bin/lantern"

echo "$passed passed, $failed failed ($((SECONDS - started)) s)"
if [[ $failed -ne 0 ]]; then
  echo "logs kept in $work"
  exit 1
fi
cleanup
trap - EXIT
rm -rf "$work"
