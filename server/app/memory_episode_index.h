// MemoryEpisodeIndex: the episode index in memory, where Derive runs. Each
// entry is listed under its child, its found place, each person with a
// reference the child was with and each of the child's known associates
// with a reference, so one Derive reads only the lists of this child, its
// place and its people — its cost grows with how often they appear, not
// with the size of the index.
//
// References are interned (a child's reference and a person's share one
// namespace, so another child named among the people found with this one
// is that child); places have their own.
//
// Thread-safety: Derive takes a reader lock, Add a writer lock; both may be
// called from any thread.
#ifndef LANTERN_SERVER_APP_MEMORY_EPISODE_INDEX_H_
#define LANTERN_SERVER_APP_MEMORY_EPISODE_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/app/episode_index.h"

namespace lantern {

class MemoryEpisodeIndex : public EpisodeIndex {
 public:
  std::optional<v1::Derived> Derive(const v1::EpisodeFacts& facts,
                                    absl::Time as_of) const override;
  void Add(const v1::EpisodeFacts& facts, absl::string_view decision_id,
           uint64_t leaf_index) override {
    Insert(facts, decision_id, leaf_index);
  }
  std::vector<LinkedDecision> LinkedTo(
      LinkKind link, absl::string_view reference) const override;
  // Add, saying whether the index changed (a new episode, or a later
  // decision on a known one).
  bool Insert(const v1::EpisodeFacts& facts, absl::string_view decision_id,
              uint64_t leaf_index);

  // Episodes indexed.
  size_t size() const;

 private:
  struct Person {
    uint32_t ref = 0;  // interned; never 0
    int relationship = 0;
  };
  struct Entry {
    std::string decision_id;
    uint64_t leaf_index = 0;
    uint32_t child = 0;
    int64_t reported = 0;  // unix micros
    int64_t begin = 0;     // last seen, or reported when earlier or unset
    std::optional<int64_t> found;
    std::optional<bool> whereabouts_known;
    uint32_t found_place = 0;    // 0: none
    uint32_t missing_place = 0;  // 0: none
    std::vector<Person> people;  // those with a reference
    std::vector<Person> known;   // known associates with a reference
  };
  // Interned strings, ids from 1 (0 is "none").
  struct Pool {
    absl::flat_hash_map<std::string, uint32_t> ids;
    std::vector<std::string> names = {""};            // by id
    std::vector<std::vector<uint32_t>> lists = {{}};  // by id: entry slots
    uint32_t Find(absl::string_view s) const;
    uint32_t Intern(absl::string_view s);
  };
  class Deriver;

  void Fill(const v1::EpisodeFacts& facts, absl::string_view decision_id,
            uint64_t leaf_index, Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Link(uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unlink(uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Entries linked to person `id`: with them, or knowing them.
  std::vector<uint32_t> PersonSlots(uint32_t id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> slot_by_key_ ABSL_GUARDED_BY(mu_);
  // persons_.lists[id]: entries of the child with that reference.
  Pool persons_ ABSL_GUARDED_BY(mu_);
  // with_person_[id]: entries whose people include that reference.
  std::vector<std::vector<uint32_t>> with_person_ ABSL_GUARDED_BY(mu_) = {{}};
  // known_by_[id]: entries whose child names that reference among its
  // known associates.
  std::vector<std::vector<uint32_t>> known_by_ ABSL_GUARDED_BY(mu_) = {{}};
  // places_.lists[id]: entries found at that place.
  Pool places_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_MEMORY_EPISODE_INDEX_H_
