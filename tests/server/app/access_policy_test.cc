// AccessPolicy: the access file's roles, and every problem at its
// file:line:col.
#include "server/app/access_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lantern {
namespace {

using ::testing::HasSubstr;

TEST(AccessPolicy, GivesEachPrincipalItsRoles) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Parse("access.yaml",
                          "principals:\n"
                          "  spiffe://force.example/intake: [assessor]\n"
                          "  dpo.force.example: [data_officer, auditor]\n");
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(
      (*policy)->RolesOf("spiffe://force.example/intake").Has(Role::kAssessor));
  EXPECT_FALSE(
      (*policy)->RolesOf("spiffe://force.example/intake").Has(Role::kAuditor));
  const RoleSet dpo = (*policy)->RolesOf("dpo.force.example");
  EXPECT_EQ(dpo.Describe(), "auditor or data_officer");
  EXPECT_TRUE((*policy)->RolesOf("someone.else").empty());
}

TEST(AccessPolicy, RefusesAnUnknownRoleAtItsPosition) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Parse("access.yaml",
                          "principals:\n"
                          "  a.example: [assessor, superuser]\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(),
              HasSubstr("access.yaml:2:25: error: unknown role 'superuser'"));
}

TEST(AccessPolicy, RefusesAnUnknownKeyAtItsPosition) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Parse("access.yaml",
                          "principals:\n"
                          "  a.example: [assessor]\n"
                          "groups: {}\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(),
              HasSubstr("access.yaml:3:1: error: unknown key 'groups'"));
}

TEST(AccessPolicy, RefusesRolesThatAreNotAListAndDuplicates) {
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> policy =
      AccessPolicy::Parse("access.yaml",
                          "principals:\n"
                          "  a.example: assessor\n"
                          "  b.example: [auditor]\n"
                          "  b.example: [assessor]\n");
  ASSERT_FALSE(policy.ok());
  EXPECT_THAT(policy.status().message(),
              HasSubstr("access.yaml:2:14: error: the roles of 'a.example' "
                        "must be a list"));
  EXPECT_THAT(policy.status().message(),
              HasSubstr("access.yaml:4:3: error: principal 'b.example' given "
                        "twice"));
}

TEST(AccessPolicy, RefusesBrokenYamlAndAMissingFile) {
  EXPECT_FALSE(AccessPolicy::Parse("access.yaml", "principals: [\n").ok());
  absl::StatusOr<std::shared_ptr<const AccessPolicy>> missing =
      AccessPolicy::Load("/nonexistent/access.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("/nonexistent/access.yaml: cannot read"));
}

}  // namespace
}  // namespace lantern
