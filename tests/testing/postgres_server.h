// PostgresServer: a throw-away PostgreSQL 15 for tests — initdb and pg_ctl
// from Debian's packages in a fresh temporary directory, listening only on
// a Unix socket in that directory (so no TCP port is taken or raced for),
// stopped and removed when the object goes.
//
// As root (CI), the server runs as the `postgres` user through
// `runuser -u postgres --`, since PostgreSQL refuses to run as root; the
// directory is handed to that user. Otherwise it runs as the current user.
//
// Tests SKIP, saying why, only when the PostgreSQL binaries are absent
// (scripts/setup.sh installs them); any other failure to start fails.
//
// Thread-safety: one test thread uses an instance; NewDatabase may be
// called from any thread.
#ifndef LANTERN_TESTS_TESTING_POSTGRES_SERVER_H_
#define LANTERN_TESTS_TESTING_POSTGRES_SERVER_H_

#include <pwd.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/ledger/postgres.h"

namespace lantern::testing {

class PostgresServer {
 public:
  static constexpr char kBinDir[] = "/usr/lib/postgresql/15/bin";

  // Empty when the binaries are there; else why not (the SKIP message).
  static std::string Unavailable() {
    const std::string initdb = absl::StrCat(kBinDir, "/initdb");
    if (access(initdb.c_str(), X_OK) != 0) {
      return absl::StrCat("PostgreSQL 15 is not installed (no ", initdb,
                          "); scripts/setup.sh installs postgresql-15");
    }
    return "";
  }

  // Null, and `*error` says why, when the server did not start.
  static std::unique_ptr<PostgresServer> Start(std::string* error) {
    char dir_template[] = "/tmp/lantern-pg-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
      *error = "mkdtemp failed";
      return nullptr;
    }
    std::unique_ptr<PostgresServer> server(new PostgresServer(dir_template));
    if (getuid() == 0) {
      const passwd* pw = getpwnam("postgres");
      if (pw == nullptr) {
        *error = "running as root, and there is no user 'postgres'";
        return nullptr;
      }
      server->as_postgres_ = true;
      if (chown(dir_template, pw->pw_uid, pw->pw_gid) != 0) {
        *error = "cannot hand the directory to user postgres";
        return nullptr;
      }
    }
    if (!server->Run({absl::StrCat(kBinDir, "/initdb"), "-D",
                      server->data_dir(), "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync"})) {
      *error = "initdb failed; see " + server->dir_ + "/run.log";
      server->keep_ = true;
      return nullptr;
    }
    if (!server->Restart()) {
      *error = "pg_ctl start failed: " + server->log();
      return nullptr;
    }
    return server;
  }

  ~PostgresServer() {
    Stop();
    if (!keep_) std::filesystem::remove_all(dir_);
  }

  // Starts the server (again, after Stop). True once it accepts
  // connections.
  bool Restart() {
    running_ = Run({absl::StrCat(kBinDir, "/pg_ctl"), "-D", data_dir(), "-l",
                    dir_ + "/server.log", "-w", "-t", "120", "-o",
                    absl::StrCat("-k ", dir_,
                                 " -c listen_addresses= -p 5432 "
                                 "-c max_connections=200"),
                    "start"});
    return running_;
  }

  // Stops the server: by default at once ("immediate": as a crash would,
  // the next start recovers from the write-ahead log); "fast" rolls back
  // open transactions, disconnects and checkpoints first.
  void Stop(const std::string& mode = "immediate") {
    if (!running_) return;
    Run({absl::StrCat(kBinDir, "/pg_ctl"), "-D", data_dir(), "-m", mode, "-w",
         "stop"});
    running_ = false;
  }

  // The URI of database `name` (which may not exist yet).
  std::string Uri(const std::string& name) const {
    return absl::StrCat("postgresql:///", name, "?host=", dir_,
                        "&port=5432&user=postgres");
  }

  // Creates a new, empty database and returns its URI; "" on failure.
  std::string NewDatabase() {
    const std::string name = absl::StrCat("lantern_", next_database_++);
    absl::StatusOr<std::unique_ptr<ledger::PgConnection>> admin =
        ledger::PgConnection::Connect(Uri("postgres"));
    if (!admin.ok()) return "";
    if (!(*admin)->ExecScript("CREATE DATABASE " + name).ok()) return "";
    return Uri(name);
  }

  std::string log() const {
    std::string text;
    FILE* f = fopen((dir_ + "/server.log").c_str(), "r");
    if (f == nullptr) return "(no server.log)";
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
    fclose(f);
    return text;
  }

 private:
  explicit PostgresServer(std::string dir) : dir_(std::move(dir)) {}
  std::string data_dir() const { return dir_ + "/data"; }

  // Runs `argv` (as postgres when root), output to run.log; true on exit 0.
  bool Run(std::vector<std::string> argv) const {
    if (as_postgres_) {
      argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    }
    const pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      const std::string out = dir_ + "/run.log";
      FILE* log = fopen(out.c_str(), "a");
      if (log != nullptr) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      if (chdir(dir_.c_str()) != 0) _exit(127);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

  const std::string dir_;
  bool as_postgres_ = false;
  bool running_ = false;
  bool keep_ = false;
  std::atomic<int> next_database_{0};
};

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_POSTGRES_SERVER_H_
