// AccessPolicy::Parse: the YAML through YamlFile (the loader's parser, so
// every problem has its file:line:col), then each principal's role names
// against the five roles.
#include "server/app/access_policy.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/ruleset/yaml_source.h"

namespace lantern {
namespace {

constexpr Role kRoles[] = {Role::kAssessor, Role::kRuleAuthor,
                           Role::kRulesetAdmin, Role::kAuditor,
                           Role::kDataOfficer};

std::optional<Role> RoleNamed(absl::string_view name) {
  for (Role r : kRoles) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string RoleList() {
  std::vector<std::string> names;
  for (Role r : kRoles) names.emplace_back(RoleName(r));
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAssessor:
      return "assessor";
    case Role::kRuleAuthor:
      return "rule_author";
    case Role::kRulesetAdmin:
      return "ruleset_admin";
    case Role::kAuditor:
      return "auditor";
    case Role::kDataOfficer:
      return "data_officer";
  }
  return "?";
}

RoleSet RoleSet::All() {
  RoleSet all;
  for (Role r : kRoles) all.Add(r);
  return all;
}

std::vector<std::string> RoleSet::Names() const {
  std::vector<std::string> names;
  for (Role r : kRoles) {
    if (Has(r)) names.emplace_back(RoleName(r));
  }
  return names;
}

std::string RoleSet::Describe() const { return absl::StrJoin(Names(), " or "); }

RoleSet AccessPolicy::RolesOf(absl::string_view principal) const {
  auto it = roles_.find(principal);
  return it == roles_.end() ? RoleSet() : it->second;
}

absl::StatusOr<std::shared_ptr<const AccessPolicy>> AccessPolicy::Load(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read the access file"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(path, text.str());
}

absl::StatusOr<std::shared_ptr<const AccessPolicy>> AccessPolicy::Parse(
    const std::string& path, const std::string& text) {
  Diagnostics d;
  std::optional<YamlFile> file = YamlFile::Parse(path, text, &d);
  auto policy = std::make_shared<AccessPolicy>();
  if (file.has_value()) {
    const YamlNode& root = file->root();
    if (!root.IsMap()) {
      d.Error(file->Locate(root),
              "an access file is a mapping with the key 'principals'");
    } else {
      for (const auto& entry : root) {
        const std::string key = entry.first.Scalar();
        if (key != "principals") {
          d.Error(file->Locate(entry.first),
                  absl::StrCat("unknown key '", key,
                               "' (an access file has only 'principals')"));
        }
      }
      const YamlNode principals = FindKey(root, "principals");
      if (!principals.IsDefined() || !principals.IsMap()) {
        d.Error(file->Locate(principals.IsDefined() ? principals : root),
                "'principals' must map each principal to its list of roles");
      } else {
        for (const auto& entry : principals) {
          const std::string principal =
              entry.first.IsScalar() ? entry.first.Scalar() : "";
          if (principal.empty()) {
            d.Error(file->Locate(entry.first),
                    "a principal must be a non-empty string");
            continue;
          }
          if (policy->roles_.contains(principal)) {
            d.Error(file->Locate(entry.first),
                    absl::StrCat("principal '", principal, "' given twice"));
            continue;
          }
          RoleSet& roles = policy->roles_[principal];
          if (!entry.second.IsSequence()) {
            d.Error(file->Locate(entry.second),
                    absl::StrCat("the roles of '", principal,
                                 "' must be a list, such as [assessor]"));
            continue;
          }
          for (const YamlNode& name : entry.second) {
            std::optional<Role> role =
                name.IsScalar() ? RoleNamed(name.Scalar()) : std::nullopt;
            if (!role.has_value()) {
              d.Error(file->Locate(name),
                      absl::StrCat("unknown role '",
                                   name.IsScalar() ? name.Scalar() : "",
                                   "'; the roles are ", RoleList()));
              continue;
            }
            roles.Add(*role);
          }
        }
      }
    }
  }
  if (d.has_errors()) {
    std::string message = d.ToString();
    if (!message.empty() && message.back() == '\n') message.pop_back();
    return absl::InvalidArgumentError(message);
  }
  return std::shared_ptr<const AccessPolicy>(std::move(policy));
}

}  // namespace lantern
