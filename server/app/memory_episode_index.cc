// MemoryEpisodeIndex: Insert keeps one entry per EpisodeKey (the highest
// leaf index wins) and lists it under its child, place and people; Derive
// (the Deriver below) walks those lists once each.
//
// Times are unix microseconds. "This episode's time" t is its reported_at,
// or as_of when that is unset or later; its span runs from its last-seen
// time (or t) to its found_at (or as_of). An entry reported after as_of is
// never read.
#include "server/app/memory_episode_index.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lantern {
namespace {

constexpr int64_t kDay = int64_t{86400} * 1000000;
constexpr size_t kMaxEarlierEpisodes = 50;
constexpr size_t kMaxLinkedChildren = 50;
constexpr size_t kMaxLinkedEpisodes = 20;

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000000 + t.nanos() / 1000;
}

google::protobuf::Timestamp FromMicros(int64_t us) {
  google::protobuf::Timestamp t;
  int64_t s = us / 1000000;
  int64_t rest = us % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --s;
  }
  t.set_seconds(s);
  t.set_nanos(static_cast<int32_t>(rest * 1000));
  return t;
}

bool IsFamily(int relationship) {
  return relationship == v1::Associate::FAMILY_MEMBER ||
         relationship == v1::Associate::PARENT_OR_CARER;
}

// Where the child was found, or stays while away.
const std::string& FoundPlace(const v1::Episode& episode) {
  if (!episode.found().place().reference().empty()) {
    return episode.found().place().reference();
  }
  return episode.whereabouts().place().reference();
}

// Everyone with a reference the child was found or stays with.
template <typename Fn>
void ForEachPerson(const v1::Episode& episode, Fn fn) {
  for (const v1::Found* f : {&episode.found(), &episode.whereabouts()}) {
    for (const v1::Associate& a : f->with().people()) {
      if (!a.reference().empty()) fn(a);
    }
  }
}

// The child's known associates with a reference.
template <typename Fn>
void ForEachKnown(const v1::Child& child, Fn fn) {
  for (const v1::Associate& a : child.known_associates().people()) {
    if (!a.reference().empty()) fn(a);
  }
}

}  // namespace

std::optional<std::string> EpisodeKey(const v1::EpisodeFacts& facts) {
  const std::string& child = facts.child().reference();
  const v1::Episode& episode = facts.episode();
  if (child.empty() || !episode.has_reported_at()) return std::nullopt;
  if (!episode.reference().empty()) {
    return absl::StrCat(child.size(), ":", child, "#", episode.reference());
  }
  return absl::StrCat(child.size(), ":", child, "@",
                      Micros(episode.reported_at()));
}

v1::EpisodeFacts IndexedPart(const v1::EpisodeFacts& facts) {
  v1::EpisodeFacts part;
  part.mutable_child()->set_reference(facts.child().reference());
  for (const v1::Associate& a : facts.child().known_associates().people()) {
    if (a.reference().empty()) continue;
    v1::Associate* p =
        part.mutable_child()->mutable_known_associates()->add_people();
    p->set_reference(a.reference());
    p->set_relationship(a.relationship());
  }
  const v1::Episode& from = facts.episode();
  v1::Episode& to = *part.mutable_episode();
  to.set_status(from.status());
  to.set_reference(from.reference());
  if (from.has_reported_at()) *to.mutable_reported_at() = from.reported_at();
  if (from.has_last_seen_at()) *to.mutable_last_seen_at() = from.last_seen_at();
  if (from.has_found_at()) *to.mutable_found_at() = from.found_at();
  if (from.has_whereabouts_known()) {
    to.set_whereabouts_known(from.whereabouts_known());
  }
  if (from.has_missing_from_place()) {
    *to.mutable_missing_from_place() = from.missing_from_place();
  }
  for (auto [in, out] :
       {std::pair{&from.found(), to.mutable_found()},
        std::pair{&from.whereabouts(), to.mutable_whereabouts()}}) {
    if (in->has_place()) *out->mutable_place() = in->place();
    for (const v1::Associate& a : in->with().people()) {
      if (a.reference().empty()) continue;
      v1::Associate* p = out->mutable_with()->add_people();
      p->set_reference(a.reference());
      p->set_relationship(a.relationship());
    }
  }
  if (!to.found().has_place() && !to.found().has_with()) to.clear_found();
  if (!to.whereabouts().has_place() && !to.whereabouts().has_with()) {
    to.clear_whereabouts();
  }
  return part;
}

