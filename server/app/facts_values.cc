// ImpossibleValues: one check per relation between fields that protobuf
// types cannot express (ranges, times in order, a return home interview's
// times against its status), each adding "<path>: <problem>" lines. Times
// that Timestamp cannot hold are skipped here: the decoder reports them.
// Paths are views (or, under a repeated field, a Path rendered only for a
// problem), so facts with no problem cost no allocation.
#include "server/app/facts_values.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"

namespace lantern {
namespace {

using google::protobuf::Timestamp;
using Problems = std::vector<std::string>;

// A field's path, "<head><mid>[<index>]<tail>" (no "[...]" when `index` is
// negative); a constant path is all `head`. Views: rendered only for a
// problem.
struct Path {
  Path(const char* whole) : head(whole) {}  // NOLINT: paths are literals
  Path(absl::string_view head, absl::string_view mid, int index,
       absl::string_view tail)
      : head(head), mid(mid), index(index), tail(tail) {}

  std::string Render() const {
    if (index < 0) return absl::StrCat(head, mid, tail);
    return absl::StrCat(head, mid, "[", index, "]", tail);
  }

  absl::string_view head;
  absl::string_view mid;
  int index = -1;
  absl::string_view tail;
};

void CheckRange(bool present, int64_t value, int64_t low, int64_t high,
                const Path& path, Problems* problems) {
  if (present && (value < low || value > high)) {
    problems->push_back(absl::StrCat(path.Render(), ": ", value,
                                     " is out of range ", low, "..", high));
  }
}

// Whether `t` is a time Timestamp can hold; the decoder reports those that
// are not, so the order checks skip them.
bool Representable(const Timestamp& t) {
  using google::protobuf::util::TimeUtil;
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds && t.nanos() >= 0 &&
         t.nanos() <= 999999999;
}

// How a time must stand to another: what CheckTimes asks of its subject.
enum class TimeRule { kNotBefore, kNotAfter, kStrictlyBefore };

// When both times are set and Timestamp can hold them (the decoder reports
// those it cannot), adds a problem naming `subject_path` unless `subject`
// keeps `rule` against `other`: "<subject_path>: <time> is before / is
// after / is not before <other_path> (<time>)".
void CheckTimes(bool has_subject, const Timestamp& subject,
                const Path& subject_path, TimeRule rule, bool has_other,
                const Timestamp& other, const Path& other_path,
                Problems* problems) {
  using google::protobuf::util::TimeUtil;
  if (!has_subject || !has_other || !Representable(subject) ||
      !Representable(other)) {
    return;
  }
  const auto a = std::make_pair(subject.seconds(), subject.nanos());
  const auto b = std::make_pair(other.seconds(), other.nanos());
  const char* broken = nullptr;
  if (rule == TimeRule::kNotBefore && a < b) broken = " is before ";
  if (rule == TimeRule::kNotAfter && a > b) broken = " is after ";
  if (rule == TimeRule::kStrictlyBefore && a >= b) broken = " is not before ";
  if (broken == nullptr) return;
  problems->push_back(absl::StrCat(
      subject_path.Render(), ": ", TimeUtil::ToString(subject), broken,
      other_path.Render(), " (", TimeUtil::ToString(other), ")"));
}

// `later` must not be before `earlier` when both are set.
void CheckOrder(bool has_earlier, const Timestamp& earlier,
                const Path& earlier_path, bool has_later,
                const Timestamp& later, const Path& later_path,
                Problems* problems) {
  CheckTimes(has_later, later, later_path, TimeRule::kNotBefore, has_earlier,
             earlier, earlier_path, problems);
}

// A child cannot be born after an event of the episode.
void CheckBornBefore(const v1::Child& child, bool has_event,
                     const Timestamp& event, const Path& event_path,
                     Problems* problems) {
  CheckTimes(child.has_date_of_birth(), child.date_of_birth(),
             "facts.child.date_of_birth", TimeRule::kNotAfter, has_event, event,
             event_path, problems);
}

// `value` must not be after `limit` when both are set.
void CheckNotAfter(bool has_value, const Timestamp& value,
                   const Path& value_path, bool has_limit,
                   const Timestamp& limit, const Path& limit_path,
                   Problems* problems) {
  CheckTimes(has_value, value, value_path, TimeRule::kNotAfter, has_limit,
             limit, limit_path, problems);
}

// `earlier` must be strictly before `later` when both are set.
void CheckStrictlyBefore(bool has_earlier, const Timestamp& earlier,
                         const Path& earlier_path, bool has_later,
                         const Timestamp& later, const Path& later_path,
                         Problems* problems) {
  CheckTimes(has_earlier, earlier, earlier_path, TimeRule::kStrictlyBefore,
             has_later, later, later_path, problems);
}

// Where and with whom (Episode.found, Episode.whereabouts): associates'
// ages and the distance.
void CheckPlace(const v1::Found& place, absl::string_view path,
                Problems* problems) {
  const v1::Company& with = place.with();
  for (int i = 0; i < with.people_size(); ++i) {
    CheckRange(with.people(i).has_age_years(), with.people(i).age_years(), 0,
               120, Path(path, ".with.people", i, ".age_years"), problems);
  }
  if (place.has_distance_from_home_km() &&
      !(std::isfinite(place.distance_from_home_km()) &&
        place.distance_from_home_km() >= 0)) {
    problems->push_back(absl::StrCat(
        path, ".distance_from_home_km: ", place.distance_from_home_km(),
        " is not a distance (0 or more)"));
  }
}

// The child: arrival in the UK between birth and the report.
void CheckChild(const v1::EpisodeFacts& facts, Problems* problems) {
  const v1::Child& child = facts.child();
  const v1::Episode& episode = facts.episode();
  CheckOrder(child.has_date_of_birth(), child.date_of_birth(),
             "facts.child.date_of_birth", child.has_arrived_in_uk_at(),
             child.arrived_in_uk_at(), "facts.child.arrived_in_uk_at",
             problems);
  CheckNotAfter(child.has_arrived_in_uk_at(), child.arrived_in_uk_at(),
                "facts.child.arrived_in_uk_at", episode.has_reported_at(),
                episode.reported_at(), "facts.episode.reported_at", problems);
  const v1::NrmReferral& nrm = child.nrm_referral();
  CheckOrder(nrm.has_referred_at(), nrm.referred_at(),
             "facts.child.nrm_referral.referred_at", nrm.has_decision_at(),
             nrm.decision_at(), "facts.child.nrm_referral.decision_at",
             problems);
}

// Contact since missing: after the child was last seen, not after they
// were found.
void CheckContact(const v1::Episode& episode, Problems* problems) {
  const v1::Contact& contact = episode.contact();
  const struct {
    bool has;
    const Timestamp& at;
    const char* path;
  } times[] = {
      {contact.has_last_contact_at(), contact.last_contact_at(),
       "facts.episode.contact.last_contact_at"},
      {contact.has_last_sighting_at(), contact.last_sighting_at(),
       "facts.episode.contact.last_sighting_at"},
      {contact.has_phone_last_active_at(), contact.phone_last_active_at(),
       "facts.episode.contact.phone_last_active_at"},
  };
  for (const auto& t : times) {
    CheckOrder(episode.has_last_seen_at(), episode.last_seen_at(),
               "facts.episode.last_seen_at", t.has, t.at, t.path, problems);
    CheckNotAfter(t.has, t.at, t.path, episode.has_found_at(),
                  episode.found_at(), "facts.episode.found_at", problems);
  }
}

// Interviews: none before the return; a return home interview's timestamps
// agree with its status.
void CheckInterviews(const v1::Episode& episode, Problems* problems) {
  const v1::Interviews& in = episode.interviews();
  const struct {
    bool has;
    const Timestamp& at;
    const char* path;
  } times[] = {
      {in.has_prevention_interview_at(), in.prevention_interview_at(),
       "facts.episode.interviews.prevention_interview_at"},
      {in.has_return_home_interview_offered_at(),
       in.return_home_interview_offered_at(),
       "facts.episode.interviews.return_home_interview_offered_at"},
      {in.has_return_home_interview_completed_at(),
       in.return_home_interview_completed_at(),
       "facts.episode.interviews.return_home_interview_completed_at"},
      {in.has_return_home_interview_refused_at(),
       in.return_home_interview_refused_at(),
       "facts.episode.interviews.return_home_interview_refused_at"},
  };
  for (const auto& t : times) {
    CheckOrder(episode.has_found_at(), episode.found_at(),
               "facts.episode.found_at", t.has, t.at, t.path, problems);
  }
  using Status = v1::Interviews::ReturnHomeInterviewStatus;
  const Status status = in.return_home_interview_status();
  const auto status_problem = [&](absl::string_view path) {
    problems->push_back(absl::StrCat(
        path,
        " is set but facts.episode.interviews.return_home_interview_status is ",
        v1::Interviews::ReturnHomeInterviewStatus_Name(status)));
  };
  if (in.has_return_home_interview_completed_at() &&
      status != v1::Interviews::RETURN_HOME_INTERVIEW_STATUS_UNSPECIFIED &&
      status != v1::Interviews::COMPLETED) {
    status_problem(
        "facts.episode.interviews.return_home_interview_completed_at");
  }
  if (in.has_return_home_interview_refused_at() &&
      status != v1::Interviews::RETURN_HOME_INTERVIEW_STATUS_UNSPECIFIED &&
      status != v1::Interviews::DECLINED) {
    status_problem("facts.episode.interviews.return_home_interview_refused_at");
  }
}

// Earlier episodes: each reported before this one, found after it was
// reported.
void CheckHistory(const v1::EpisodeFacts& facts, Problems* problems) {
  const v1::History& history = facts.history();
  const v1::Episode& episode = facts.episode();
  for (int i = 0; i < history.episodes().recorded_size(); ++i) {
    const v1::EarlierEpisode& e = history.episodes().recorded(i);
    const Path reported("facts.history.episodes.recorded", "", i,
                        ".reported_at");
    const Path found("facts.history.episodes.recorded", "", i, ".found_at");
    CheckStrictlyBefore(e.has_reported_at(), e.reported_at(), reported,
                        episode.has_reported_at(), episode.reported_at(),
                        "facts.episode.reported_at", problems);
    CheckOrder(e.has_reported_at(), e.reported_at(), reported, e.has_found_at(),
               e.found_at(), found, problems);
  }
}

}  // namespace

std::vector<std::string> ImpossibleValues(const v1::EpisodeFacts& facts) {
  std::vector<std::string> out;
  Problems* problems = &out;
  const v1::Child& child = facts.child();
  CheckRange(child.has_age_years(), child.age_years(), 0, 25,
             "facts.child.age_years", problems);
  const v1::Episode& episode = facts.episode();
  CheckPlace(episode.found(), "facts.episode.found", problems);
  CheckPlace(episode.whereabouts(), "facts.episode.whereabouts", problems);
  const v1::History& history = facts.history();
  CheckRange(history.has_episodes_last_30_days(),
             history.episodes_last_30_days(), 0, 10000,
             "facts.history.episodes_last_30_days", problems);
  CheckRange(history.has_episodes_last_90_days(),
             history.episodes_last_90_days(), 0, 10000,
             "facts.history.episodes_last_90_days", problems);
  CheckRange(history.has_episodes_last_365_days(),
             history.episodes_last_365_days(), 0, 10000,
             "facts.history.episodes_last_365_days", problems);
  CheckOrder(episode.has_reported_at(), episode.reported_at(),
             "facts.episode.reported_at", episode.has_found_at(),
             episode.found_at(), "facts.episode.found_at", problems);
  CheckOrder(episode.has_last_seen_at(), episode.last_seen_at(),
             "facts.episode.last_seen_at", episode.has_found_at(),
             episode.found_at(), "facts.episode.found_at", problems);
  CheckBornBefore(child, episode.has_reported_at(), episode.reported_at(),
                  "facts.episode.reported_at", problems);
  CheckBornBefore(child, episode.has_last_seen_at(), episode.last_seen_at(),
                  "facts.episode.last_seen_at", problems);
  CheckChild(facts, problems);
  CheckContact(episode, problems);
  CheckInterviews(episode, problems);
  CheckHistory(facts, problems);
  return out;
}

}  // namespace lantern
