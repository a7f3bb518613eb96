#!/usr/bin/env bash
# Another language gets the same answer: generates the Python stubs for
# lantern.v1 with protoc and Debian's grpc_python_plugin into STUBS_DIR,
# starts the real `lantern serve` with the shipped rules, and for every
# example episode in rules/examples has the C++ client and the Python
# client (Debian's python3-grpcio and python3-protobuf, under
# /usr/bin/python3) assess it and compares the two Assessments.
# usage: python_client_test.sh LANTERN CPP_CLIENT PROTOC SOURCE_DIR STUBS_DIR
set -euo pipefail
lantern=$1
cpp_client=$2
protoc=$3
src=$4
stubs=$5
tmp=$(mktemp -d)
source "$(dirname "$0")/start_server.sh"

rm -rf "$stubs"
mkdir -p "$stubs"
"$protoc" --proto_path="$src/proto" --python_out="$stubs" \
  --grpc_python_out="$stubs" --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  lantern/v1/episode.proto lantern/v1/assessment.proto lantern/v1/service.proto

start_server "$lantern" "$src/rules"
count=0
for example in "$src"/rules/examples/*.json; do
  name=$(basename "$example" .json)
  echo "{\"facts\": $(cat "$example"), \"asOf\": \"2024-05-04T12:00:00Z\"}" >"$tmp/$name.json"
  "$cpp_client" "$addr" "$tmp/$name.json" "$tmp/$name.bin" || fail "C++ client: $name"
  echo -n "$name: "
  /usr/bin/python3 "$(dirname "$0")/python_client.py" "$stubs" "$addr" \
    "$tmp/$name.json" "$tmp/$name.bin" || fail "Python client: $name"
  count=$((count + 1))
done
[[ $count -gt 0 ]] || fail "no examples in $src/rules/examples"
stop_server
echo "PASS ($count examples)"