uint32_t MemoryEpisodeIndex::Pool::Find(absl::string_view s) const {
  if (s.empty()) return 0;
  auto it = ids.find(s);
  return it == ids.end() ? 0 : it->second;
}

uint32_t MemoryEpisodeIndex::Pool::Intern(absl::string_view s) {
  if (s.empty()) return 0;
  auto [it, inserted] =
      ids.try_emplace(std::string(s), static_cast<uint32_t>(lists.size()));
  if (inserted) {
    names.emplace_back(s);
    lists.emplace_back();
  }
  return it->second;
}

size_t MemoryEpisodeIndex::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

std::vector<EpisodeIndex::LinkedDecision> MemoryEpisodeIndex::LinkedTo(
    LinkKind link, absl::string_view reference) const {
  absl::ReaderMutexLock lock(&mu_);
  const std::vector<uint32_t>* slots = nullptr;
  if (link == LinkKind::kPlace) {
    const uint32_t id = places_.Find(reference);
    if (id != 0) slots = &places_.lists[id];
  }
  std::vector<uint32_t> person;  // with the person, or knowing them
  if (link == LinkKind::kPerson) {
    const uint32_t id = persons_.Find(reference);
    if (id != 0 && id < with_person_.size()) {
      person = PersonSlots(id);
      slots = &person;
    }
  }
  std::vector<LinkedDecision> out;
  if (slots == nullptr) return out;
  out.reserve(slots->size());
  for (uint32_t slot : *slots) {
    out.push_back({entries_[slot].leaf_index, entries_[slot].decision_id});
  }
  std::sort(out.begin(), out.end(),
            [](const LinkedDecision& a, const LinkedDecision& b) {
              return a.leaf_index < b.leaf_index;
            });
  return out;
}

std::vector<uint32_t> MemoryEpisodeIndex::PersonSlots(uint32_t id) const {
  std::vector<uint32_t> slots = with_person_[id];
  slots.insert(slots.end(), known_by_[id].begin(), known_by_[id].end());
  std::sort(slots.begin(), slots.end());
  slots.erase(std::unique(slots.begin(), slots.end()), slots.end());
  return slots;
}

void MemoryEpisodeIndex::Fill(const v1::EpisodeFacts& facts,
                              absl::string_view decision_id,
                              uint64_t leaf_index, Entry& e) {
  const v1::Episode& episode = facts.episode();
  e.decision_id = std::string(decision_id);
  e.leaf_index = leaf_index;
  e.child = persons_.Intern(facts.child().reference());
  e.reported = Micros(episode.reported_at());
  e.begin = episode.has_last_seen_at()
                ? std::min(e.reported, Micros(episode.last_seen_at()))
                : e.reported;
  e.found = episode.has_found_at()
                ? std::optional<int64_t>(Micros(episode.found_at()))
                : std::nullopt;
  e.whereabouts_known = episode.has_whereabouts_known()
                            ? std::optional<bool>(episode.whereabouts_known())
                            : std::nullopt;
  e.found_place = places_.Intern(FoundPlace(episode));
  e.missing_place = places_.Intern(episode.missing_from_place().reference());
  e.people.clear();
  ForEachPerson(episode, [&](const v1::Associate& a) {
    e.people.push_back({persons_.Intern(a.reference()), a.relationship()});
  });
  e.known.clear();
  ForEachKnown(facts.child(), [&](const v1::Associate& a) {
    e.known.push_back({persons_.Intern(a.reference()), a.relationship()});
  });
  with_person_.resize(persons_.lists.size());
  known_by_.resize(persons_.lists.size());
}

