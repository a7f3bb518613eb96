// `lantern backtest`: reads the candidate, opens the channel, reads the
// Backtest stream, draws progress and prints the summary.
#include "server/cli/backtest_command.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/ruleset/loader.h"
#include "grpcpp/grpcpp.h"
#include "lantern/v1/audit.grpc.pb.h"
#include "server/app/assessment_proto.h"
#include "server/cli/cli.h"

namespace lantern {
namespace {

constexpr int kBarWidth = 30;

bool ReadWhole(const std::string& path, std::string* content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  *content = text.str();
  return true;
}

// A Timestamp from RFC 3339 text; false when it does not parse.
bool ParseStamp(const std::string& text, google::protobuf::Timestamp* stamp) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return false;
  const absl::Duration since = t - absl::UnixEpoch();
  const int64_t seconds =
      absl::ToInt64Seconds(absl::Floor(since, absl::Seconds(1)));
  stamp->set_seconds(seconds);
  stamp->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(since - absl::Seconds(seconds))));
  return true;
}

// The channel the options ask for; null (and `err` says why) when a TLS
// file cannot be read or only some of them are given.
std::shared_ptr<grpc::Channel> OpenChannel(const BacktestCommandOptions& o,
                                           std::ostream& err) {
  const int given = !o.ca.empty() + !o.cert.empty() + !o.key.empty();
  grpc::ChannelArguments args;
  if (given == 0) {
    if (!o.server_name.empty()) {
      err << "lantern backtest: --server_name needs --ca, --cert and --key\n";
      return nullptr;
    }
    return grpc::CreateCustomChannel(o.target,
                                     grpc::InsecureChannelCredentials(), args);
  }
  if (given != 3) {
    err << "lantern backtest: mutual TLS needs --ca, --cert and --key "
           "(all three)\n";
    return nullptr;
  }
  grpc::SslCredentialsOptions ssl;
  for (const auto& [flag, path, into] :
       {std::make_tuple("--ca", &o.ca, &ssl.pem_root_certs),
        std::make_tuple("--cert", &o.cert, &ssl.pem_cert_chain),
        std::make_tuple("--key", &o.key, &ssl.pem_private_key)}) {
    if (!ReadWhole(*path, into)) {
      err << "lantern backtest: " << flag << ": cannot read " << *path << "\n";
      return nullptr;
    }
  }
  if (!o.server_name.empty()) args.SetSslTargetNameOverride(o.server_name);
  return grpc::CreateCustomChannel(o.target, grpc::SslCredentials(ssl), args);
}

// The request the options ask for; false (and `err` says why, with the
// candidate's diagnostics) when they do not make one.
bool BuildRequest(const BacktestCommandOptions& o, const FactTypes& types,
                  v1::BacktestRequest* request, std::ostream& err) {
  if (o.target.empty()) {
    err << "lantern backtest: --target HOST:PORT is required\n";
    return false;
  }
  if (o.purpose.empty()) {
    err << "lantern backtest: --purpose is required (why you read these "
           "decisions; it is recorded in the access log)\n";
    return false;
  }
  if (o.rules_dir.empty() == o.ruleset_version.empty()) {
    err << "lantern backtest: give the candidate as exactly one of --rules "
           "DIR and --ruleset_version VERSION\n";
    return false;
  }
  request->set_purpose(o.purpose);
  request->set_report_progress(true);
  for (const auto& [flag, text, stamp] :
       {std::make_tuple("--from", &o.from, request->mutable_from()),
        std::make_tuple("--to", &o.to, request->mutable_to())}) {
    if (text->has_value() && !ParseStamp(**text, stamp)) {
      err << "lantern backtest: " << flag << ": '" << **text
          << "' is not an RFC 3339 time (2024-05-04T12:00:00Z)\n";
      return false;
    }
  }
  if (!o.from.has_value()) request->clear_from();
  if (!o.to.has_value()) request->clear_to();
  if (!o.ruleset_version.empty()) {
    request->set_ruleset_version(o.ruleset_version);
    return true;
  }
  absl::StatusOr<LoadResult> loaded =
      LoadRuleSet(o.rules_dir, types, "", &AssessmentVocabulary());
  if (!loaded.ok()) {
    err << "lantern backtest: " << loaded.status().message() << "\n";
    return false;
  }
  err << loaded->diagnostics.ToString();
  if (loaded->ruleset == nullptr) {
    err << "lantern backtest: " << o.rules_dir << ": "
        << loaded->diagnostics.error_count()
        << " error(s); the candidate must load\n";
    return false;
  }
  for (const SourceFile& f : loaded->ruleset->files) {
    v1::RuleSetFile* file = request->mutable_files()->add_files();
    file->set_path(f.path);
    file->set_content(f.content);
  }
  return true;
}

// Shows BacktestProgress as the options ask.
class ProgressDisplay {
 public:
  ProgressDisplay(const BacktestCommandOptions& o,
                  const std::function<absl::Time()>& clock,
                  std::ostream& progress)
      : terminal_(o.terminal),
        interval_(o.plain_interval),
        clock_(clock),
        progress_(progress) {}

