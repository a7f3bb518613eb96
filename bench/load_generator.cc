// lantern_load: an async gRPC load generator for `lantern serve`.
//
// Measures, against one running server in one run, two RPCs side by side:
// RiskAssessment.Assess on realistic episodes (the shipped examples,
// rules/examples/*.json, cycled) and the empty baseline, grpc.health.v1
// Health.Check. Both go through a generic stub with pre-serialized
// requests and unparsed responses, so the client's work differs only by
// the bytes it receives. For each RPC, two phases:
//   max   closed loop: --concurrency calls always outstanding, for
//         --duration; throughput and latency at saturation;
//   half  open loop at half the max throughput just measured: calls are
//         sent on a fixed schedule and latency counts from each call's
//         scheduled time (no coordinated omission).
// Reports throughput, p50/p99/p99.9 latency and failed calls per phase,
// and the Assess/Check throughput ratio. --baseline=false loads Assess
// alone (for comparing two servers, e.g. the ledger on and off:
// scripts/bench_ledger.sh). --view sets AssessRequest.view on every
// Assess call. --client_request_ids gives every Assess call a
// client_request_id of its own, as a retrying client would (the ledger
// then checks each for a retry); it is appended to the pre-serialized
// request as one more field, so the client still serializes nothing.
// Responses are received as raw bytes (a ByteBuffer), never parsed: only the
// status counts, and the mean answer size is printed. On a 2-core box the
// client's CPU competes with the server's, so the client does as little as it
// can; the answers' correctness is the tests' business. With --server_pid (a
// server on this machine) each phase also prints the CPU time per call of the
// server process (from /proc/PID/stat) and of this client (getrusage).
// With --ca, --cert and --key (PEM files) every channel is mutual TLS
// (--server_name: the name to check in the server's certificate when the
// address is not one it holds); the connections are made once, before the
// warm-up, so the phases measure calls on established TLS connections, not
// handshakes. scripts/bench_tls.sh compares the two transports.
// --address may name several servers (replicas of one ledger), comma-
// separated: --channels connections to each, calls sent to each in turn
// (scripts/bench_replicas.sh).
//
// Thread-safety: completions run on gRPC's threads and record into a
// mutex-guarded Recorder; the main thread paces and reports.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "lantern/v1/service.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051",
          "the server; several, comma-separated (replicas), share the calls "
          "round robin");
ABSL_FLAG(std::string, examples, "rules/examples",
          "a directory of EpisodeFacts JSON files to assess");
ABSL_FLAG(int, concurrency, 32, "calls outstanding in the closed-loop phase");
ABSL_FLAG(int, duration_s, 10, "seconds per phase");
ABSL_FLAG(int, channels, 2,
          "client channels (connections) to spread over, per address");
ABSL_FLAG(bool, baseline, true,
          "also load the empty RPC (Health.Check) and print the ratio");
ABSL_FLAG(bool, client_request_ids, false,
          "give every Assess call a client_request_id of its own");
ABSL_FLAG(std::string, ca, "",
          "mutual TLS: the CA certificate (PEM) that signed the server's");
ABSL_FLAG(std::string, cert, "", "mutual TLS: this client's certificate (PEM)");
ABSL_FLAG(std::string, key, "", "mutual TLS: this client's private key (PEM)");
ABSL_FLAG(std::string, server_name, "",
          "mutual TLS: the name the server's certificate must hold (default: "
          "the address's host)");
ABSL_FLAG(std::string, view, "",
          "AssessRequest.view: DECISION, EXPLAINED or FULL; empty: unset "
          "(the server's default, EXPLAINED)");
ABSL_FLAG(int, server_pid, 0,
          "the server's process id, to report its CPU time per call "
          "(0: do not)");