void MemoryEpisodeIndex::Link(uint32_t slot) {
  const Entry& e = entries_[slot];
  if (e.found_place != 0) places_.lists[e.found_place].push_back(slot);
  for (const Person& p : e.people) {
    std::vector<uint32_t>& list = with_person_[p.ref];
    if (list.empty() || list.back() != slot) list.push_back(slot);
  }
  for (const Person& p : e.known) {
    std::vector<uint32_t>& list = known_by_[p.ref];
    if (list.empty() || list.back() != slot) list.push_back(slot);
  }
}

void MemoryEpisodeIndex::Unlink(uint32_t slot) {
  const Entry& e = entries_[slot];
  auto drop = [slot](std::vector<uint32_t>& list) {
    list.erase(std::remove(list.begin(), list.end(), slot), list.end());
  };
  if (e.found_place != 0) drop(places_.lists[e.found_place]);
  for (const Person& p : e.people) drop(with_person_[p.ref]);
  for (const Person& p : e.known) drop(known_by_[p.ref]);
}

bool MemoryEpisodeIndex::Insert(const v1::EpisodeFacts& facts,
                                absl::string_view decision_id,
                                uint64_t leaf_index) {
  std::optional<std::string> key = EpisodeKey(facts);
  if (!key.has_value()) return false;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = slot_by_key_.try_emplace(
      *std::move(key), static_cast<uint32_t>(entries_.size()));
  const uint32_t slot = it->second;
  if (inserted) {
    entries_.emplace_back();
  } else {
    if (entries_[slot].leaf_index >= leaf_index) return false;
    Unlink(slot);
  }
  Fill(facts, decision_id, leaf_index, entries_[slot]);
  if (inserted) persons_.lists[entries_[slot].child].push_back(slot);
  Link(slot);
  return true;
}

// One Derive, under the index's reader lock.
class MemoryEpisodeIndex::Deriver {
 public:
  Deriver(const MemoryEpisodeIndex& index, const v1::EpisodeFacts& facts,
          absl::Time as_of)
      : index_(index), episode_(facts.episode()), child_facts_(facts.child()) {
    as_of_ = absl::ToUnixMicros(as_of);
    t_ = episode_.has_reported_at()
             ? std::min(as_of_, Micros(episode_.reported_at()))
             : as_of_;
    begin_ = episode_.has_last_seen_at()
                 ? std::min(t_, Micros(episode_.last_seen_at()))
                 : t_;
    end_ = episode_.has_found_at() ? Micros(episode_.found_at()) : as_of_;
    child_ = index.persons_.Find(facts.child().reference());
    home_ = index.places_.Find(episode_.missing_from_place().reference());
    if (std::optional<std::string> key = EpisodeKey(facts)) {
      auto it = index.slot_by_key_.find(*key);
      if (it != index.slot_by_key_.end()) current_ = it->second;
    }
  }

