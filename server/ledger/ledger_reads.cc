// Ledger reads and proofs (see ledger.h). Reads go through their own
// read-only SQLite connection, so they never wait for a commit; proofs come
// from the in-memory tree, bounded by the latest signed head.
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/app/echo_value.h"
#include "server/ledger/ledger.h"
#include "server/ledger/record_codec.h"
#include "server/ledger/stored_tree.h"

namespace lantern::ledger {
namespace {

constexpr int kMaxPageSize = 1000;

absl::StatusOr<StoredDecision> ToDecision(const StoredRecord& row) {
  absl::StatusOr<v1::LedgerRecord> record = DecodeRecord(row.record);
  if (!record.ok()) return record.status();
  return StoredDecision{record->decision(), row.leaf_index};
}

// A page token is "<time micros>:<leaf index>" of the last decision given.
absl::Status ParsePageToken(const std::string& token, int64_t& time,
                            int64_t& index) {
  time = std::numeric_limits<int64_t>::min();
  index = -1;
  if (token.empty()) return absl::OkStatus();
  std::vector<std::string> parts = absl::StrSplit(token, ':');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &time) ||
      !absl::SimpleAtoi(parts[1], &index)) {
    return absl::InvalidArgumentError("page_token: not one this ledger gave");
  }
  return absl::OkStatus();
}

}  // namespace

std::string PageTokenAfter(const StoredDecision& d) {
  const google::protobuf::Timestamp& t = d.record.received_at();
  return absl::StrCat(t.seconds() * 1000000 + t.nanos() / 1000, ":",
                      d.leaf_index);
}

absl::StatusOr<StoredDecision> Ledger::GetDecision(
    const std::string& decision_id) {
  absl::MutexLock lock(&reader_mu_);
  absl::StatusOr<std::optional<StoredRecord>> row =
      reader_->FindByDecisionId(decision_id);
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no decision ", EchoValue(decision_id)));
  }
  return ToDecision(**row);
}

absl::StatusOr<DecisionPage> Ledger::ListDecisions(
    absl::Time from, absl::Time to, int page_size,
    const std::string& page_token, int64_t max_bytes) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1 to ", kMaxPageSize));
  }
  int64_t after_time, after_index;
  if (absl::Status s = ParsePageToken(page_token, after_time, after_index);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<StoredRecord>> rows;
  {
    absl::MutexLock lock(&reader_mu_);
    rows = reader_->DecisionsBetween(absl::ToUnixMicros(from),
                                     absl::ToUnixMicros(to), after_time,
                                     after_index, page_size + 1);
  }
  if (!rows.ok()) return rows.status();
  DecisionPage page;
  int64_t bytes = 0;
  size_t taken = 0;
  for (; taken < rows->size() && taken < static_cast<size_t>(page_size);
       ++taken) {
    const int64_t size = static_cast<int64_t>((*rows)[taken].record.size());
    if (taken > 0 && bytes + size > max_bytes) break;
    bytes += size;
    absl::StatusOr<StoredDecision> d = ToDecision((*rows)[taken]);
    if (!d.ok()) return d.status();
    page.decisions.push_back(*std::move(d));
  }
  if (rows->size() > taken) {
    const StoredRecord& last = (*rows)[taken - 1];
    page.next_page_token = absl::StrCat(last.time_micros, ":", last.leaf_index);
  }
  return page;
}

absl::StatusOr<DecisionCount> Ledger::CountDecisions(absl::Time from,
                                                     absl::Time to) {
  absl::MutexLock lock(&reader_mu_);
  return reader_->CountDecisionsBetween(absl::ToUnixMicros(from),
                                        absl::ToUnixMicros(to));
}

absl::StatusOr<AccessPage> Ledger::ListAccess(int page_size,
                                              const std::string& page_token) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: must be 1 to ", kMaxPageSize));
  }
  // A page token is the leaf index of the last record given.
  int64_t after = -1;
  if (!page_token.empty() &&
      (!absl::SimpleAtoi(page_token, &after) || after < 0)) {
    return absl::InvalidArgumentError("page_token: not one this ledger gave");
  }
  absl::StatusOr<std::vector<StoredRecord>> rows;
  {
    absl::MutexLock lock(&reader_mu_);
    rows = reader_->AccessRecordsAfter(after, page_size + 1);
  }
  if (!rows.ok()) return rows.status();
  AccessPage page;
  for (size_t i = 0; i < rows->size() && i < static_cast<size_t>(page_size);
       ++i) {
    absl::StatusOr<v1::LedgerRecord> record = DecodeRecord((*rows)[i].record);
    if (!record.ok()) return record.status();
    page.records.push_back({record->access(), (*rows)[i].leaf_index});
  }
  if (rows->size() > static_cast<size_t>(page_size)) {
    page.next_page_token = absl::StrCat(page.records.back().leaf_index);
  }
  return page;
}

