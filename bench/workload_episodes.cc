// Random episodes for the neutral workload generator; see
// bench/workload_episodes.h.
#include "bench/workload_episodes.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/json_reader.h"

namespace lantern::bench {
namespace {

constexpr int kProfiles = 5;  // none, CSE, CCE, trafficking, NRM

FieldDef Int(const char* name, int64_t min, int64_t max) {
  return {name, FieldType::kInt, min, max, {}};
}
FieldDef Bool(const char* name) { return {name, FieldType::kBool, 0, 1, {}}; }
FieldDef Enum(const char* name, const char* values) {
  return {name, FieldType::kEnum, 0, 0, absl::StrSplit(values, ' ')};
}
FieldDef Set(const char* name, const char* values) {
  return {name, FieldType::kSet, 0, 0, absl::StrSplit(values, ' ')};
}

// How strongly `profile` tilts field `f` (value `v`), in [0, 1): fixed
// pseudo-random affinities, strong for a few pairs and weak for most.
double Affinity(int f, int v, int profile) {
  if (profile == 0) return 0.05;
  Rng mix(static_cast<uint64_t>(f) * 1000003u +
          static_cast<uint64_t>(v) * 101u + static_cast<uint64_t>(profile));
  return std::pow(mix.Uniform(), 3.0);
}

int Profile(Rng* rng) {
  const double u = rng->Uniform();
  if (u < 0.55) return 0;
  if (u < 0.69) return 1;
  if (u < 0.85) return 2;
  if (u < 0.92) return 3;
  return 4;
}

const std::vector<std::string>& Filler() {
  static const auto* words = new std::vector<std::string>(absl::StrSplit(
      "the a she he was were went to from with and but then later said "
      "reported mother father carer staff school friend friends police "
      "officer found home back after before night evening morning phone "
      "bus train town centre shop park street road car bag money "
      "taxis trapped hotels houses county lines older boyfriends deals "
      "cashier phoned stationery parties vehicles travelled returned "
      "missing again not known seen last time told worried",
      ' '));
  return *words;
}

// One phrase of the narrative in a random surface form.
std::string Surface(Rng* rng, const std::string& phrase) {
  static const char* const kJoins[] = {" ",  " ",  " ", "-",
                                       "  ", "\n", "/", ", "};
  std::vector<std::string> words = absl::StrSplit(phrase, ' ');
  const double casing = rng->Uniform();
  for (std::string& w : words) {
    if (casing < 0.15) {
      absl::AsciiStrToUpper(&w);
    } else if (casing < 0.35) {
      w[0] = absl::ascii_toupper(w[0]);
    }
  }
  std::string out = words[0];
  for (size_t i = 1; i < words.size(); ++i) {
    absl::StrAppend(&out, kJoins[rng->Below(8)], words[i]);
  }
  const double wrap = rng->Uniform();
  if (wrap < 0.1) return absl::StrCat("\"", out, "\"");
  if (wrap < 0.15) return absl::StrCat("(", out, ")");
  if (wrap < 0.25) return absl::StrCat(out, "'s");
  return out;
}

std::string Narrative(Rng* rng, int profile) {
  const std::vector<std::string>& phrases = Phrases();
  const int64_t length = 50 + static_cast<int64_t>(rng->Below(151));
  const int64_t mentions =
      static_cast<int64_t>(rng->Below(profile == 0 ? 3 : 9));
  std::vector<std::string> parts;
  for (int64_t i = 0; i < length; ++i) {
    if (rng->Below(static_cast<uint64_t>(length)) <
        static_cast<uint64_t>(mentions)) {
      // Each profile draws mostly from its own stretch of the list.
      const size_t stretch = phrases.size() / kProfiles;
      const size_t p =
          rng->Chance(0.7)
              ? profile * stretch +
                    static_cast<size_t>(std::pow(rng->Uniform(), 1.5) *
                                        static_cast<double>(stretch))
              : static_cast<size_t>(rng->Below(phrases.size()));
      parts.push_back(Surface(rng, phrases[p]));
    } else if (rng->Chance(0.02)) {
      parts.push_back(
          absl::StrFormat("at %02d:%02d", rng->Below(24), rng->Below(60)));
    } else {
      parts.push_back(Filler()[rng->Below(Filler().size())]);
    }
    if (rng->Chance(0.08)) parts.back() += ".";
  }
  return absl::StrJoin(parts, " ");
}

std::string Words(const std::string& text) {
  std::string out = " ";
  for (char c : text) {
    const char l = absl::ascii_tolower(c);
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      out += l;
    } else if (out.back() != ' ') {
      out += ' ';
    }
  }
  if (out.back() != ' ') out += ' ';
  return out;
}

}  // namespace

