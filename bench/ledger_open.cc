// Opens a ledger as `lantern serve` does (Ledger::Open, then the list of
// activations it reads at start and a PostgreSQL replica re-reads every
// second) and reports how long each took and the process's memory after
// them, then one inclusion and one consistency proof at the latest size. For
// the scale benchmark in bench/README.md; it uses only the Ledger's public
// interface, so the same file builds against older versions for a before/after
// comparison.
//
//   ledger_open PATH|postgresql://... [KEY.pem]
//
// Prints one line:
//   records=N open_ms=T activations=A activations_ms=L rss_kb=R hwm_kb=H
//   proofs_ms=P
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "server/ledger/ledger.h"

namespace {

// A "Vm...:" line of /proc/self/status, in kB.
long StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: ledger_open LEDGER [KEY]\n");
    return 2;
  }
  lantern::ledger::LedgerOptions options;
  options.path = argv[1];
  if (argc == 3) options.key_path = argv[2];
  const auto started = std::chrono::steady_clock::now();
  auto ledger = lantern::ledger::Ledger::Open(options);
  const double open_ms = MillisSince(started);
  if (!ledger.ok()) {
    std::fprintf(stderr, "ledger_open: %s\n",
                 ledger.status().ToString().c_str());
    return 1;
  }
  const auto listed = std::chrono::steady_clock::now();
  auto activations = (*ledger)->ListActivations();
  const double activations_ms = MillisSince(listed);
  if (!activations.ok()) {
    std::fprintf(stderr, "ledger_open: %s\n",
                 activations.status().ToString().c_str());
    return 1;
  }
  const long rss = StatusKb("VmRSS");
  const long hwm = StatusKb("VmHWM");
  const uint64_t n = (*ledger)->LatestTreeHead().head.tree_size;
  const auto proofs_started = std::chrono::steady_clock::now();
  if (n > 1) {
    auto inclusion = (*ledger)->InclusionProof(n / 3, n);
    auto consistency = (*ledger)->ConsistencyProof(n / 2, n);
    if (!inclusion.ok() || !consistency.ok()) {
      std::fprintf(stderr, "ledger_open: proof failed\n");
      return 1;
    }
  }
  const double proofs_ms = MillisSince(proofs_started);
  std::printf(
      "records=%llu open_ms=%.0f activations=%zu activations_ms=%.1f "
      "rss_kb=%ld hwm_kb=%ld proofs_ms=%.2f\n",
      static_cast<unsigned long long>(n), open_ms, activations->size(),
      activations_ms, rss, hwm, proofs_ms);
  return 0;
}
