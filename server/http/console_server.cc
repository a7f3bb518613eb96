// ConsoleServer on cpp-httplib 0.11: static files from the embedded table,
// and the JSON API, each handler blocking its httplib thread until the
// access record it needs is durable (Disclose's callback).
#include "server/http/console_server.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"
#include "lantern/v1/service.pb.h"
#include "openssl/err.h"
#include "openssl/ssl.h"
#include "openssl/x509v3.h"
#include "server/app/echo_value.h"
#include "server/grpc/disclosure.h"
#include "server/grpc/ruleset_proto.h"
#include "server/grpc/transport_security.h"
#include "server/http/console_assets.h"
#include "server/http/http_bind.h"

namespace lantern {
namespace {

constexpr char kJson[] = "application/json";
// The search's answer stops at this many decisions.
constexpr int kMaxSearchResults = 100;
constexpr int kSearchPage = 500;

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(c, absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

void SendError(httplib::Response& response, const absl::Status& status) {
  response.status = HttpStatusOf(status);
  response.set_content(
      absl::StrCat("{\"error\":", JsonString(status.message()), ",\"code\":",
                   JsonString(absl::StatusCodeToString(status.code())), "}"),
      kJson);
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  return json;
}

void SendMessage(httplib::Response& response,
                 const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) {
    SendError(response, json.status());
    return;
  }
  response.set_content(*json, kJson);
}

std::string Param(const httplib::Request& request, const char* name) {
  return request.has_param(name) ? request.get_param_value(name) : "";
}

// Waits for Disclose's answer.
template <typename Response>
absl::StatusOr<Response> DiscloseAndWait(AccessControl* access,
                                         const Caller& caller,
                                         const char* method,
                                         const std::string& subject,
                                         const std::string& purpose,
                                         absl::StatusOr<Response> result) {
  absl::Notification done;
  std::optional<absl::StatusOr<Response>> disclosed;
  Disclose<Response>(access, caller, method, subject, purpose,
                     std::move(result), [&](absl::StatusOr<Response> answer) {
                       disclosed = std::move(answer);
                       done.Notify();
                     });
  done.WaitForNotification();
  return *std::move(disclosed);
}

// The principal a client certificate names: its first SAN URI, else its
// first SAN DNS name, else its subject CN (as PrincipalFromAuthContext
// reads gRPC's); empty without one.
std::string PrincipalFromCertificate(X509* cert) {
  if (cert == nullptr) return "";
  std::string uri, dns;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI && name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* text = name->d.ia5;
    std::string value(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
        ASN1_STRING_length(text));
    if (name->type == GEN_URI && uri.empty()) uri = value;
    if (name->type == GEN_DNS && dns.empty()) dns = value;
  }
  GENERAL_NAMES_free(names);
  if (!uri.empty()) return uri;
  if (!dns.empty()) return dns;
  X509_NAME* subject = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return "";
  const ASN1_STRING* cn =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                     ASN1_STRING_length(cn));
}

// The OpenSSL errors queued on this thread, as text (and cleared).
std::string OpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    absl::StrAppend(&text, text.empty() ? "" : "; ", buffer);
  }
  return text.empty() ? "no detail from OpenSSL" : text;
}