namespace {

using Clock = std::chrono::steady_clock;

// Latencies (ns) and failures of one phase.
class Recorder {
 public:
  void Add(int64_t nanos, bool ok, size_t bytes) {
    absl::MutexLock lock(&mu_);
    if (ok) {
      bytes_ += bytes;
      latencies_.push_back(nanos);
    } else {
      ++failed_;
    }
  }
  void Report(const char* rpc, const char* phase, double seconds) {
    absl::MutexLock lock(&mu_);
    std::sort(latencies_.begin(), latencies_.end());
    auto at = [&](double q) -> double {
      if (latencies_.empty()) return 0;
      size_t i = static_cast<size_t>(q * (latencies_.size() - 1));
      return latencies_[i] / 1e6;
    };
    throughput_ = latencies_.size() / seconds;
    std::printf(
        "%-7s %-5s %9.0f calls/s  p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms"
        "  (%zu ok, %ld failed, %.0f B/answer)\n",
        rpc, phase, throughput_, at(0.5), at(0.99), at(0.999),
        latencies_.size(), failed_,
        latencies_.empty() ? 0.0 : 1.0 * bytes_ / latencies_.size());
    calls_ = latencies_.size() + failed_;
    std::fflush(stdout);
  }
  double throughput() const { return throughput_; }
  size_t calls() const { return calls_; }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> latencies_ ABSL_GUARDED_BY(mu_);
  long failed_ ABSL_GUARDED_BY(mu_) = 0;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  double throughput_ = 0;
  size_t calls_ = 0;
};

// CPU seconds (user + system) of `pid` from /proc, or of this process when
// `pid` is 0; -1 when unreadable.
double CpuSeconds(int pid) {
  if (pid == 0) {
    rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {  // utime 14, stime 15
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / sysconf(_SC_CLK_TCK);
}

// CPU time of the server and of this client over one phase.
class CpuMeter {
 public:
  explicit CpuMeter(int server_pid)
      : server_pid_(server_pid),
        server_(server_pid > 0 ? CpuSeconds(server_pid) : -1),
        client_(CpuSeconds(0)) {}
  // Prints microseconds of CPU per call for `calls` calls since creation.
  void Report(double calls) const {
    if (server_pid_ <= 0 || calls <= 0) return;
    const double server = CpuSeconds(server_pid_) - server_;
    const double client = CpuSeconds(0) - client_;
    std::printf("        cpu per call: server %6.1f us, client %6.1f us\n",
                server * 1e6 / calls, client * 1e6 / calls);
    std::fflush(stdout);
  }

 private:
  int server_pid_;
  double server_, client_;
};

grpc::ByteBuffer Buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// One RPC to load: its method and the requests to cycle through.
struct Target {
  const char* name;
  std::string method;
  std::vector<std::string> requests;  // serialized
  // Non-empty: every call carries client_request_id `id_prefix` + a number
  // never used before in this run.
  std::string id_prefix;

  // The bytes of call `n` of a phase, call `number` of the run.
  grpc::ByteBuffer Request(size_t n, uint64_t number) const {
    const std::string& request = requests[n % requests.size()];
    if (id_prefix.empty()) return Buffer(request);
    // AssessRequest.client_request_id is field 4, length-delimited; a field
    // appended to a serialized message is parsed as part of it.
    const std::string id = id_prefix + std::to_string(number);
    return Buffer(request + static_cast<char>(4 << 3 | 2) +
                  static_cast<char>(id.size()) + id);
  }
};

// Unique to this run, so two runs against one ledger never share an id.
std::string IdPrefix() {
  return "load-" + std::to_string(getpid()) + "-" +
         std::to_string(absl::ToUnixMicros(absl::Now())) + "-";
}

std::vector<std::string> AssessRequests(const std::string& dir,
                                        const std::string& view_name) {
  lantern::v1::View view = lantern::v1::EXPLAINED;
  if (!view_name.empty() && !lantern::v1::View_Parse(view_name, &view)) {
    std::fprintf(stderr, "--view: not DECISION, EXPLAINED or FULL: %s\n",
                 view_name.c_str());
    std::exit(2);
  }
  std::vector<std::string> requests;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::ostringstream json;
    json << in.rdbuf();
    lantern::v1::AssessRequest request;
    if (!google::protobuf::util::JsonStringToMessage(json.str(),
                                                     request.mutable_facts())
             .ok()) {
      std::fprintf(stderr, "skipping %s\n", entry.path().c_str());
      continue;
    }
    request.mutable_as_of()->set_seconds(1714824000);  // 2024-05-04T12:00Z
    if (!view_name.empty()) request.set_view(view);
    requests.push_back(request.SerializeAsString());
  }
  return requests;
}

// One call in flight: its context, request, response and scheduled start.
struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  Clock::time_point start;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Plain text, or mutual TLS when --ca/--cert/--key are given (all three).
std::shared_ptr<grpc::ChannelCredentials> Credentials() {
  const std::string ca = absl::GetFlag(FLAGS_ca);
  const std::string cert = absl::GetFlag(FLAGS_cert);
  const std::string key = absl::GetFlag(FLAGS_key);
  if (ca.empty() && cert.empty() && key.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (ca.empty() || cert.empty() || key.empty()) {
    std::fprintf(stderr, "mutual TLS needs --ca, --cert and --key\n");
    std::exit(2);
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca);
  options.pem_cert_chain = ReadFile(cert);
  options.pem_private_key = ReadFile(key);
  return grpc::SslCredentials(options);
}

class LoadRunner {
 public:
  LoadRunner(const std::vector<std::string>& addresses, int channels,
             int server_pid)
      : server_pid_(server_pid) {
    const std::shared_ptr<grpc::ChannelCredentials> credentials = Credentials();
    // Channel i goes to address i % n: consecutive calls (stub n % size)
    // go to each address in turn.
    for (int i = 0; i < channels * static_cast<int>(addresses.size()); ++i) {
      const std::string& address = addresses[i % addresses.size()];
      grpc::ChannelArguments args;
      args.SetInt("lantern_channel", i);  // distinct channels, distinct TCP
      if (!absl::GetFlag(FLAGS_server_name).empty()) {
        args.SetSslTargetNameOverride(absl::GetFlag(FLAGS_server_name));
      }
      std::shared_ptr<grpc::Channel> channel =
          grpc::CreateCustomChannel(address, credentials, args);
      // Connected (and, over TLS, handshaken) before anything is timed.
      if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::seconds(30))) {
        std::fprintf(stderr, "cannot connect to %s\n", address.c_str());
        std::exit(1);
      }
      stubs_.push_back(std::make_unique<grpc::GenericStub>(channel));
    }
  }

  // Starts a call scheduled at `start`; `done` runs on completion.
  void Issue(const Target& target, size_t n, Clock::time_point start,
             Recorder* recorder, std::function<void()> done) {
    auto* call = new Call;
    call->start = start;
    call->request = target.Request(n, issued_.fetch_add(1));
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(10));
    outstanding_.fetch_add(1);
    stubs_[n % stubs_.size()]->UnaryCall(
        &call->context, target.method, {}, &call->request, &call->response,
        [this, call, recorder, done](grpc::Status status) {
          const auto nanos =
              std::chrono::duration_cast<std::chrono::nanoseconds>(
                  Clock::now() - call->start)
                  .count();
          recorder->Add(nanos, status.ok(), call->response.Length());
          delete call;
          if (done) done();
          outstanding_.fetch_sub(1);
        });
  }

