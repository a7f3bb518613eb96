"""The Python half of the cross-language test (python_client_test.sh).

usage: /usr/bin/python3 python_client.py STUBS_DIR ADDRESS REQUEST.json CPP.bin

Imports the lantern.v1 stubs generated at test time into STUBS_DIR, calls
RiskAssessment.Assess with the request, and compares the answer with the
C++ client's (CPP.bin, its serialized Assessment) for the same request,
ignoring only what must differ between two calls: the decision id and the
time each was stamped. Exits 1 with the differing fields when they differ.
"""
import sys


def main(stubs, address, request_path, cpp_path):
    sys.path.insert(0, stubs)
    import grpc
    from google.protobuf import json_format
    from lantern.v1 import assessment_pb2, service_pb2, service_pb2_grpc

    with open(request_path, encoding="utf-8") as f:
        request = json_format.Parse(f.read(), service_pb2.AssessRequest())
    with grpc.insecure_channel(address) as channel:
        stub = service_pb2_grpc.RiskAssessmentStub(channel)
        python_answer = stub.Assess(request, timeout=30)
    with open(cpp_path, "rb") as f:
        cpp_answer = assessment_pb2.Assessment.FromString(f.read())
    for answer in (python_answer, cpp_answer):
        answer.ClearField("decision_id")
        answer.ClearField("evaluated_at")
    if not (python_answer.fired_rules or python_answer.blocked_rules):
        print("FAIL: no rule fired or blocked; the comparison proves little")
        return 1
    if python_answer != cpp_answer:
        print("FAIL: the answers differ")
        print("--- python:\n" + str(python_answer))
        print("--- c++:\n" + str(cpp_answer))
        return 1
    print("same answer: grade %s, %d fired and %d blocked rules, digest %s"
          % (assessment_pb2.RiskGrade.Name(python_answer.grade.grade),
             len(python_answer.fired_rules), len(python_answer.blocked_rules),
             python_answer.ruleset.digest))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