// Sets up a console TLS context: the chain, the key, client certificates
// required and verified against the client CA, TLS 1.2+, and no session
// resumption (no cache, no tickets), so that every connection is verified
// against the client CA in force when it is made. INVALID_ARGUMENT naming
// the file that cannot be used.
absl::Status ConfigureTls(SSL_CTX& context, const ConsoleTls& tls) {
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_options(&context, SSL_OP_NO_COMPRESSION |
                                    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(&context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(&context, 0);
  auto fail = [](absl::string_view what, const std::string& path) {
    return absl::InvalidArgumentError(
        absl::StrCat("console TLS: ", what, " ", path, ": ", OpenSslErrors()));
  };
  if (SSL_CTX_use_certificate_chain_file(&context, tls.cert.c_str()) != 1) {
    return fail("cannot use the certificate chain", tls.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(&context, tls.key.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    return fail("cannot use the private key", tls.key);
  }
  if (SSL_CTX_check_private_key(&context) != 1) {
    return fail("the private key does not match the certificate in", tls.cert);
  }
  if (SSL_CTX_load_verify_locations(&context, tls.client_ca.c_str(), nullptr) !=
      1) {
    return fail("cannot use the client CA", tls.client_ca);
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca.c_str());
  if (names == nullptr) {
    return fail("no CA certificate in the client CA file", tls.client_ca);
  }
  SSL_CTX_set_client_CA_list(&context, names);
  SSL_CTX_set_verify(
      &context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return absl::OkStatus();
}

// Whether `host_header` names a loopback host with `port`.
bool LoopbackHost(const std::string& host_header, int port) {
  const size_t colon = host_header.rfind(':');
  if (colon == std::string::npos) return false;
  int given = 0;
  if (!absl::SimpleAtoi(host_header.substr(colon + 1), &given) ||
      given != port) {
    return false;
  }
  const std::string host = absl::AsciiStrToLower(host_header.substr(0, colon));
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

}  // namespace

// The routes and what they call.
struct ConsoleServer::Handlers {
  Auditor* auditor;
  AccessControl* access;
  const RuleSetRegistry* registry;
  const RuleSetsService* rulesets;
  const ActivationAnalysis* analysis;
  bool tls = false;
  // Set by Bind: a loopback console checks Host against this port.
  bool loopback = false;
  int port = 0;
  // The TLS files, re-read by ReloadTls.
  std::optional<ConsoleTls> tls_files;
  // The context of the last successful ReloadTls (owned; null before
  // one): each handshake on httplib's context switches to it
  // (SwitchContext), so new connections use the new files.
  absl::Mutex tls_mu;
  SSL_CTX* reloaded ABSL_GUARDED_BY(tls_mu) = nullptr;
  // Why the files given at construction cannot be used (for Bind).
  absl::Status tls_error;

  Handlers(Auditor* auditor, AccessControl* access,
           const RuleSetRegistry* registry, const RuleSetsService* rulesets,
           const ActivationAnalysis* analysis,
           std::optional<ConsoleTls> tls_files)
      : auditor(auditor),
        access(access),
        registry(registry),
        rulesets(rulesets),
        analysis(analysis),
        tls(tls_files.has_value()),
        tls_files(std::move(tls_files)) {}
  ~Handlers() {
    absl::MutexLock lock(&tls_mu);
    if (reloaded != nullptr) SSL_CTX_free(reloaded);
  }

  // OpenSSL's client hello callback on httplib's context (`arg` the
  // Handlers): moves the connection to the reloaded context, with its
  // certificate, key, client CA list and verification store.
  static int SwitchContext(SSL* ssl, int* alert, void* arg) {
    auto* self = static_cast<Handlers*>(arg);
    absl::MutexLock lock(&self->tls_mu);
    if (self->reloaded == nullptr || SSL_get_SSL_CTX(ssl) == self->reloaded) {
      return SSL_CLIENT_HELLO_SUCCESS;
    }
    if (SSL_set_SSL_CTX(ssl, self->reloaded) != self->reloaded) {
      *alert = SSL_AD_INTERNAL_ERROR;
      return SSL_CLIENT_HELLO_ERROR;
    }
    SSL_set_client_CA_list(
        ssl, SSL_dup_CA_list(SSL_CTX_get_client_CA_list(self->reloaded)));
    return SSL_CLIENT_HELLO_SUCCESS;
  }

  // Who is calling: the client certificate's principal over HTTPS.
  Caller Identify(const httplib::Request& request) const {
    if (!tls) return AccessControl::LocalCaller();
    std::string principal;
    if (request.ssl != nullptr) {
      X509* cert = SSL_get1_peer_certificate(request.ssl);
      principal = PrincipalFromCertificate(cert);
      X509_free(cert);
    }
    return access->IdentifyPrincipal(std::move(principal));
  }

  // The caller, admitted to `method`; else the refusal sent.
  std::optional<Caller> Admit(const httplib::Request& request,
                              httplib::Response& response,
                              absl::string_view method) {
    // The peer as gRPC writes it, for the refusal's record.
    const std::string peer = request.remote_addr.find(':') != std::string::npos
                                 ? absl::StrCat("ipv6:[", request.remote_addr,
                                                "]:", request.remote_port)
                                 : absl::StrCat("ipv4:", request.remote_addr,
                                                ":", request.remote_port);
    absl::StatusOr<Caller> caller =
        access->AdmitCaller(Identify(request), method, peer);
    if (!caller.ok()) {
      SendError(response, caller.status());
      return std::nullopt;
    }
    return *std::move(caller);
  }

  // A read of recorded decisions: admitted, purpose checked (refusals
  // logged), `work` run, the answer disclosed and sent.
  template <typename Response, typename Work>
  void Read(const httplib::Request& request, httplib::Response& response,
            const char* method, const std::string& subject, Work work) {
    std::optional<Caller> caller = Admit(request, response, method);
    if (!caller) return;
    if (auditor == nullptr) {
      SendError(response, absl::FailedPreconditionError("the ledger is off"));
      return;
    }
    const std::string purpose = Param(request, "purpose");
    if (absl::Status s =
            CheckPurposeLogged(access, *caller, method, subject, purpose);
        !s.ok()) {
      SendError(response, s);
      return;
    }
    absl::StatusOr<Response> answer = DiscloseAndWait<Response>(
        access, *caller, method, subject, purpose, work(purpose));
    if (!answer.ok()) {
      SendError(response, answer.status());
      return;
    }
    SendMessage(response, *answer);
  }

  void Whoami(const httplib::Request& request, httplib::Response& response) {
    const Caller caller = Identify(request);
    response.set_content(
        absl::StrCat("{\"principal\":", JsonString(caller.principal),
                     ",\"roles\":", JsonString(caller.roles.Describe()),
                     ",\"ledger\":", auditor != nullptr ? "true" : "false",
                     "}"),
        kJson);
  }

  void Decision(const httplib::Request& request, httplib::Response& response) {
    const std::string id = Param(request, "id");
    Read<v1::GetDecisionResponse>(
        request, response, "/lantern.v1.Audit/GetDecision",
        "decision_id=" + EchoValue(id), [&](const std::string& purpose) {
          v1::GetDecisionRequest get;
          get.set_decision_id(id);
          get.set_purpose(purpose);
          return auditor->GetDecision(get);
        });
  }

  void Search(const httplib::Request& request, httplib::Response& response) {
    const std::string child = Param(request, "child");
    Read<v1::ListDecisionsResponse>(
        request, response, "/lantern.v1.Audit/ListDecisions",
        "child_reference=" + EchoValue(child),
        [&](const std::string& purpose)
            -> absl::StatusOr<v1::ListDecisionsResponse> {
          if (child.empty()) {
            return absl::InvalidArgumentError(
                "give a child reference to search for");
          }
          // A scan: no index answers "every decision on this child". The
          // episode index keeps one row per episode (its latest decision),
          // and the ledger stores the facts only inside each record.
          v1::ListDecisionsResponse found;
          v1::ListDecisionsRequest page;
          page.set_page_size(kSearchPage);
          page.set_purpose(purpose);
          for (;;) {
            absl::StatusOr<v1::ListDecisionsResponse> got =
                auditor->ListDecisions(page);
            if (!got.ok()) return got.status();
            for (int i = 0; i < got->decisions_size(); ++i) {
              if (got->decisions(i).facts().child().reference() != child) {
                continue;
              }
              *found.add_decisions() = std::move(*got->mutable_decisions(i));
              found.add_leaf_indexes(got->leaf_indexes(i));
            }
            if (got->next_page_token().empty()) break;
            page.set_page_token(got->next_page_token());
          }
          // Newest first, at most kMaxSearchResults.
          v1::ListDecisionsResponse newest;
          for (int i = found.decisions_size() - 1;
               i >= 0 && newest.decisions_size() < kMaxSearchResults; --i) {
            *newest.add_decisions() = std::move(*found.mutable_decisions(i));
            newest.add_leaf_indexes(found.leaf_indexes(i));
          }
          return newest;
        });
  }

  void Replay(const httplib::Request& request, httplib::Response& response) {
    const std::string id = Param(request, "id");
    Read<v1::ReplayResponse>(request, response, "/lantern.v1.Audit/Replay",
                             "decision_id=" + EchoValue(id),
                             [&](const std::string& purpose) {
                               v1::ReplayRequest replay;
                               replay.set_decision_id(id);
                               replay.set_purpose(purpose);
                               return auditor->Replay(replay);
                             });
  }

  void Proof(const httplib::Request& request, httplib::Response& response) {
    const std::string id = Param(request, "id");
    if (!Admit(request, response, "/lantern.v1.Audit/GetTreeHead")) return;
    // The head first, and the proof against its size, so that decisions
    // recorded meanwhile do not make the two disagree.
    v1::GetTreeHeadResponse head;
    if (auditor != nullptr) head = auditor->GetTreeHead();
    v1::GetInclusionProofResponse proof;
    Read<v1::GetInclusionProofResponse>(
        request, response, "/lantern.v1.Audit/GetInclusionProof",
        absl::StrCat("decision_id=", EchoValue(id),
                     " tree_size=", head.tree_size()),
        [&](const std::string& purpose) {
          v1::GetInclusionProofRequest get;
          get.set_decision_id(id);
          get.set_tree_size(head.tree_size());
          get.set_purpose(purpose);
          return auditor->GetInclusionProof(get);
        });
    if (response.status != 200 && response.status != -1) return;
    // Read sent the proof alone: wrap it with the head.
    absl::StatusOr<std::string> head_json = ToJson(head);
    if (!head_json.ok()) {
      SendError(response, head_json.status());
      return;
    }
    response.set_content(absl::StrCat("{\"head\":", *head_json,
                                      ",\"proof\":", response.body, "}"),
                         kJson);
  }

  void RuleSets(const httplib::Request& request, httplib::Response& response) {
    if (!Admit(request, response, "/lantern.v1.RuleSets/List")) return;
    v1::ListRuleSetsResponse list;
    std::shared_ptr<const RuleSetVersion> active = registry->Active();
    for (const auto& version : registry->List()) {
      *list.add_rulesets() = RuleSetInfoProto(*version, version == active);
    }
    if (active != nullptr) list.set_active_digest(active->digest);
    SendMessage(response, list);
  }

  // Decisions recorded per hour by grade over the last `hours` (1..168,
  // default 24), oldest hour first. Counts only: no decision is disclosed,
  // so no purpose is asked and nothing is logged; the caller needs the
  // roles that may list decisions.
  void Live(const httplib::Request& request, httplib::Response& response) {
    if (!Admit(request, response, "/lantern.v1.Audit/ListDecisions")) return;
    if (auditor == nullptr) {
      SendError(response, absl::FailedPreconditionError("the ledger is off"));
      return;
    }
    int hours = 24;
    if (request.has_param("hours") &&
        (!absl::SimpleAtoi(request.get_param_value("hours"), &hours) ||
         hours < 1 || hours > 168)) {
      SendError(response, absl::InvalidArgumentError(
                              "hours: give a whole number from 1 to 168"));
      return;
    }
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    const int64_t first_hour = (now / 3600 - hours + 1) * 3600;
    // counts[hour][grade]
    std::vector<std::map<std::string, int64_t>> counts(hours);
    v1::ListDecisionsRequest page;
    page.set_page_size(kSearchPage);
    page.mutable_from()->set_seconds(first_hour);
    for (;;) {
      absl::StatusOr<v1::ListDecisionsResponse> got =
          auditor->ListDecisions(page);
      if (!got.ok()) {
        SendError(response, got.status());
        return;
      }
      for (const v1::DecisionRecord& d : got->decisions()) {
        const int64_t at = (d.received_at().seconds() - first_hour) / 3600;
        if (at < 0 || at >= hours) continue;
        ++counts[at][v1::RiskGrade_Name(d.assessment().grade().grade())];
      }
      if (got->next_page_token().empty()) break;
      page.set_page_token(got->next_page_token());
    }
    std::string json = "{\"hours\":[";
    for (int i = 0; i < hours; ++i) {
      absl::StrAppend(&json, i == 0 ? "" : ",", "{\"start\":",
                      JsonString(absl::FormatTime(
                          "%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(first_hour + 3600 * i),
                          absl::UTCTimeZone())),
                      ",\"grades\":{");
      bool first = true;
      for (const auto& [grade, n] : counts[i]) {
        absl::StrAppend(&json, first ? "" : ",", JsonString(grade), ":", n);
        first = false;
      }
      absl::StrAppend(&json, "}}");
    }
    absl::StrAppend(&json, "]}");
    response.set_content(json, kJson);
  }

  void RuleSet(const httplib::Request& request, httplib::Response& response) {
    if (!Admit(request, response, "/lantern.v1.RuleSets/Get")) return;
    absl::StatusOr<v1::GetRuleSetResponse> got =
        rulesets->GetVersion(Param(request, "version"));
    if (!got.ok()) {
      SendError(response, got.status());
      return;
    }
    SendMessage(response, *got);
  }

  void RuleSetDiff(const httplib::Request& request,
                   httplib::Response& response) {
    if (!Admit(request, response, "/lantern.v1.RuleSets/Get")) return;
    if (analysis == nullptr) {
      SendError(response,
                absl::FailedPreconditionError("the solver's analysis is off "
                                              "(--activation_analysis=false)"));
      return;
    }
    std::shared_ptr<const RuleSetVersion> versions[2];
    const char* names[2] = {"old", "new"};
    for (int i = 0; i < 2; ++i) {
      const std::string wanted = Param(request, names[i]);
      versions[i] = registry->Find(wanted);
      if (versions[i] == nullptr) {
        SendError(response,
                  absl::NotFoundError(absl::StrCat(
                      names[i], ": this server holds no ruleset version ",
                      EchoValue(wanted))));
        return;
      }
    }
    absl::StatusOr<DiffReport> diff =
        analysis->Diff(*versions[0], *versions[1]);
    if (!diff.ok()) {
      SendError(response, diff.status());
      return;
    }
    std::string json = "{";
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<std::string> info = ToJson(
          RuleSetInfoProto(*versions[i], versions[i] == registry->Active()));
      if (!info.ok()) {
        SendError(response, info.status());
        return;
      }
      absl::StrAppend(&json, JsonString(names[i]), ":", *info, ",");
    }
    absl::StrAppend(&json,
                    "\"differs\":", diff->HasDifferences() ? "true" : "false",
                    ",\"text\":",
                    JsonString(FormatDiff(*versions[0]->ruleset,
                                          *versions[1]->ruleset, *diff)),
                    "}");
    response.set_content(json, kJson);
  }
};

ConsoleServer::ConsoleServer(Auditor* auditor, AccessControl* access,
                             const RuleSetRegistry* registry,
                             const RuleSetsService* rulesets,
                             const ActivationAnalysis* analysis,
                             std::optional<ConsoleTls> tls)
    : handlers_(std::make_unique<Handlers>(auditor, access, registry, rulesets,
                                           analysis, std::move(tls))),
      server_([h = handlers_.get()]() -> std::unique_ptr<httplib::Server> {
        if (!h->tls_files.has_value()) {
          return std::make_unique<httplib::Server>();
        }
        return std::make_unique<httplib::SSLServer>([h](SSL_CTX& context) {
          h->tls_error = ConfigureTls(context, *h->tls_files);
          if (!h->tls_error.ok()) return false;
          SSL_CTX_set_client_hello_cb(&context, &Handlers::SwitchContext, h);
          return true;
        });
      }()) {
  // A few people at a time: four threads, not one per core.
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
  });
  Handlers* h = handlers_.get();
  server_->set_pre_routing_handler(
      [h](const httplib::Request& request, httplib::Response& response) {
        if (h->loopback &&
            !LoopbackHost(request.get_header_value("Host"), h->port)) {
          response.status = 421;
          response.set_content(
              "lantern console: this console answers only requests to a "
              "loopback name (localhost, 127.0.0.1, [::1]) with its port\n",
              "text/plain");
          return httplib::Server::HandlerResponse::Handled;
        }
        if (request.path.rfind("/api/", 0) == 0 &&
            request.get_header_value("X-Lantern-Console") != "1") {
          SendError(response,
                    absl::InvalidArgumentError(
                        "API calls need the header X-Lantern-Console: 1"));
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    auto serve = [&asset](const httplib::Request&,
                          httplib::Response& response) {
      response.set_content(reinterpret_cast<const char*>(asset.data),
                           asset.size, asset.content_type);
    };
    server_->Get(asset.path, serve);
    if (std::string(asset.path) == "/index.html") server_->Get("/", serve);
  }
  auto route = [h](void (Handlers::*handler)(const httplib::Request&,
                                             httplib::Response&)) {
    return [h, handler](const httplib::Request& request,
                        httplib::Response& response) {
      (h->*handler)(request, response);
    };
  };
  server_->Get("/api/whoami", route(&Handlers::Whoami));
  server_->Get("/api/decision", route(&Handlers::Decision));
  server_->Get("/api/search", route(&Handlers::Search));
  server_->Post("/api/replay", route(&Handlers::Replay));
  server_->Get("/api/proof", route(&Handlers::Proof));
  server_->Get("/api/rulesets", route(&Handlers::RuleSets));
  server_->Get("/api/ruleset", route(&Handlers::RuleSet));
  server_->Get("/api/live", route(&Handlers::Live));
  server_->Get("/api/ruleset_diff", route(&Handlers::RuleSetDiff));
}

ConsoleServer::~ConsoleServer() { Stop(); }

absl::Status ConsoleServer::ReloadTls() {
  if (!handlers_->tls_files.has_value()) return absl::OkStatus();
  SSL_CTX* fresh = SSL_CTX_new(TLS_server_method());
  if (fresh == nullptr) {
    return absl::InternalError(
        absl::StrCat("console TLS: no new context: ", OpenSslErrors()));
  }
  if (absl::Status s = ConfigureTls(*fresh, *handlers_->tls_files); !s.ok()) {
    SSL_CTX_free(fresh);
    return s;
  }
  {
    absl::MutexLock lock(&handlers_->tls_mu);
    std::swap(handlers_->reloaded, fresh);
  }
  // Connections that switched to the old one hold references of their own.
  if (fresh != nullptr) SSL_CTX_free(fresh);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ConsoleServer::Bind(const std::string& address) {
  if (!handlers_->tls_error.ok()) return handlers_->tls_error;
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(
        "console: the TLS certificate, key or client CA cannot be used");
  }
  absl::StatusOr<std::string> bound = BindHttp(*server_, address, "console");
  if (!bound.ok()) return bound;
  const size_t colon = bound->rfind(':');
  if (!absl::SimpleAtoi(bound->substr(colon + 1), &handlers_->port)) {
    return absl::InternalError("console: bound to no port");
  }
  handlers_->loopback = IsLoopbackListen(address);
  return bound;
}

void ConsoleServer::Start() {
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    finished_ = true;
  });
  // httplib's stop() does nothing before the server runs: wait until it
  // does (or gave up), so that a Stop() right after Start() cannot hang.
  while (!server_->is_running() && !finished_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void ConsoleServer::Stop() {
  if (server_->is_running() || thread_.joinable()) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lantern
