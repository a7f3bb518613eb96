// A minimal C++ client for the cross-language test: reads an AssessRequest
// as protobuf JSON, calls RiskAssessment.Assess on ADDRESS and writes the
// Assessment's deterministic binary serialization to OUT, so another
// language's client can compare its own answer field for field.
// usage: server_grpc_assess_client ADDRESS REQUEST.json OUT.bin
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "lantern/v1/service.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr
        << "usage: server_grpc_assess_client ADDRESS REQUEST.json OUT.bin\n";
    return 2;
  }
  std::ifstream in(argv[2], std::ios::binary);
  std::ostringstream json;
  json << in.rdbuf();
  lantern::v1::AssessRequest request;
  auto parsed =
      google::protobuf::util::JsonStringToMessage(json.str(), &request);
  if (!parsed.ok()) {
    std::cerr << argv[2] << ": " << parsed.ToString() << "\n";
    return 2;
  }
  auto stub = lantern::v1::RiskAssessment::NewStub(
      grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials()));
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
