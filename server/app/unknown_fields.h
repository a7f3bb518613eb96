// UnknownFields: the field numbers a message carries that its type does not
// define, anywhere in it (nested and repeated messages included). Requests
// carrying any are refused (grpc/request_parsing.h, app/facts_validation.h)
// so that nothing validation did not see reaches the audit ledger.
//
// Thread-safety: a pure function of `message`.
#ifndef LANTERN_SERVER_APP_UNKNOWN_FIELDS_H_
#define LANTERN_SERVER_APP_UNKNOWN_FIELDS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "google/protobuf/message.h"

namespace lantern {

// The unknown fields anywhere in `message`, as "<path>: unknown field N"
// (the top level's path is its type's full name); at most `limit`.
std::vector<std::string> UnknownFields(const google::protobuf::Message& message,
                                       size_t limit);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_UNKNOWN_FIELDS_H_
