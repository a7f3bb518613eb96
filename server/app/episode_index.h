// EpisodeIndex: Lantern's own index of the episodes it has assessed — per
// decision the child's pseudonymous reference, the episode's times, the
// place it was found at and went missing from, and the people the child was
// with — and the facts derived from it for a new Assess (v1::Derived,
// proto/lantern/v1/episode.proto, which defines every derived value).
//
// One entry per episode: an episode is known by the child's reference and
// the caller's episode reference (or, without one, its reported_at), so a
// retry or a later Assess of the same episode never counts twice; the
// decision with the highest ledger leaf index wins, whatever order Adds
// arrive in. Episodes without a child reference or a reported_at are not
// indexed.
//
// Implementations: MemoryEpisodeIndex (memory_episode_index.h) computes;
// StoredEpisodeIndex (stored_episode_index.h) keeps its entries in the
// ledger's store (SQLite or PostgreSQL) so that they survive a restart and,
// on PostgreSQL, so that replicas see each other's episodes.
//
// Thread-safety: implementations allow every call from any thread at
// once.
#ifndef LANTERN_SERVER_APP_EPISODE_INDEX_H_
#define LANTERN_SERVER_APP_EPISODE_INDEX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lantern/v1/episode.pb.h"

namespace lantern {

class EpisodeIndex {
 public:
  virtual ~EpisodeIndex() = default;

  // Brings the index up to date with every decision durably recorded
  // before the call, by this process or another replica of a shared
  // ledger; Derive and LinkedTo after it see them. OK at once for an index
  // that is told of every decision by Add. Errors: UNAVAILABLE when the
  // ledger cannot be read (Derive then answers from what it already has).
  virtual absl::Status Sync() const { return absl::OkStatus(); }

  // What the index says about `facts`'s episode as of `as_of`: nothing
  // reported after as_of counts, nor any entry of this same episode.
  // nullopt when facts.child.reference is empty (nothing to look up).
  virtual std::optional<v1::Derived> Derive(const v1::EpisodeFacts& facts,
                                            absl::Time as_of) const = 0;

  // Indexes the decision `decision_id`, recorded at ledger leaf
  // `leaf_index`, made on `facts` (the caller's facts; `derived` is not
  // read). A decision whose episode already has an entry from a later leaf
  // changes nothing. REQUIRES: the decision is durably recorded.
  virtual void Add(const v1::EpisodeFacts& facts, absl::string_view decision_id,
                   uint64_t leaf_index) = 0;

  // The latest decision on each indexed episode linked to `reference`:
  // kPlace, episodes whose child was found (or stayed, while away) at that
  // place reference; kPerson, episodes where the child was with a person
  // of that reference. Lowest leaf index first; empty for an unknown or
  // empty reference.
  enum class LinkKind { kPlace, kPerson };
  struct LinkedDecision {
    uint64_t leaf_index = 0;
    std::string decision_id;
  };
  virtual std::vector<LinkedDecision> LinkedTo(
      LinkKind link, absl::string_view reference) const = 0;
};

// The key of `facts`'s episode in any index, or nullopt when it is not
// indexed (no child reference, or neither an episode reference nor a
// reported_at).
std::optional<std::string> EpisodeKey(const v1::EpisodeFacts& facts);

// The part of `facts` an index keeps: the references, times, places and
// people (reference and relationship) — what Derive reads, and no more.
v1::EpisodeFacts IndexedPart(const v1::EpisodeFacts& facts);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_EPISODE_INDEX_H_
