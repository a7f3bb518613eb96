// A minimal C++ client for the cross-language test: reads an AssessRequest
// as protobuf JSON, calls RiskAssessment.Assess on ADDRESS and writes the
// Assessment's deterministic binary serialization to OUT, so another
// language's client can compare its own answer field for field. With the
// four optional arguments it calls over mutual TLS: CA.pem verifies the
// server, CERT.pem/KEY.pem are the client's certificate and key, and
// SERVER_NAME is the name checked against the server's certificate.
// usage: server_grpc_assess_client ADDRESS REQUEST.json OUT.bin
//          [CA.pem CERT.pem KEY.pem SERVER_NAME]
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "lantern/v1/service.grpc.pb.h"

namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 8) {
    std::cerr << "usage: server_grpc_assess_client ADDRESS REQUEST.json "
                 "OUT.bin [CA.pem CERT.pem KEY.pem SERVER_NAME]\n";
    return 2;
  }
  const std::string json = ReadFile(argv[2]);
  lantern::v1::AssessRequest request;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &request);
  if (!parsed.ok()) {
    std::cerr << argv[2] << ": " << parsed.ToString() << "\n";
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel;
  if (argc == 8) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(argv[4]);
    tls.pem_cert_chain = ReadFile(argv[5]);
    tls.pem_private_key = ReadFile(argv[6]);
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(argv[7]);
    channel =
        grpc::CreateCustomChannel(argv[1], grpc::SslCredentials(tls), args);
  } else {
    channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  }
  auto stub = lantern::v1::RiskAssessment::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  lantern::v1::Assessment answer;
  grpc::Status status = stub->Assess(&context, request, &answer);
  if (!status.ok()) {
    std::cerr << "Assess: " << status.error_code() << ": "
              << status.error_message() << "\n";
    return 1;
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    answer.SerializeToCodedStream(&coded);
  }
  std::ofstream(argv[3], std::ios::binary) << bytes;
  return 0;
}
