// Crash safety of server/ledger/ledger.h: a child process appends from many
// threads and reports each acknowledged decision id down a pipe; the parent
// kills it with SIGKILL after a random number of acknowledgements (so at a
// random point of a commit), reopens the same file and checks that every
// acknowledged decision is there and the whole ledger verifies. Ten rounds on
// one file, each starting from what the previous kill left.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "server/ledger/ledger.h"
#include "server/ledger/verifier.h"
#include "tests/testing/ledger_records.h"

namespace lantern::ledger {
namespace {

using ::lantern::testing::SampleDecision;
using ::lantern::testing::ScratchDir;

constexpr int kRounds = 10;
constexpr int kThreads = 8;

// The child: append until killed, writing "<decision id>\n" after each
// acknowledged append (one write(2) per line: atomic on a pipe).
[[noreturn]] void AppendUntilKilled(const std::string& path, int round,
                                    int ack_fd) {
  LedgerOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
  if (!ledger.ok()) _exit(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        const int n = round * 1000000 + t * 100000 + i;
        v1::DecisionRecord d = SampleDecision(n, absl::StrCat("req-", n));
        if (!(*ledger)->AppendDecision(std::move(d)).ok()) _exit(4);
        const std::string line = absl::StrCat("d-", n, "\n");
        if (write(ack_fd, line.data(), line.size()) !=
            static_cast<ssize_t>(line.size())) {
          _exit(5);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  _exit(6);
}

// Reads acknowledgements until `kill_after` have arrived, kills the child,
// then reads whatever it had written before dying.
std::vector<std::string> ReadAcksAndKill(pid_t child, int fd, int kill_after) {
  std::string buffer;
  size_t lines = 0;
  bool killed = false;
  char chunk[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    // Only a guard against a hung child, never a timing condition.
    if (poll(&p, 1, 120000) <= 0) break;
    const ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got <= 0) break;  // EOF: the child is gone
    buffer.append(chunk, got);
    lines = std::count(buffer.begin(), buffer.end(), '\n');
    if (!killed && lines >= static_cast<size_t>(kill_after)) {
      kill(child, SIGKILL);
      killed = true;
    }
  }
  if (!killed) kill(child, SIGKILL);
  std::vector<std::string> ids;
  for (absl::string_view line : absl::StrSplit(buffer, '\n')) {
    if (!line.empty()) ids.emplace_back(line);
  }
  return ids;
}

TEST(LedgerCrash, EveryAcknowledgedAppendSurvivesSigkill) {
  ScratchDir dir;
  const std::string path = dir.File("crash.db");
  // A new moment each run; LANTERN_CRASH_SEED replays one.
  const char* fixed = std::getenv("LANTERN_CRASH_SEED");
  const unsigned seed = fixed != nullptr ? std::strtoul(fixed, nullptr, 10)
                                         : std::random_device{}();
  std::printf("seed %u (LANTERN_CRASH_SEED replays it)\n", seed);
  std::mt19937 random(seed);
  size_t total_acked = 0;
  for (int round = 0; round < kRounds; ++round) {
    const int kill_after = std::uniform_int_distribution<int>(1, 600)(random);
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      AppendUntilKilled(path, round, fds[1]);
    }
    close(fds[1]);
    const std::vector<std::string> acked =
        ReadAcksAndKill(child, fds[0], kill_after);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": the child stopped by itself, status "
        << status;
    ASSERT_GE(acked.size(), static_cast<size_t>(kill_after)) << round;
    total_acked += acked.size();

    // First as the kill left the file (write-ahead log not checkpointed):
    // it verifies; then it opens for appending again.
    absl::StatusOr<VerifyReport> report = VerifyLedger(path);
    ASSERT_TRUE(report.ok()) << report.status();
    ASSERT_TRUE(report->ok())
        << "round " << round << ": " << report->problems.front();
    LedgerOptions options;
    options.path = path;
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(options);
    ASSERT_TRUE(ledger.ok()) << "round " << round << ": " << ledger.status();
    for (const std::string& id : acked) {
      EXPECT_TRUE((*ledger)->GetDecision(id).ok())
          << "round " << round << ": acknowledged " << id << " is lost";
    }
    const uint64_t size = (*ledger)->LatestTreeHead().head.tree_size;
    ledger->reset();
    std::printf(
        "round %d: killed after %zu acknowledgements (asked %d); "
        "ledger holds %llu records, verifies\n",
        round, acked.size(), kill_after, static_cast<unsigned long long>(size));
  }
  EXPECT_GT(total_acked, 0u);
}

}  // namespace
}  // namespace lantern::ledger
