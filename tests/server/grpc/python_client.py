"""The Python half of the cross-language test (python_client_test.sh).

usage: /usr/bin/python3 python_client.py [--ca CA.pem --cert CERT.pem
           --key KEY.pem --server_name NAME] STUBS_DIR ADDRESS REQUEST.json
           CPP.bin

Imports the lantern.v1 stubs generated at test time into STUBS_DIR, calls
RiskAssessment.Assess with the request, and compares the answer with the
C++ client's (CPP.bin, its serialized Assessment) for the same request,
ignoring only what must differ between two calls: the decision id and the
time each was stamped. Exits 1 with the differing fields when they differ.

With the TLS options (those of scripts/grpc_call.py, whose channel code it
uses) it calls over mutual TLS, and first checks that the same call
without a client certificate is refused (UNAVAILABLE: the handshake
fails), so a server that did not ask for certificates fails the test.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "scripts"))
import grpc_call  # noqa: E402  (scripts/grpc_call.py)


def main(argv):
    tls = {}
    while len(argv) > 1 and argv[0] in grpc_call.TLS_OPTIONS:
        tls[argv[0]] = argv[1]
        del argv[0:2]
    stubs, address, request_path, cpp_path = argv
    sys.path.insert(0, stubs)
    import grpc
    from google.protobuf import json_format
    from lantern.v1 import assessment_pb2, service_pb2, service_pb2_grpc

    with open(request_path, encoding="utf-8") as f:
        request = json_format.Parse(f.read(), service_pb2.AssessRequest())
    if tls:
        with open(tls["--ca"], "rb") as f:
            no_cert = grpc.ssl_channel_credentials(root_certificates=f.read())
        options = [("grpc.ssl_target_name_override", tls["--server_name"])
                   ] if "--server_name" in tls else []
        with grpc.secure_channel(address, no_cert, options=options) as channel:
            try:
                service_pb2_grpc.RiskAssessmentStub(channel).Assess(
                    request, timeout=30)
                print("FAIL: answered a client without a certificate")
                return 1
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE:
                    print("FAIL: without a certificate: %s, not UNAVAILABLE"
                          % error.code().name)
                    return 1
    with grpc_call.open_channel(address, tls) as channel:
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
    print("same answer%s: grade %s, %d fired and %d blocked rules, digest %s"
          % (" over mutual TLS" if tls else "",
             assessment_pb2.RiskGrade.Name(python_answer.grade.grade),
             len(python_answer.fired_rules), len(python_answer.blocked_rules),
             python_answer.ruleset.digest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
