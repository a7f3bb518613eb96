// Binding an HTTP endpoint's listener ("HOST:PORT", "[V6]:PORT"), shared by
// the metrics endpoint and the web console. Internal to server/http/.
#ifndef LANTERN_SERVER_HTTP_HTTP_BIND_H_
#define LANTERN_SERVER_HTTP_HTTP_BIND_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace lantern {

// Binds `server` to `address` (port 0 picks a free one) and returns
// "HOST:PORT" with the port actually bound; INVALID_ARGUMENT for an address
// without a host or port, UNAVAILABLE when it cannot be bound. `what`
// names the endpoint in the message ("metrics", "console").
absl::StatusOr<std::string> BindHttp(httplib::Server& server,
                                     const std::string& address,
                                     absl::string_view what);

}  // namespace lantern

#endif  // LANTERN_SERVER_HTTP_HTTP_BIND_H_
