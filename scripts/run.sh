#!/usr/bin/env bash
# Sets up a fresh machine, builds Lantern and runs its main job on its
# embedded defaults: the gRPC service on 127.0.0.1:50051 with the shipped
# safeguarding ruleset in rules/, recording every decision in the audit
# ledger lantern-data/ledger.db (created on first start). Call it from another terminal with any
# gRPC client that uses server reflection, for example:
#   scripts/grpc_call.py 127.0.0.1:50051 lantern.v1.RiskAssessment/Assess \
#     "{\"facts\": $(cat rules/examples/county_lines_runner.json)}"
# Stop it with Ctrl-C (or SIGTERM): calls in flight finish, then it exits 0.
# SIGHUP re-reads rules/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/server/lantern serve
