// Tests of server/grpc/status_map.h: codes carried one-to-one, messages kept.
#include "server/grpc/status_map.h"

#include <string>

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

TEST(EchoValue, QuotesLongValuesByTheirHeadAndLength) {
  EXPECT_EQ(EchoValue("short"), "'short'");
  EXPECT_EQ(EchoValue(std::string(8000, 'v')),
            "'" + std::string(32, 'v') + "...' (8000 bytes)");
}

TEST(ValidUtf8, ReplacesWhatIsNotUtf8AndKeepsWhatIs) {
  EXPECT_EQ(ValidUtf8("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");
  EXPECT_EQ(ValidUtf8(std::string("a\x06\xa0"
                                  "b",
                                  4)),
            "a\x06\xef\xbf\xbd"
            "b");
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80"),                           // a surrogate
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(ValidUtf8("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");  // cut short
  EXPECT_EQ(ValidUtf8(std::string("\0x", 2)), std::string("\0x", 2));
}

}  // namespace
}  // namespace lantern
