// BindHttp (http_bind.h) on cpp-httplib 0.11.
#include "server/http/http_bind.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace lantern {

absl::StatusOr<std::string> BindHttp(httplib::Server& server,
                                     const std::string& address,
                                     absl::string_view what) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " address '", address, "' is not HOST:PORT (port 0-65535)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " address '", address, "' has no host"));
  }
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for ", what, " on '", address, "'"));
  }
  return absl::StrCat(address.substr(0, colon), ":", bound);
}

}  // namespace lantern
