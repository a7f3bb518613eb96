#!/usr/bin/env bash
# The README's generic-client path, end to end: start the real `lantern
# serve` on port 0 with the shipped rules, then use scripts/grpc_call.py
# (which knows nothing of Lantern's protos and learns them through server
# reflection) to list the services, assess an example episode, and see a
# bad request refused with INVALID_ARGUMENT. Finally SIGTERM must exit 0.
# usage: reflection_client_test.sh LANTERN_BINARY SOURCE_DIR
set -euo pipefail
lantern=$1
src=$2
tmp=$(mktemp -d)
source "$(dirname "$0")/start_server.sh"
start_server "$lantern" "$src/rules"

call=(/usr/bin/python3 "$src/scripts/grpc_call.py" "$addr")
services=$("${call[@]}")
for service in lantern.v1.RiskAssessment lantern.v1.RuleSets grpc.health.v1.Health; do
  grep -qx "$service" <<<"$services" || fail "$service not listed: $services"
done

facts=$(cat "$src/rules/examples/county_lines_runner.json")
answer=$("${call[@]}" lantern.v1.RiskAssessment/Assess \
  "{\"facts\": $facts, \"asOf\": \"2024-05-04T12:00:00Z\"}")
grep -q '"digest": "sha256:' <<<"$answer" || fail "no digest in: $answer"
grep -q '"firedRules"' <<<"$answer" || fail "no fired rules in: $answer"

if "${call[@]}" lantern.v1.RiskAssessment/Assess \
  '{"facts": {"child": {"ageYears": 212}}}' 2>"$tmp/bad"; then
  fail "age 212 was accepted"
fi
grep -q "INVALID_ARGUMENT: .*facts.child.age_years" "$tmp/bad" || fail "$(cat "$tmp/bad")"

stop_server
echo "PASS"