  void WaitIdle() {
    while (outstanding_.load() > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Closed loop: `concurrency` chains of back-to-back calls.
  double Max(const Target& target, int concurrency, absl::Duration duration) {
    Recorder recorder;
    const CpuMeter cpu(server_pid_);
    const auto end = Clock::now() + absl::ToChronoNanoseconds(duration);
    std::atomic<size_t> n{0};
    std::function<void()> next = [&] {
      if (Clock::now() >= end) return;
      Issue(target, n.fetch_add(1), Clock::now(), &recorder, next);
    };
    for (int i = 0; i < concurrency; ++i) next();
    WaitIdle();
    recorder.Report(target.name, "max", absl::ToDoubleSeconds(duration));
    cpu.Report(recorder.calls());
    return recorder.throughput();
  }

  // Open loop at `rate` calls/s.
  void Paced(const Target& target, double rate, absl::Duration duration) {
    Recorder recorder;
    const CpuMeter cpu(server_pid_);
    const auto begin = Clock::now();
    const auto interval =
        std::chrono::nanoseconds(static_cast<int64_t>(1e9 / rate));
    const size_t total =
        static_cast<size_t>(rate * absl::ToDoubleSeconds(duration));
    for (size_t i = 0; i < total; ++i) {
      const auto at = begin + i * interval;
      std::this_thread::sleep_until(at);
      Issue(target, i, at, &recorder, nullptr);
    }
    WaitIdle();
    recorder.Report(target.name, "half", absl::ToDoubleSeconds(duration));
    cpu.Report(recorder.calls());
  }

 private:
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::atomic<int> outstanding_{0};
  std::atomic<uint64_t> issued_{0};
  int server_pid_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Target health{"Check", "/grpc.health.v1.Health/Check", {""}, ""};
  Target assess{
      "Assess", "/lantern.v1.RiskAssessment/Assess",
      AssessRequests(absl::GetFlag(FLAGS_examples), absl::GetFlag(FLAGS_view)),
      absl::GetFlag(FLAGS_client_request_ids) ? IdPrefix() : ""};
  if (assess.requests.empty()) {
    std::fprintf(stderr, "no episodes in %s\n",
                 absl::GetFlag(FLAGS_examples).c_str());
    return 2;
  }
  const std::vector<std::string> addresses =
      absl::StrSplit(absl::GetFlag(FLAGS_address), ',', absl::SkipEmpty());
  if (addresses.empty()) {
    std::fprintf(stderr, "--address names no server\n");
    return 2;
  }
  LoadRunner runner(addresses, absl::GetFlag(FLAGS_channels),
                    absl::GetFlag(FLAGS_server_pid));
  const absl::Duration duration =
      absl::Seconds(absl::GetFlag(FLAGS_duration_s));
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  std::printf(
      "lantern_load: %s (%s), %zu episodes, concurrency %d, %d channels, %d s "
      "per phase\n",
      absl::GetFlag(FLAGS_address).c_str(),
      absl::GetFlag(FLAGS_ca).empty() ? "plain text" : "mutual TLS",
      assess.requests.size(), concurrency, absl::GetFlag(FLAGS_channels),
      absl::GetFlag(FLAGS_duration_s));
  runner.Max(assess, concurrency, absl::Seconds(1));  // warm-up (first line)
  if (!absl::GetFlag(FLAGS_baseline)) {
    runner.Paced(assess, runner.Max(assess, concurrency, duration) / 2,
                 duration);
    return 0;
  }
  const double check_max = runner.Max(health, concurrency, duration);
  const double assess_max = runner.Max(assess, concurrency, duration);
  runner.Paced(health, check_max / 2, duration);
  runner.Paced(assess, assess_max / 2, duration);
  std::printf("Assess/Check max throughput: %.1f%%\n",
              100.0 * assess_max / check_max);
  return 0;
}
