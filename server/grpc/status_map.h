// StatusMap: the one place absl::Status becomes grpc::Status.
//
// gRPC 1.51 does not convert absl::Status, and the two code sets are the
// same numbers by design (both follow google.rpc.Code), so the mapping is
// one-to-one; it lives here so that no handler picks codes of its own. The
// service's choices of code (STYLE.md 6) are made where the error arises:
// INVALID_ARGUMENT for bad facts, NOT_FOUND for an unknown version,
// FAILED_PRECONDITION when nothing is active, INTERNAL for a bug.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_GRPC_STATUS_MAP_H_
#define LANTERN_SERVER_GRPC_STATUS_MAP_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"
#include "server/app/echo_value.h"

namespace lantern {

// Status messages travel in a header (grpc-message), which clients limit
// (8 KiB by default): a longer message would make the client fail the call
// with an error of its own. ToGrpcStatus cuts messages to this many bytes.
inline constexpr size_t kMaxStatusMessageBytes = 2048;

// The gRPC status with the same code and message, the message cut to
// kMaxStatusMessageBytes (saying how much was cut). OK maps to OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_STATUS_MAP_H_