const std::vector<FieldDef>& Fields() {
  static const auto* fields = new std::vector<FieldDef>{
      Int("age", 10, 17),
      Int("prior_episodes_90d", 0, 12),
      Int("prior_episodes_365d", 0, 40),
      Int("hours_missing", 0, 240),
      Int("distance_km", 0, 300),
      Int("num_associates", 0, 15),
      Int("school_attendance_pct", 0, 100),
      Int("days_since_last_episode", 0, 365),
      Int("police_contacts_12m", 0, 20),
      Int("placements_12m", 0, 8),
      Int("unknown_phone_contacts", 0, 50),
      Int("cash_found_gbp", 0, 2000),
      Int("return_interview_delay_h", 0, 168),
      Int("siblings_count", 0, 8),
      Bool("in_care"),
      Bool("has_new_phone"),
      Bool("found_with_older_adults"),
      Bool("missing_overnight"),
      Bool("returned_by_police"),
      Bool("injuries_noted"),
      Bool("intoxicated_on_return"),
      Bool("unexplained_gifts"),
      Bool("unexplained_money"),
      Bool("excluded_from_school"),
      Bool("known_to_yot"),
      Bool("child_protection_plan"),
      Bool("refused_return_interview"),
      Bool("found_out_of_area"),
      Bool("sexual_health_concerns"),
      Bool("asylum_seeking"),
      Enum("gender", "female male non_binary not_stated"),
      Enum("found_location_type",
           "home friend_address relative_address street park hotel station "
           "trap_house shop school hospital vehicle party unknown_address "
           "not_found"),
      Enum("placement_type",
           "family foster residential semi_independent secure kinship none"),
      Enum("reported_by", "parent carer school police social_worker self"),
      Enum("risk_grading", "no_apparent_risk low medium high"),
      Enum("region", "north south east west midlands london wales"),
      Enum("return_method",
           "self police carer taxi public_transport not_returned"),
      Enum("day_of_week",
           "monday tuesday wednesday thursday friday saturday sunday"),
      Enum("time_reported_band", "night morning afternoon evening"),
      Enum("nationality_status", "british eu other unaccompanied unknown"),
      Set("associates_flags",
          "older_adults gang_affiliated known_offenders adult_male "
          "adult_female peers_missing online_contacts unknown_adults "
          "drug_users sex_offender family_members school_peers"),
      Set("substances",
          "alcohol cannabis cocaine ketamine mdma nitrous spice heroin "
          "prescription"),
      Set("items_found",
          "phone second_phone cash drugs weapon hotel_key train_ticket "
          "new_clothes jewellery bank_card sim_cards scales"),
      {"narrative", FieldType::kText, 0, 0, {}},
  };
  return *fields;
}

const std::vector<std::string>& Phrases() {
  static const auto* phrases = new std::vector<std::string>(absl::StrSplit(
      // General.
      "ran away,argument at home,stayed with a friend,no contact,"
      "phone switched off,did not return,seen in town,out all night,"
      "refused to say,family conflict,missed curfew,taxi,bus station,"
      "late night,social media,"
      // CSE.
      "older boyfriend,hotel,hotel room,gifts,new clothes,party,"
      "older men,sexual exploitation,picked up in a car,alcohol and drugs,"
      "met online,groomed,older male,sexting,indecent images,"
      "taken to a flat,boyfriend is older,"
      // CCE.
      "county lines,trap house,cash and phones,drug running,"
      "deal line,plugging,debt bondage,gang,stabbed,knife,"
      "out of area,train ticket,cuckooing,burner phone,drugs were found,"
      "large amount of cash,running for,"
      // Trafficking.
      "trafficked,moved between cities,passport,no documents,"
      "controlled by an adult,work for no pay,nail bar,car wash,"
      "sleeping at the workplace,transported,debt to repay,"
      "held against will,brought into the country,"
      // NRM.
      "national referral mechanism,nrm referral,modern slavery,"
      "first responder,reasonable grounds,conclusive grounds,"
      "asylum claim,unaccompanied,home office,age assessment,"
      "immigration status,fear of return,reception centre",
      ','));
  return *phrases;
}

