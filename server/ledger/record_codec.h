// The canonical encoding of ledger records: the bytes a leaf of the Merkle
// tree is made of.
//
// Encoding: protobuf's deterministic serialization of lantern.v1.LedgerRecord
// (fields in field-number order, map entries sorted by key, unknown fields
// kept as read). It is written once at append and stored; nothing ever
// re-encodes an old record, so the leaf hash of a stored record depends only
// on its stored bytes. Deterministic serialization is not promised stable
// across protobuf versions in general: the golden vectors in
// tests/testdata/ledger/ fail if an upgrade (of protobuf, of the protos, or of
// this code) would encode the same record differently, before any new record
// is written that way.
//
// Thread-safety: stateless.
#ifndef LANTERN_SERVER_LEDGER_RECORD_CODEC_H_
#define LANTERN_SERVER_LEDGER_RECORD_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/ruleset/ruleset.h"
#include "lantern/v1/ledger.pb.h"

namespace lantern::ledger {

// Canonical bytes of any message (LedgerRecord, RuleSetBlob).
std::string EncodeCanonical(const google::protobuf::Message& message);

// DATA_LOSS when `bytes` is not a LedgerRecord.
absl::StatusOr<v1::LedgerRecord> DecodeRecord(absl::string_view bytes);

// zlib (RFC 1950) of `bytes`, for a format-2 decision's compact_assessment
// (ledger.proto DecisionRecord.format).
std::string Deflate(absl::string_view bytes);
// The bytes Deflate was given; DATA_LOSS when `compressed` is not a whole
// zlib stream or inflates past `max_bytes`.
absl::StatusOr<std::string> Inflate(absl::string_view compressed,
                                    size_t max_bytes = size_t{64} << 20);

// The blob of `files` (sorted by path) under their RulesetDigest.
v1::RuleSetBlob MakeRuleSetBlob(const std::vector<SourceFile>& files);
std::vector<SourceFile> FilesOf(const v1::RuleSetBlob& blob);

}  // namespace lantern::ledger

#endif  // LANTERN_SERVER_LEDGER_RECORD_CODEC_H_
