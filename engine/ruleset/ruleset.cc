// RuleSet and Policy lookups (engine/ruleset/ruleset.h), apart from the
// loader so that the stages that only read a RuleSet need no YAML.
#include "engine/ruleset/ruleset.h"

#include <algorithm>
#include <string>

#include "absl/strings/string_view.h"

namespace lantern {

int Policy::GradeRank(const std::string& grade) const {
  auto it = std::find(grades.begin(), grades.end(), grade);
  return it == grades.end() ? -1 : static_cast<int>(it - grades.begin());
}

int Policy::LevelRank(const std::string& level) const {
  auto it = std::find(levels.begin(), levels.end(), level);
  return it == levels.end() ? -1 : static_cast<int>(it - levels.begin());
}

const ActionDef* Policy::FindAction(const std::string& code) const {
  for (const ActionDef& a : actions) {
    if (a.code == code) return &a;
  }
  return nullptr;
}

const Rule* RuleSet::FindRule(absl::string_view id) const {
  auto it = std::lower_bound(
      rules.begin(), rules.end(), id,
      [](const Rule& r, absl::string_view v) { return r.id < v; });
  return it != rules.end() && it->id == id ? &*it : nullptr;
}

const Catalogue* RuleSet::FindCatalogue(absl::string_view name) const {
  auto it = std::lower_bound(
      catalogues.begin(), catalogues.end(), name,
      [](const Catalogue& c, absl::string_view v) { return c.name < v; });
  return it != catalogues.end() && it->name == name ? &*it : nullptr;
}

}  // namespace lantern