Episode MakeEpisode(Rng* rng) {
  const int profile = Profile(rng);
  const std::vector<FieldDef>& fields = Fields();
  Episode e;
  e.values.assign(fields.size(), 0);
  for (size_t f = 0; f < fields.size(); ++f) {
    const FieldDef& def = fields[f];
    const double tilt = Affinity(static_cast<int>(f), 0, profile);
    switch (def.type) {
      case FieldType::kInt: {
        // Skewed low; a tilted profile pushes values up.
        const double u = std::pow(rng->Uniform(), 2.5 - 2.0 * tilt);
        e.values[f] =
            def.min + static_cast<int64_t>(
                          u * static_cast<double>(def.max - def.min + 1));
        break;
      }
      case FieldType::kBool:
        e.values[f] = rng->Chance(0.1 + 0.6 * tilt) ? 1 : 0;
        break;
      case FieldType::kEnum: {
        const int n = static_cast<int>(def.values.size());
        const int favourite = static_cast<int>((f * 7 + profile * 3) % n);
        e.values[f] = rng->Chance(0.3 + 0.4 * tilt)
                          ? favourite
                          : static_cast<int64_t>(rng->Below(n));
        break;
      }
      case FieldType::kSet:
        for (size_t v = 0; v < def.values.size(); ++v) {
          const double p = 0.04 + 0.4 * Affinity(static_cast<int>(f),
                                                 static_cast<int>(v), profile);
          if (rng->Chance(p)) e.values[f] |= int64_t{1} << v;
        }
        break;
      case FieldType::kText:
        e.narrative = Narrative(rng, profile);
        e.words = Words(e.narrative);
        break;
    }
  }
  return e;
}

std::string EpisodeJson(const Episode& episode, int64_t number) {
  std::string out = absl::StrFormat("{\"episode_id\": \"E%06d\"", number);
  const std::vector<FieldDef>& fields = Fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    const FieldDef& def = fields[f];
    const int64_t v = episode.values[f];
    absl::StrAppend(&out, ", \"", def.name, "\": ");
    switch (def.type) {
      case FieldType::kInt:
        absl::StrAppend(&out, v);
        break;
      case FieldType::kBool:
        absl::StrAppend(&out, v != 0 ? "true" : "false");
        break;
      case FieldType::kEnum:
        absl::StrAppend(&out, JsonQuoted(def.values[v]));
        break;
      case FieldType::kSet: {
        std::vector<std::string> members;
        for (size_t k = 0; k < def.values.size(); ++k) {
          if ((v >> k) & 1) members.push_back(JsonQuoted(def.values[k]));
        }
        absl::StrAppend(&out, "[", absl::StrJoin(members, ", "), "]");
        break;
      }
      case FieldType::kText:
        absl::StrAppend(&out, JsonQuoted(episode.narrative));
        break;
    }
  }
  return out + "}";
}

void WriteHeader(std::ostream& out, int64_t seed, int64_t rules,
                 int64_t episodes) {
  static const char* const kTypes[] = {"int", "bool", "enum", "set", "text"};
  std::vector<std::string> fields;
  for (const FieldDef& def : Fields()) {
    std::string f = absl::StrCat("{\"name\": \"", def.name, "\", \"type\": \"",
                                 kTypes[static_cast<int>(def.type)], "\"");
    if (def.type == FieldType::kInt) {
      absl::StrAppend(&f, ", \"min\": ", def.min, ", \"max\": ", def.max);
    }
    if (!def.values.empty()) {
      std::vector<std::string> values;
      for (const std::string& v : def.values) values.push_back(JsonQuoted(v));
      absl::StrAppend(&f, ", \"values\": [", absl::StrJoin(values, ", "), "]");
    }
    fields.push_back(f + "}");
  }
  std::vector<std::string> phrases;
  for (const std::string& p : Phrases()) phrases.push_back(JsonQuoted(p));
  out << "{\"format\": \"neutral-episode-rules/1\", \"seed\": " << seed
      << ", \"n_rules\": " << rules << ", \"n_episodes\": " << episodes
      << ",\n\"schema\": {\"key\": \"episode_id\", \"fields\": [\n  "
      << absl::StrJoin(fields, ",\n  ") << "]},\n\"phrases\": ["
      << absl::StrJoin(phrases, ", ") << "],\n\"rules\": [";
}

}  // namespace lantern::bench
