// ImpossibleValues: the values of an episode's facts that cannot be true,
// whoever sends them — the service (ValidateAndDecodeFacts) and
// `lantern eval` both refuse facts with any, with these same lines.
//
// Checked: ages in range (the child 0..25, since care leavers are supported
// to 25; associates 0..120), counts and distances not negative; times in
// order: found_at not before reported_at or last_seen_at, the date of birth
// not after reported_at or last_seen_at, arrived_in_uk_at between
// date_of_birth and reported_at, contact since missing between
// last_seen_at and found_at, interviews not before found_at, an NRM
// decision not before its referral, every earlier episode reported before
// this one and found after it was reported; a return home interview's
// completed or refused time agreeing with its status. Enum numbers and
// times Timestamp cannot hold are the decoder's to refuse
// (engine/proto/proto_adapter.h), not checked here.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_APP_FACTS_VALUES_H_
#define LANTERN_SERVER_APP_FACTS_VALUES_H_

#include <string>
#include <vector>

#include "lantern/v1/episode.pb.h"

namespace lantern {

// One line per problem, each naming its field by path from the request
// ("facts.child.date_of_birth: 2024-05-05T09:06:40Z is after
// facts.episode.reported_at (2024-05-04T10:53:20Z)"); empty when every
// value can be true.
std::vector<std::string> ImpossibleValues(const v1::EpisodeFacts& facts);

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_FACTS_VALUES_H_
