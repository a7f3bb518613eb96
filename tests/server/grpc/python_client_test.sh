#!/usr/bin/env bash
# Another language gets the same answer: generates the Python stubs for
# lantern.v1 with protoc and Debian's grpc_python_plugin into STUBS_DIR,
# starts the real `lantern serve` with the shipped rules, and for every
# example episode in rules/examples has the C++ client and the Python
# client (Debian's python3-grpcio and python3-protobuf, under
# /usr/bin/python3) assess it and compares the two Assessments.
#
# With `mtls` as the last argument the server serves mutual TLS with an
# access file, and both clients call as an assessor over mutual TLS. The
# certificates are made here with the openssl commands README.md gives for
# a development CA (so those commands are tested too).
# usage: python_client_test.sh LANTERN CPP_CLIENT PROTOC SOURCE_DIR STUBS_DIR
#          [mtls]
set -euo pipefail
lantern=$1
cpp_client=$2
protoc=$3
src=$4
stubs=$5
mode=${6:-plain}
tmp=$(mktemp -d)
source "$(dirname "$0")/start_server.sh"

rm -rf "$stubs"
mkdir -p "$stubs"
"$protoc" --proto_path="$src/proto" --python_out="$stubs" \
  --grpc_python_out="$stubs" --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
  lantern/v1/episode.proto lantern/v1/assessment.proto lantern/v1/service.proto

server_flags=()
cpp_tls=()
python_tls=()
if [[ $mode == mtls ]]; then
  pki=$tmp/pki
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj /CN=lantern-test-ca -keyout ca.key -out ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
      -keyout server.key -out server.csr
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth') \
      -out server.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=me \
      -keyout me.key -out me.csr
    openssl x509 -req -in me.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile <(printf 'subjectAltName=URI:spiffe://lantern.test/intake\nextendedKeyUsage=clientAuth') \
      -out me.pem
    printf 'principals:\n  spiffe://lantern.test/intake: [assessor]\n' >access.yaml
  ) >"$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; fail "openssl"; }
  server_flags=(--tls_cert "$pki/server.pem" --tls_key "$pki/server.key"
    --client_ca "$pki/ca.pem" --access "$pki/access.yaml")
  cpp_tls=("$pki/ca.pem" "$pki/me.pem" "$pki/me.key" localhost)
  python_tls=(--ca "$pki/ca.pem" --cert "$pki/me.pem" --key "$pki/me.key"
    --server_name localhost)
elif [[ $mode != plain ]]; then
  echo "usage: python_client_test.sh ... STUBS_DIR [mtls]" >&2
  exit 2
fi

start_server "$lantern" "$src/rules" "${server_flags[@]}"
if [[ $mode == mtls ]]; then
  grep -q "mutual TLS" "$tmp/err" || fail "the server does not say it serves mutual TLS"
fi
count=0
for example in "$src"/rules/examples/*.json; do
  name=$(basename "$example" .json)
  echo "{\"facts\": $(cat "$example"), \"asOf\": \"2024-05-04T12:00:00Z\"}" >"$tmp/$name.json"
  "$cpp_client" "$addr" "$tmp/$name.json" "$tmp/$name.bin" "${cpp_tls[@]}" ||
    fail "C++ client: $name"
  echo -n "$name: "
  /usr/bin/python3 "$(dirname "$0")/python_client.py" "${python_tls[@]}" "$stubs" \
    "$addr" "$tmp/$name.json" "$tmp/$name.bin" || fail "Python client: $name"
  count=$((count + 1))
done
[[ $count -gt 0 ]] || fail "no examples in $src/rules/examples"
stop_server
echo "PASS ($count examples, $mode)"
