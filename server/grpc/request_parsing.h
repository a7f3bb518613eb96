// RequestParsing: request bytes → a request message, done by Lantern rather
// than by gRPC, so that bytes that do not parse get INVALID_ARGUMENT saying
// why (gRPC's own deserialization answers UNIMPLEMENTED with no message on
// a unary call, and silently ends a stream with OK).
//
// A request is refused (INVALID_ARGUMENT, "invalid request: ...") when
//   - its bytes are not the message (truncated, not protobuf, a string
//     field holding invalid UTF-8 — the message names that field); or
//   - it carries field numbers its message type does not define (unknown
//     fields): each is named by its path and number ("facts.child: unknown
//     field 77"). Unknown fields are refused rather than dropped so that
//     nothing a caller sent is silently ignored, and nothing validation did
//     not see can reach the audit ledger.
//
// InstallProtobufLogLimiter replaces protobuf's log handler for the
// process: each kind of line (its source location in protobuf) is printed
// once, then at most once a minute with how many were held back, so a
// client sending bad bytes cannot flood stderr. While ParseRequest runs,
// protobuf's error text for that parse is also kept to explain the refusal.
//
// Thread-safety: ParseRequest may be called concurrently;
// InstallProtobufLogLimiter once, before the server starts.
#ifndef LANTERN_SERVER_GRPC_REQUEST_PARSING_H_
#define LANTERN_SERVER_GRPC_REQUEST_PARSING_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"

namespace lantern {

// Parses `raw` into `request` (cleared first). OK, or INVALID_ARGUMENT
// naming the message type and why it does not parse, or every unknown
// field (at most 10 listed).
absl::Status ParseRequest(const grpc::ByteBuffer& raw,
                          google::protobuf::Message* request);

void InstallProtobufLogLimiter();

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_REQUEST_PARSING_H_