  v1::Derived Run() const ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    v1::Derived out;
    ChildEpisodes(out);
    LinkedChildren(out);
    const std::string& place = FoundPlace(episode_);
    if (!place.empty()) {
      v1::LinkedPlace* p = out.mutable_found_place();
      p->set_reference(place);
      const uint32_t id = index_.places_.Find(place);
      if (id != 0) Others({&index_.places_.lists[id]}, p);
    }
    std::vector<std::string> seen;
    auto person = [&](const v1::Associate& a, v1::LinkedPerson* p) {
      p->set_reference(a.reference());
      p->set_relationship(a.relationship());
      if (a.has_age_years()) p->set_age_years(a.age_years());
      const uint32_t id = index_.persons_.Find(a.reference());
      if (id != 0) {
        Others({&index_.with_person_[id], &index_.known_by_[id]}, p);
      }
    };
    ForEachPerson(episode_, [&](const v1::Associate& a) {
      if (std::find(seen.begin(), seen.end(), a.reference()) != seen.end()) {
        return;
      }
      seen.push_back(a.reference());
      person(a, out.add_associates());
    });
    seen.clear();
    ForEachKnown(child_facts_, [&](const v1::Associate& a) {
      if (std::find(seen.begin(), seen.end(), a.reference()) != seen.end()) {
        return;
      }
      seen.push_back(a.reference());
      person(a, out.add_known_associates());
    });
    return out;
  }

 private:
  // Another link to `other`'s episode in `slot`; the latest episode of
  // each child is the one named.
  struct Link {
    uint32_t slot = 0;
    bool found_with = false, same_place = false, same_associate = false,
         family = false;
  };

  const Entry& At(uint32_t slot) const ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    return index_.entries_[slot];
  }

  void ChildEpisodes(v1::Derived& out) const
      ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    std::vector<const Entry*> earlier;
    if (child_ != 0) {
      for (uint32_t slot : index_.persons_.lists[child_]) {
        const Entry& e = At(slot);
        if (static_cast<int64_t>(slot) == current_ || e.reported > t_) continue;
        earlier.push_back(&e);
      }
    }
    std::sort(earlier.begin(), earlier.end(),
              [](const Entry* a, const Entry* b) {
                return a->reported > b->reported;
              });
    int32_t n30 = 1, n90 = 1, n365 = 1;
    for (const Entry* e : earlier) {
      const int64_t age = t_ - e->reported;
      if (age < 30 * kDay) ++n30;
      if (age < 90 * kDay) ++n90;
      if (age >= 365 * kDay) continue;
      ++n365;
      if (out.earlier_episodes_size() < static_cast<int>(kMaxEarlierEpisodes)) {
        v1::IndexedEpisode* x = out.add_earlier_episodes();
        x->set_decision_id(e->decision_id);
        *x->mutable_reported_at() = FromMicros(e->reported);
        if (e->found) *x->mutable_found_at() = FromMicros(*e->found);
        if (e->whereabouts_known) {
          x->set_whereabouts_known(*e->whereabouts_known);
        }
      }
    }
    out.set_episodes_last_30_days(n30);
    out.set_episodes_last_90_days(n90);
    out.set_episodes_last_365_days(n365);
    if (!earlier.empty()) {
      out.set_days_since_last_episode(
          static_cast<int32_t>((t_ - earlier.front()->reported) / kDay));
    }
  }

  // Another child's entry whose span overlaps this episode's.
  bool Overlaps(const Entry& e) const {
    if (e.child == child_ || e.reported > as_of_) return false;
    const int64_t e_end = e.found ? *e.found : as_of_;
    return e.begin <= end_ && begin_ <= e_end;
  }

  enum How { kFoundWith, kSamePlace, kSameAssociate };

  void Note(std::vector<Link>& links, uint32_t slot, How how, bool family) const
      ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    const Entry& e = At(slot);
    if (!Overlaps(e)) return;
    auto it = std::find_if(links.begin(), links.end(), [&](const Link& l) {
      return At(l.slot).child == e.child;
    });
    if (it == links.end()) {
      links.push_back({slot});
      it = links.end() - 1;
    } else if (e.reported > At(it->slot).reported) {
      it->slot = slot;
    }
    if (how == kFoundWith) it->found_with = true;
    if (how == kSamePlace) it->same_place = true;
    if (how == kSameAssociate) it->same_associate = true;
    it->family =
        it->family || family || (home_ != 0 && e.missing_place == home_);
  }

  void LinkedChildren(v1::Derived& out) const
      ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    std::vector<Link> links;
    ForEachPerson(episode_, [&](const v1::Associate& a) {
      const uint32_t id = index_.persons_.Find(a.reference());
      if (id == 0) return;
      // Their own episodes: this child was found with them.
      for (uint32_t slot : index_.persons_.lists[id]) {
        Note(links, slot, kFoundWith, IsFamily(a.relationship()));
      }
      // Other children who were with the same person.
      for (uint32_t slot : index_.with_person_[id]) {
        Note(links, slot, kSameAssociate, false);
      }
    });
    if (child_ != 0) {  // children whose episodes name this child
      for (uint32_t slot : index_.with_person_[child_]) {
        bool family = false;
        for (const Person& p : At(slot).people) {
          if (p.ref == child_ && IsFamily(p.relationship)) family = true;
        }
        Note(links, slot, kFoundWith, family);
      }
    }
    const uint32_t place = index_.places_.Find(FoundPlace(episode_));
    if (place != 0) {
      for (uint32_t slot : index_.places_.lists[place]) {
        Note(links, slot, kSamePlace, false);
      }
    }
    std::sort(links.begin(), links.end(), [&](const Link& a, const Link& b) {
      if (At(a.slot).reported != At(b.slot).reported) {
        return At(a.slot).reported > At(b.slot).reported;
      }
      return At(a.slot).decision_id < At(b.slot).decision_id;
    });
    if (links.size() > kMaxLinkedChildren) links.resize(kMaxLinkedChildren);
    for (const Link& l : links) {
      const Entry& e = At(l.slot);
      v1::LinkedChild* c = out.add_linked_children();
      c->set_child_reference(ChildReference(e.child));
      c->set_decision_id(e.decision_id);
      *c->mutable_reported_at() = FromMicros(e.reported);
      c->set_found_with(l.found_with);
      c->set_same_place(l.same_place);
      c->set_same_associate(l.same_associate);
      c->set_family(l.family);
    }
  }

  // The other children among the entries of `lists` in the window, by
  // their latest episode there, into a LinkedPlace or LinkedPerson.
  template <typename Links>
  void Others(std::initializer_list<const std::vector<uint32_t>*> lists,
              Links* out) const ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    absl::flat_hash_map<uint32_t, uint32_t> by_child;  // child -> slot
    for (const std::vector<uint32_t>* slots : lists) {
      for (uint32_t slot : *slots) {
        const Entry& e = At(slot);
        if (e.child == child_ || e.reported > as_of_ ||
            e.reported <= t_ - 365 * kDay) {
          continue;
        }
        auto [it, inserted] = by_child.try_emplace(e.child, slot);
        if (!inserted && e.reported > At(it->second).reported)
          it->second = slot;
      }
    }
    std::vector<uint32_t> latest;  // one slot per other child
    latest.reserve(by_child.size());
    for (const auto& [child, slot] : by_child) latest.push_back(slot);
    // Only the newest kMaxLinkedEpisodes are listed; a popular place's
    // thousands need no full sort.
    const size_t listed = std::min(latest.size(), kMaxLinkedEpisodes);
    std::partial_sort(latest.begin(), latest.begin() + listed, latest.end(),
                      [&](uint32_t a, uint32_t b) {
                        if (At(a).reported != At(b).reported) {
                          return At(a).reported > At(b).reported;
                        }
                        return At(a).decision_id < At(b).decision_id;
                      });
    int32_t n90 = 0;
    for (uint32_t slot : latest) {
      const Entry& e = At(slot);
      if (e.reported > t_ - 90 * kDay) ++n90;
      if (out->children_size() < static_cast<int>(kMaxLinkedEpisodes)) {
        v1::LinkedEpisode* x = out->add_children();
        x->set_child_reference(ChildReference(e.child));
        x->set_decision_id(e.decision_id);
        *x->mutable_reported_at() = FromMicros(e.reported);
      }
    }
    out->set_other_children_last_90_days(n90);
    out->set_other_children_last_365_days(static_cast<int32_t>(latest.size()));
  }

  const std::string& ChildReference(uint32_t id) const
      ABSL_SHARED_LOCKS_REQUIRED(index_.mu_) {
    return index_.persons_.names[id];
  }

  const MemoryEpisodeIndex& index_;
  const v1::Episode& episode_;
  const v1::Child& child_facts_;
  int64_t as_of_ = 0, t_ = 0, begin_ = 0, end_ = 0;
  uint32_t child_ = 0;
  uint32_t home_ = 0;     // the place missing from
  int64_t current_ = -1;  // this episode's slot, if indexed
};

std::optional<v1::Derived> MemoryEpisodeIndex::Derive(
    const v1::EpisodeFacts& facts, absl::Time as_of) const {
  if (facts.child().reference().empty()) return std::nullopt;
  absl::ReaderMutexLock lock(&mu_);
  return Deriver(*this, facts, as_of).Run();
}

}  // namespace lantern