absl::StatusOr<std::vector<StoredActivation>> Ledger::ListActivations(
    bool include_rejected) {
  absl::StatusOr<std::vector<StoredRecord>> rows;
  {
    absl::MutexLock lock(&reader_mu_);
    rows = reader_->Activations();
  }
  if (!rows.ok()) return rows.status();
  std::vector<StoredActivation> out;
  for (const StoredRecord& row : *rows) {
    absl::StatusOr<v1::LedgerRecord> record = DecodeRecord(row.record);
    if (!record.ok()) return record.status();
    if (!include_rejected &&
        record->activation().outcome() != v1::ActivationRecord::ACTIVATED) {
      continue;
    }
    out.push_back({record->activation(), row.leaf_index});
  }
  return out;
}

absl::StatusOr<std::vector<SourceFile>> Ledger::GetRuleSetFiles(
    const std::string& digest) {
  absl::StatusOr<std::optional<std::string>> blob;
  {
    absl::MutexLock lock(&reader_mu_);
    blob = reader_->RuleSet(digest);
  }
  if (!blob.ok()) return blob.status();
  if (!blob->has_value()) {
    return absl::NotFoundError(absl::StrCat("no ruleset ", EchoValue(digest)));
  }
  v1::RuleSetBlob parsed;
  if (!parsed.ParseFromString(**blob)) {
    return absl::DataLossError(
        absl::StrCat("ruleset ", EchoValue(digest), " is damaged"));
  }
  return FilesOf(parsed);
}

absl::StatusOr<LeafEntry> Ledger::GetLeaf(uint64_t leaf_index) {
  if (leaf_index >= LatestTreeHead().head.tree_size) {
    return absl::NotFoundError(absl::StrCat("no leaf ", leaf_index));
  }
  absl::StatusOr<std::optional<StoredRecord>> row;
  {
    absl::MutexLock lock(&reader_mu_);
    row = reader_->RecordAt(leaf_index);
  }
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return absl::NotFoundError(absl::StrCat("no leaf ", leaf_index));
  }
  absl::StatusOr<Hash> hash = HashFromBytes((*row)->leaf_hash);
  if (!hash.ok()) return absl::DataLossError(hash.status().message());
  return LeafEntry{leaf_index, (*row)->record, *hash};
}

SignedTreeHead Ledger::LatestTreeHead() const {
  absl::MutexLock lock(&tree_mu_);
  return latest_;
}

const std::string& Ledger::public_key() const { return signer_->public_key(); }

absl::Status Ledger::CheckProofSize(uint64_t tree_size) const {
  const uint64_t latest = LatestTreeHead().head.tree_size;
  if (tree_size > latest) {
    return absl::InvalidArgumentError(
        absl::StrCat("tree_size: ", tree_size,
                     " is beyond the latest tree head (", latest, ")"));
  }
  return absl::OkStatus();
}

NodeReader Ledger::ReaderNodes() const {
  return StoredNodeReader(*reader_, options_.path);
}

absl::StatusOr<std::vector<Hash>> Ledger::InclusionProof(
    uint64_t leaf_index, uint64_t tree_size) const {
  if (absl::Status s = CheckProofSize(tree_size); !s.ok()) return s;
  absl::MutexLock lock(&reader_mu_);
  return InclusionProofFrom(ReaderNodes(), leaf_index, tree_size);
}

absl::StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(
    uint64_t first, uint64_t second) const {
  if (absl::Status s = CheckProofSize(second); !s.ok()) return s;
  absl::MutexLock lock(&reader_mu_);
  return ConsistencyProofFrom(ReaderNodes(), first, second);
}

absl::Status Ledger::health() const {
  absl::MutexLock lock(&queue_mu_);
  return failed_;
}

absl::StatusOr<bool> Ledger::AwaitActivation(absl::Duration timeout) {
  absl::MutexLock lock(&listener_mu_);
  return listener_->AwaitActivation(timeout);
}

LedgerStats Ledger::stats() const {
  absl::MutexLock lock(&queue_mu_);
  return stats_;
}

}  // namespace lantern::ledger
