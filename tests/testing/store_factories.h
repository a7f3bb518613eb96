// StoreFactory: a new, empty ledger in each LedgerStore implementation, for
// tests run against all of them (the conformance suite, the Ledger's own
// tests). "sqlite" (a file in a scratch directory), "memory", and
// "postgresql" (a database in a throw-away server started once per test
// process, tests/testing/postgres_server.h).
//
// Thread-safety: one test thread uses a factory.
#ifndef LANTERN_TESTS_TESTING_STORE_FACTORIES_H_
#define LANTERN_TESTS_TESTING_STORE_FACTORIES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/ledger/ledger_store.h"
#include "server/ledger/memory_ledger_store.h"
#include "server/ledger/sqlite_ledger_store.h"
#include "tests/testing/ledger_records.h"
#include "tests/testing/postgres_server.h"

namespace lantern::testing {

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // Why this store cannot be tested here ("" when it can): the SKIP reason.
  virtual std::string Unavailable() { return ""; }
  // A writer on a new, empty ledger.
  virtual absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> NewLedger() = 0;
  // Another writer on the ledger NewLedger last made.
  virtual absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> SameLedger() = 0;
  // Where that ledger is, for Ledger::Open ("" for memory).
  virtual std::string location() const { return ""; }
  // Whether AwaitActivation is told of activations (else it only waits).
  virtual bool notifies() const { return true; }
};

class SqliteStoreFactory : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> NewLedger() override {
    path_ = dir_.File("ledger" + std::to_string(++count_) + ".db");
    return SameLedger();
  }
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> SameLedger() override {
    return ledger::OpenLedgerStore(path_, ledger::StoreAccess::kWrite);
  }
  std::string location() const override { return path_; }
  bool notifies() const override { return false; }

 private:
  ScratchDir dir_;
  std::string path_;
  int count_ = 0;
};

class MemoryStoreFactory : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> NewLedger() override {
    auto store = ledger::MemoryLedgerStore::Create();
    first_ = store.get();
    return std::unique_ptr<ledger::LedgerStore>(std::move(store));
  }
  // REQUIRES: the store NewLedger returned is still open.
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> SameLedger() override {
    return std::unique_ptr<ledger::LedgerStore>(first_->OpenWriter());
  }

 private:
  ledger::MemoryLedgerStore* first_ = nullptr;
};

class PostgresStoreFactory : public StoreFactory {
 public:
  // The server shared by every test of this process; null and `why` set
  // when it is not installed or did not start.
  static PostgresServer* Server(std::string* why) {
    static std::string* failure = new std::string;
    static PostgresServer* server = [] {
      *failure = PostgresServer::Unavailable();
      if (!failure->empty()) return static_cast<PostgresServer*>(nullptr);
      std::unique_ptr<PostgresServer> started = PostgresServer::Start(failure);
      if (started != nullptr) {
        // Stopped and removed when the test process exits.
        static std::unique_ptr<PostgresServer> owner;
        owner = std::move(started);
        return owner.get();
      }
      return static_cast<PostgresServer*>(nullptr);
    }();
    if (server == nullptr) *why = *failure;
    return server;
  }

  std::string Unavailable() override { return PostgresServer::Unavailable(); }

  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> NewLedger() override {
    std::string why;
    PostgresServer* server = Server(&why);
    if (server == nullptr) return absl::UnavailableError(why);
    uri_ = server->NewDatabase();
    if (uri_.empty()) return absl::UnavailableError("CREATE DATABASE failed");
    return SameLedger();
  }
  absl::StatusOr<std::unique_ptr<ledger::LedgerStore>> SameLedger() override {
    return ledger::OpenLedgerStore(uri_, ledger::StoreAccess::kWrite);
  }
  std::string location() const override { return uri_; }

 private:
  std::string uri_;
};

inline std::vector<std::string> StoreFactoryNames() {
  return {"sqlite", "memory", "postgresql"};
}

inline std::unique_ptr<StoreFactory> MakeStoreFactory(const std::string& name) {
  if (name == "memory") return std::make_unique<MemoryStoreFactory>();
  if (name == "postgresql") return std::make_unique<PostgresStoreFactory>();
  return std::make_unique<SqliteStoreFactory>();
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_STORE_FACTORIES_H_
