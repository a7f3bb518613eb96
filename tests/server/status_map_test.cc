// Tests of server/status_map.h: codes carried one-to-one, messages kept.
#include "server/status_map.h"

#include "gtest/gtest.h"

namespace lantern {
namespace {

TEST(StatusMap, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(StatusMap, CarriesCodeAndMessage) {
  const struct {
    absl::Status in;
    grpc::StatusCode out;
  } cases[] = {
      {absl::InvalidArgumentError("bad"), grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("bad"), grpc::StatusCode::NOT_FOUND},
      {absl::FailedPreconditionError("bad"),
       grpc::StatusCode::FAILED_PRECONDITION},
      {absl::ResourceExhaustedError("bad"),
       grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::DeadlineExceededError("bad"), grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::InternalError("bad"), grpc::StatusCode::INTERNAL},
  };
  for (const auto& c : cases) {
    grpc::Status s = ToGrpcStatus(c.in);
    EXPECT_EQ(s.error_code(), c.out);
    EXPECT_EQ(s.error_message(), "bad");
  }
}

}  // namespace
}  // namespace lantern
