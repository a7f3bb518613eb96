// ServeMetrics: counters and histograms in maps under one mutex, written
// out family by family in Prometheus text format 0.0.4.
#include "server/app/serve_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/version.h"
#include "google/protobuf/descriptor.h"

namespace lantern {
namespace {

// Seconds: half a millisecond (an assessment) to ten seconds (a drain).
const std::vector<double>& DurationBounds() {
  static const auto* bounds =
      new std::vector<double>{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *bounds;
}

// Records per commit, up to the ledger's largest batch (512).
const std::vector<double>& BatchBounds() {
  static const auto* bounds =
      new std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  return *bounds;
}

// The enum's value names without the zero (`*_UNSPECIFIED`).
std::vector<std::string> Names(const google::protobuf::EnumDescriptor* e) {
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    if (e->value(i)->number() != 0) names.push_back(e->value(i)->name());
  }
  return names;
}

std::string EscapeLabel(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}`, or "" without labels; `extra` is appended raw.
std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     absl::string_view extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabel(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string Number(double value) { return absl::StrFormat("%.9g", value); }

void Header(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                  type, "\n");
}

void Counters(std::string& out, absl::string_view name, absl::string_view help,
              const std::vector<std::string>& label_names,
              const std::map<std::vector<std::string>, uint64_t>& series) {
  Header(out, name, "counter", help);
  for (const auto& [labels, value] : series) {
    absl::StrAppend(&out, name, LabelSet(label_names, labels), " ", value,
                    "\n");
  }
}

template <typename H>
void HistogramSeries(std::string& out, absl::string_view name,
                     const std::vector<double>& bounds,
                     const std::vector<std::string>& label_names,
                     const std::vector<std::string>& labels, const H& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds.size(); ++i) {
    cumulative += h.buckets[i];
    absl::StrAppend(&out, name, "_bucket",
                    LabelSet(label_names, labels,
                             absl::StrCat("le=\"", Number(bounds[i]), "\"")),
                    " ", cumulative, "\n");
  }
  absl::StrAppend(&out, name, "_bucket",
                  LabelSet(label_names, labels, "le=\"+Inf\""), " ", h.count,
                  "\n");
  absl::StrAppend(&out, name, "_sum", LabelSet(label_names, labels), " ",
                  Number(h.sum), "\n");
  absl::StrAppend(&out, name, "_count", LabelSet(label_names, labels), " ",
                  h.count, "\n");
}

}  // namespace

ServeMetrics::ServeMetrics(
    std::function<std::optional<ActiveRuleSetLabels>()> active)
    : active_(std::move(active)) {
  absl::MutexLock lock(&mu_);
  for (const std::string& grade : Names(v1::RiskGrade_descriptor())) {
    decisions_[{grade}] = 0;
  }
  for (const std::string& concern : Names(v1::Concern_descriptor())) {
    for (const std::string& level :
         Names(v1::ConcernOutcome::Level_descriptor())) {
      concerns_[{concern, level}] = 0;
    }
  }
  commit_duration_.buckets.assign(DurationBounds().size(), 0);
  commit_batch_.buckets.assign(BatchBounds().size(), 0);
}

void ServeMetrics::Observe(const std::vector<double>& bounds, double value,
                           Histogram& histogram) {
  if (histogram.buckets.size() != bounds.size()) {
    histogram.buckets.assign(bounds.size(), 0);
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (value <= bounds[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  histogram.sum += value;
  ++histogram.count;
}

void ServeMetrics::CountDecision(const v1::Assessment& answer) {
  const std::string grade = v1::RiskGrade_Name(answer.grade().grade());
  absl::MutexLock lock(&mu_);
  ++decisions_[{grade}];
  for (const v1::ConcernOutcome& c : answer.concerns()) {
    ++concerns_[{v1::Concern_Name(c.concern()),
                 v1::ConcernOutcome::Level_Name(c.level())}];
  }
}

void ServeMetrics::CountRpc(absl::string_view method, absl::StatusCode code,
                            absl::Duration elapsed) {
  const std::string m(method);
  absl::MutexLock lock(&mu_);
  Observe(DurationBounds(), absl::ToDoubleSeconds(elapsed), rpc_duration_[{m}]);
  ++rpc_handled_[{m, absl::StatusCodeToString(code)}];
}

void ServeMetrics::CountLedgerCommit(absl::Duration elapsed, int records,
                                     bool committed) {
  absl::MutexLock lock(&mu_);
  if (!committed) {
    ++commit_failures_;
    return;
  }
  Observe(DurationBounds(), absl::ToDoubleSeconds(elapsed), commit_duration_);
  Observe(BatchBounds(), records, commit_batch_);
}

void ServeMetrics::CountActivation(absl::string_view trigger,
                                   absl::string_view outcome) {
  absl::MutexLock lock(&mu_);
  ++activations_[{std::string(trigger), std::string(outcome)}];
}

std::string ServeMetrics::Exposition() const {
  std::optional<ActiveRuleSetLabels> active;
  if (active_) active = active_();
  std::string out;
  absl::MutexLock lock(&mu_);
  Counters(out, "lantern_decisions_total",
           "Decisions recorded and given, by risk grade.", {"grade"},
           decisions_);
  Counters(out, "lantern_decision_concerns_total",
           "Concern levels of the decisions given, by concern and level.",
           {"concern", "level"}, concerns_);
  Header(out, "lantern_rpc_duration_seconds", "histogram",
         "Time from a call's start to its status, by gRPC method (a stream: "
         "its whole life).");
  for (const auto& [labels, h] : rpc_duration_) {
    HistogramSeries(out, "lantern_rpc_duration_seconds", DurationBounds(),
                    {"method"}, labels, h);
  }
  Counters(out, "lantern_rpc_handled_total",
           "Calls ended, by gRPC method and status code.", {"method", "code"},
           rpc_handled_);
  Header(out, "lantern_ledger_commit_duration_seconds", "histogram",
         "Time to write and sync one audit ledger transaction.");
  HistogramSeries(out, "lantern_ledger_commit_duration_seconds",
                  DurationBounds(), {}, {}, commit_duration_);
  Header(out, "lantern_ledger_commit_batch_size", "histogram",
         "Records in one committed audit ledger transaction.");
  HistogramSeries(out, "lantern_ledger_commit_batch_size", BatchBounds(), {},
                  {}, commit_batch_);
  Header(out, "lantern_ledger_commit_failures_total", "counter",
         "Audit ledger transactions that failed (the ledger then refuses "
         "appends until restart).");
  absl::StrAppend(&out, "lantern_ledger_commit_failures_total ",
                  commit_failures_, "\n");
  Counters(out, "lantern_ruleset_activations_total",
           "Ruleset activation attempts, by trigger (startup, sighup, rpc) "
           "and outcome (activated, rejected, failed).",
           {"trigger", "outcome"}, activations_);
  Header(out, "lantern_ruleset_active_info", "gauge",
         "1 for the ruleset version answering unpinned requests.");
  if (active.has_value()) {
    absl::StrAppend(&out, "lantern_ruleset_active_info",
                    LabelSet({"ruleset_id", "version", "digest"},
                             {active->id, active->version, active->digest}),
                    " 1\n");
  }
  Header(out, "lantern_build_info", "gauge", "1, labelled with the engine.");
  absl::StrAppend(&out, "lantern_build_info",
                  LabelSet({"engine_version"}, {kEngineVersion}), " 1\n");
  return out;
}

}  // namespace lantern
