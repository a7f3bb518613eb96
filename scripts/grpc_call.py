#!/usr/bin/python3
"""A generic gRPC client that learns the API from the server's reflection.

Debian bookworm packages no grpcurl, so this script does its job for the
unary calls Lantern needs, with only Debian's python3-grpcio and
python3-protobuf (run it with /usr/bin/python3, which owns them):

  scripts/grpc_call.py ADDRESS                      list the services
  scripts/grpc_call.py ADDRESS SERVICE              list its methods
  scripts/grpc_call.py ADDRESS SERVICE/METHOD [JSON|@FILE]
                                                    call a unary method with
                                                    the request as protobuf
                                                    JSON (default: {}, or
                                                    stdin when JSON is "-")

Over mutual TLS give, before ADDRESS, --ca FILE (the CA that signed the
server's certificate), --cert FILE and --key FILE (the client's certificate
and key, PEM), and --server_name NAME when the address is not a name the
server's certificate holds (such as 127.0.0.1 for a certificate made for
localhost):

  scripts/grpc_call.py --ca ca.pem --cert me.pem --key me.key \
      --server_name localhost 127.0.0.1:50051 lantern.v1.RuleSets/List

It asks grpc.reflection.v1alpha.ServerReflection for the file that defines
the service (and the files it imports), builds the message types from those
descriptors, and prints the response as protobuf JSON. A failed call prints
its status code and message and exits 1.
"""
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"


def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, payload):
    """A length-delimited field: the reflection messages use only these."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _read_varint(buf, i):
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _fields(buf):
    """(number, value) of each field of a serialized message."""
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        elif wire == 2:
            size, i = _read_varint(buf, i)
            value, i = buf[i:i + size], i + size
        else:
            raise ValueError("unexpected wire type %d" % wire)
        yield number, value


def _reflect(channel, request):
    call = channel.stream_stream(REFLECTION, request_serializer=lambda b: b,
                                 response_deserializer=lambda b: b)
    response = next(iter(call(iter([request]))))
    fields = list(_fields(response))
    for number, value in fields:
        if number == 7:  # error_response
            message = dict(_fields(value)).get(2, b"").decode()
            raise SystemExit("reflection: " + message)
    return fields


def list_services(channel):
    names = []
    for number, value in _reflect(channel, _field(7, b"")):  # list_services
        if number == 6:
            for n, service in _fields(value):
                if n == 1:
                    names.append(dict(_fields(service))[1].decode())
    return names


def load_symbol(channel, symbol):
    """A descriptor pool holding `symbol`'s file and everything it imports."""
    protos = {}
    for number, value in _reflect(channel, _field(4, symbol.encode())):
        if number == 4:  # file_descriptor_response
            for n, data in _fields(value):
                if n == 1:
                    proto = descriptor_pb2.FileDescriptorProto.FromString(data)
                    protos[proto.name] = proto
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added or name not in protos:
            return
        for dependency in protos[name].dependency:
            add(dependency)
        pool.Add(protos[name])
        added.add(name)

    for name in protos:
        add(name)
    return pool


def message_class(descriptor):
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(descriptor.file.pool).GetPrototype(
        descriptor)


def call(channel, target, request_json):
    service_name, method_name = target.rsplit("/", 1)
    pool = load_symbol(channel, service_name)
    method = pool.FindServiceByName(service_name).FindMethodByName(method_name)
    if method is None:
        raise SystemExit("no method %s in %s" % (method_name, service_name))
    if getattr(method, "client_streaming", False) or getattr(
            method, "server_streaming", False):
        raise SystemExit("%s streams; this client calls unary methods" % target)
    request_type = message_class(method.input_type)
    response_type = message_class(method.output_type)
    request = json_format.Parse(request_json, request_type())
    stub = channel.unary_unary("/" + target,
                               request_serializer=request_type.SerializeToString,
                               response_deserializer=response_type.FromString)
    try:
        response = stub(request, timeout=30)
    except grpc.RpcError as error:
        print("%s: %s" % (error.code().name, error.details()), file=sys.stderr)
        return 1
    print(json_format.MessageToJson(response))
    return 0


TLS_OPTIONS = ("--ca", "--cert", "--key", "--server_name")


def open_channel(address, tls):
    """A plain-text channel, or mutual TLS when --ca/--cert/--key are given."""
    if not tls:
        return grpc.insecure_channel(address)
    missing = [o for o in ("--ca", "--cert", "--key") if o not in tls]
    if missing:
        raise SystemExit("mutual TLS needs --ca, --cert and --key; missing "
                         + ", ".join(missing))

    def read(option):
        with open(tls[option], "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read("--ca"), private_key=read("--key"),
        certificate_chain=read("--cert"))
    options = []
    if "--server_name" in tls:
        options.append(("grpc.ssl_target_name_override", tls["--server_name"]))
    return grpc.secure_channel(address, credentials, options=options)


def main(argv):
    tls = {}
    argv = list(argv)
    while len(argv) > 2 and argv[1] in TLS_OPTIONS:
        tls[argv[1]] = argv[2]
        del argv[1:3]
    if len(argv) < 2:
        raise SystemExit(__doc__)
    with open_channel(argv[1], tls) as channel:
        if len(argv) == 2:
            print("\n".join(list_services(channel)))
            return 0
        if "/" not in argv[2]:
            pool = load_symbol(channel, argv[2])
            for method in pool.FindServiceByName(argv[2]).methods:
                print("%s(%s) returns (%s)" % (method.name,
                                               method.input_type.full_name,
                                               method.output_type.full_name))
            return 0
        text = argv[3] if len(argv) > 3 else "{}"
        if text == "-":
            text = sys.stdin.read()
        elif text.startswith("@"):
            with open(text[1:], encoding="utf-8") as f:
                text = f.read()
        return call(channel, argv[2], text)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