  void Show(const v1::BacktestProgress& p) {
    last_ = p;
    if (terminal_) {
      Redraw();
      return;
    }
    const absl::Time now = clock_();
    if (shown_ && now - last_shown_ < interval_) return;
    shown_ = true;
    last_shown_ = now;
    PlainLine();
  }

  // The last line: the summary's totals as the final progress.
  void Finish(const v1::BacktestSummary& s) {
    last_.set_total(s.decisions_total());
    last_.set_done(s.decisions_examined());
    last_.set_changed(s.decisions_changed());
    last_.set_failed(s.decisions_failed());
    if (terminal_) {
      Redraw();
      progress_ << "\n" << std::flush;
    } else {
      PlainLine();
    }
  }

  // Ends a redrawn line before other output (an error).
  void Interrupt() {
    if (terminal_ && drawn_) progress_ << "\n" << std::flush;
  }

 private:
  std::string Counts() const {
    return absl::StrCat(last_.done(), "/", last_.total(), " decisions, ",
                        last_.changed(), " differ, ", last_.failed(),
                        " failed");
  }
  int Percent() const {
    return last_.total() == 0
               ? 100
               : static_cast<int>(100 * std::min(last_.done(), last_.total()) /
                                  last_.total());
  }

  void Redraw() {
    const int filled = Percent() * kBarWidth / 100;
    std::string line = absl::StrCat("\r[", std::string(filled, '#'),
                                    std::string(kBarWidth - filled, '-'), "] ",
                                    Percent(), "% ", Counts());
    // Clear what a longer previous line left.
    const size_t length = line.size();
    if (length < width_) line.append(width_ - length, ' ');
    width_ = std::max(width_, length);
    progress_ << line << std::flush;
    drawn_ = true;
  }

  void PlainLine() {
    progress_ << "lantern backtest: " << Counts() << " (" << Percent() << "%)\n"
              << std::flush;
  }

  const bool terminal_;
  const absl::Duration interval_;
  const std::function<absl::Time()>& clock_;
  std::ostream& progress_;
  v1::BacktestProgress last_;
  bool shown_ = false;
  bool drawn_ = false;
  absl::Time last_shown_;
  size_t width_ = 0;
};

void PrintSummary(const v1::BacktestSummary& s, std::ostream& out) {
  out << "candidate " << s.candidate_digest() << "\n"
      << s.decisions_total()
      << " decisions in the range: " << s.decisions_examined() << " replayed, "
      << s.decisions_changed() << " differ, " << s.decisions_failed()
      << " could not be evaluated\n";
  if (s.outputs().empty()) {
    out << "no output differs\n";
  } else {
    size_t width = std::string("output").size();
    for (const v1::BacktestOutputChanges& o : s.outputs()) {
      width = std::max(width, o.output().size());
    }
    auto row = [&](const std::string& output, const std::string& decisions,
                   const std::string& examples) {
      out << output << std::string(width - output.size() + 2, ' ')
          << std::string(
                 std::max<size_t>(9, decisions.size()) - decisions.size(), ' ')
          << decisions << "  " << examples << "\n";
    };
    row("output", "decisions", "examples");
    for (const v1::BacktestOutputChanges& o : s.outputs()) {
      row(o.output(), absl::StrCat(o.decisions()),
          absl::StrJoin(o.example_decision_ids(), " "));
    }
  }
  if (!s.failed_decision_ids().empty()) {
    out << "could not be evaluated (first " << s.failed_decision_ids_size()
        << "): " << absl::StrJoin(s.failed_decision_ids(), " ") << "\n";
  }
}

}  // namespace

int RunBacktestCommand(const BacktestCommandOptions& options,
                       const FactTypes& types,
                       const std::function<absl::Time()>& clock,
                       std::ostream& out, std::ostream& progress,
                       std::ostream& err) {
  v1::BacktestRequest request;
  if (!BuildRequest(options, types, &request, err)) return kExitUsage;
  std::shared_ptr<grpc::Channel> channel = OpenChannel(options, err);
  if (channel == nullptr) return kExitUsage;
  std::unique_ptr<v1::Audit::Stub> stub = v1::Audit::NewStub(channel);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::BacktestItem>> reader =
      stub->Backtest(&context, request);
  ProgressDisplay display(options, clock, progress);
  v1::BacktestItem item;
  std::optional<v1::BacktestSummary> summary;
  while (reader->Read(&item)) {
    switch (item.item_case()) {
      case v1::BacktestItem::kProgress:
        display.Show(item.progress());
        break;
      case v1::BacktestItem::kSummary:
        summary = item.summary();
        break;
      default:  // changes: the summary counts them; newer kinds: ignored
        break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok() || !summary.has_value()) {
    display.Interrupt();
    err << "lantern backtest: " << options.target << ": "
        << (status.ok()
                ? "the stream ended without a summary"
                : absl::StrCat(
                      "Backtest failed: ",
                      absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message()))
        << "\n";
    return kExitUsage;
  }
  display.Finish(*summary);
  PrintSummary(*summary, out);
  return summary->decisions_changed() > 0 || summary->decisions_failed() > 0
             ? kExitFailed
             : kExitOk;
}

}  // namespace lantern
