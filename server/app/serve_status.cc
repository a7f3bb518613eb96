#include "server/app/serve_status.h"

#include <utility>

#include "nlohmann/json.hpp"

namespace lantern {

ServeStatus::ServeStatus(
    std::function<std::optional<ActiveRuleSetLabels>()> active,
    std::function<absl::Time()> now)
    : active_(std::move(active)), now_(std::move(now)) {}

void ServeStatus::SetTransport(std::string transport) {
  absl::MutexLock lock(&mu_);
  transport_ = std::move(transport);
}

void ServeStatus::AddWarning(std::string text) {
  absl::MutexLock lock(&mu_);
  warnings_.push_back(std::move(text));
}

void ServeStatus::RecordReload(Part part, bool ok, std::string detail) {
  Reload reload{now_(), ok, std::move(detail)};
  absl::MutexLock lock(&mu_);
  reloads_[static_cast<int>(part)] = std::move(reload);
}

std::string ServeStatus::Json() const {
  nlohmann::ordered_json doc;
  // Asked outside the lock: it takes the registry's.
  std::optional<ActiveRuleSetLabels> active;
  if (active_) active = active_();
  absl::MutexLock lock(&mu_);
  doc["transport"] = transport_;
  if (active.has_value()) {
    doc["active_ruleset"] = {{"id", active->id},
                             {"version", active->version},
                             {"digest", active->digest}};
  } else {
    doc["active_ruleset"] = nullptr;
  }
  doc["warnings"] = warnings_;
  nlohmann::ordered_json reloads = nlohmann::ordered_json::object();
  const char* const names[] = {"rules", "certificates", "access_file",
                               "console_certificates"};
  for (int i = 0; i < 4; ++i) {
    if (!reloads_[i].has_value()) {
      reloads[names[i]] = nullptr;
      continue;
    }
    reloads[names[i]] = {
        {"at", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", reloads_[i]->at,
                                absl::UTCTimeZone())},
        {"ok", reloads_[i]->ok},
        {"detail", reloads_[i]->detail}};
  }
  doc["reloads"] = std::move(reloads);
  // Invalid UTF-8 (a file's bytes quoted in a message) replaced, not thrown.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace lantern
