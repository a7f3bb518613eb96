// ToGrpcStatus: absl::StatusCode and grpc::StatusCode share google.rpc.Code's
// numbering; a static_assert per code keeps that true, and a code outside
// the known range (none exist today) becomes UNKNOWN rather than a value
// grpc does not define.
#include "server/grpc/status_map.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace lantern {
namespace {

#define LANTERN_SAME_CODE_2(absl_name, grpc_name)                   \
  static_assert(static_cast<int>(absl::StatusCode::k##absl_name) == \
                    static_cast<int>(grpc::StatusCode::grpc_name),  \
                "absl and grpc disagree on " #grpc_name)
LANTERN_SAME_CODE_2(Ok, OK);
LANTERN_SAME_CODE_2(Cancelled, CANCELLED);
LANTERN_SAME_CODE_2(Unknown, UNKNOWN);
LANTERN_SAME_CODE_2(InvalidArgument, INVALID_ARGUMENT);
LANTERN_SAME_CODE_2(DeadlineExceeded, DEADLINE_EXCEEDED);
LANTERN_SAME_CODE_2(NotFound, NOT_FOUND);
LANTERN_SAME_CODE_2(AlreadyExists, ALREADY_EXISTS);
LANTERN_SAME_CODE_2(PermissionDenied, PERMISSION_DENIED);
LANTERN_SAME_CODE_2(ResourceExhausted, RESOURCE_EXHAUSTED);
LANTERN_SAME_CODE_2(FailedPrecondition, FAILED_PRECONDITION);
LANTERN_SAME_CODE_2(Aborted, ABORTED);
LANTERN_SAME_CODE_2(OutOfRange, OUT_OF_RANGE);
LANTERN_SAME_CODE_2(Unimplemented, UNIMPLEMENTED);
LANTERN_SAME_CODE_2(Internal, INTERNAL);
LANTERN_SAME_CODE_2(Unavailable, UNAVAILABLE);
LANTERN_SAME_CODE_2(DataLoss, DATA_LOSS);
LANTERN_SAME_CODE_2(Unauthenticated, UNAUTHENTICATED);
#undef LANTERN_SAME_CODE_2

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  int code = static_cast<int>(status.code());
  if (code < 0 || code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    code = static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  absl::string_view message = status.message();
  if (message.size() <= kMaxStatusMessageBytes) {
    return grpc::Status(static_cast<grpc::StatusCode>(code),
                        std::string(message));
  }
  const std::string more = absl::StrCat(
      "... (",
      message.size() - Utf8Prefix(message, kMaxStatusMessageBytes - 64).size(),
      " more bytes)");
  return grpc::Status(
      static_cast<grpc::StatusCode>(code),
      absl::StrCat(Utf8Prefix(message, kMaxStatusMessageBytes - 64), more));
}

}  // namespace lantern
