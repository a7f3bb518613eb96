#!/usr/bin/python3
"""Answers of a running `lantern serve` on the shipped examples and the case
library, for comparing two builds and measuring answer sizes by view.

  bench/answer_bytes.py ADDRESS OUT_DIR [--view DECISION|EXPLAINED|FULL]

Sends every rules/examples/*.json (as of 2024-05-04T12:00:00Z) and every
tests/cases/*.yaml (its facts and as_of) to RiskAssessment.Assess and writes
each answer's bytes, with decision_id and evaluated_at cleared (they differ
per call), to OUT_DIR/<name>.bin, then prints one line per answer with its
size as served. Without --view the request leaves the field unset, so it
also runs against a build that predates views. Stubs are generated into a
temporary directory with protoc and /usr/bin/grpc_python_plugin; run with
/usr/bin/python3 (Debian's python3-grpcio, python3-protobuf, python3-yaml).
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

import grpc
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stubs():
    out = tempfile.mkdtemp(prefix="lantern-stubs-")
    protos = glob.glob(os.path.join(ROOT, "proto/lantern/v1/*.proto"))
    subprocess.check_call(["protoc", "-I", os.path.join(ROOT, "proto"),
                           "--python_out", out, "--grpc_out", out,
                           "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin"]
                          + protos)
    sys.path.insert(0, out)


def as_text(t):
    return t if isinstance(t, str) else t.isoformat()


def main():
    address, out_dir = sys.argv[1], sys.argv[2]
    view = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--view" else None
    stubs()
    from google.protobuf import json_format
    from lantern.v1 import assessment_pb2, service_pb2, service_pb2_grpc
    os.makedirs(out_dir, exist_ok=True)
    requests = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules/examples/*.json"))):
        with open(path) as f:
            requests.append(("example." + os.path.basename(path)[:-5],
                             json.load(f), "2024-05-04T12:00:00Z"))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/cases/*.yaml"))):
        with open(path) as f:
            case = yaml.safe_load(f)
        requests.append(("case." + os.path.basename(path)[:-5], case["facts"],
                         as_text(case.get("as_of", "2024-05-04T12:00:00Z"))))
    channel = grpc.insecure_channel(address,
                                    options=[("grpc.max_receive_message_length", 64 << 20)])
    stub = service_pb2_grpc.RiskAssessmentStub(channel)
    total = 0
    for name, facts, as_of in requests:
        request = service_pb2.AssessRequest()
        json_format.ParseDict({"facts": facts, "asOf": str(as_of)}, request)
        if view is not None:
            request.view = assessment_pb2.View.Value(view)
        answer = stub.Assess(request)
        size = answer.ByteSize()
        total += size
        answer.decision_id = ""
        answer.ClearField("evaluated_at")
        with open(os.path.join(out_dir, name + ".bin"), "wb") as f:
            f.write(answer.SerializeToString(deterministic=True))
        print(f"{name} {size}")
    print(f"total {len(requests)} answers, {total} bytes, mean {total // len(requests)}")


if __name__ == "__main__":
    main()
