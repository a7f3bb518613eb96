// AccessPolicy: who may do what — principals and their roles, read from
// the `--access` YAML file of `lantern serve`.
//
//   # access.yaml
//   principals:
//     spiffe://force.example/intake: [assessor]
//     rules-team.force.example: [rule_author]
//     dpo.force.example: [data_officer, auditor]
//
// Roles: assessor (Assess, AssessStream, GetDecision of its own decisions),
// rule_author (RuleSets.List/Get/Validate), ruleset_admin (those and
// Activate), auditor (Audit, answers without personal data), data_officer
// (Audit with personal data, and the access log). Which RPC needs which
// role is server/grpc/access_control.h's one table.
//
// Load reports every problem as "file:line:col: error: ..." — an unknown
// top-level key, an unknown role, a principal given twice, a principal that
// is not a non-empty string, roles that are not a list — and returns no
// policy when there is any.
//
// Thread-safety: immutable after Load; share it as shared_ptr<const>.
#ifndef LANTERN_SERVER_APP_ACCESS_POLICY_H_
#define LANTERN_SERVER_APP_ACCESS_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lantern {

enum class Role : uint8_t {
  kAssessor = 1 << 0,
  kRuleAuthor = 1 << 1,
  kRulesetAdmin = 1 << 2,
  kAuditor = 1 << 3,
  kDataOfficer = 1 << 4,
};

// A set of roles, as bits.
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role r : roles) bits_ |= static_cast<uint8_t>(r);
  }
  static RoleSet All();

  bool Has(Role role) const { return bits_ & static_cast<uint8_t>(role); }
  bool Intersects(RoleSet other) const { return bits_ & other.bits_; }
  bool empty() const { return bits_ == 0; }
  void Add(Role role) { bits_ |= static_cast<uint8_t>(role); }
  // The roles' names in the order of the Role enum.
  std::vector<std::string> Names() const;
  // "assessor", "auditor or data_officer".
  std::string Describe() const;

 private:
  uint8_t bits_ = 0;
};

// "assessor", "rule_author", ...
absl::string_view RoleName(Role role);

class AccessPolicy {
 public:
  // The file at `path`; INVALID_ARGUMENT with every problem, one a line.
  static absl::StatusOr<std::shared_ptr<const AccessPolicy>> Load(
      const std::string& path);
  // The same from text (`path` names it in the messages).
  static absl::StatusOr<std::shared_ptr<const AccessPolicy>> Parse(
      const std::string& path, const std::string& text);

  // The roles of `principal`; none for a principal the file does not name.
  RoleSet RolesOf(absl::string_view principal) const;
  size_t size() const { return roles_.size(); }

 private:
  absl::flat_hash_map<std::string, RoleSet> roles_;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_ACCESS_POLICY_H_
