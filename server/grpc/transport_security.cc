// ServerTls (transport_security.h): OpenSSL checks of the PEM files, a
// staging directory of generations behind a `current` symlink, and
// gRPC's TlsServerCredentials over a FileWatcherCertificateProvider that
// watches `current`.
#include "server/grpc/transport_security.h"

#include <arpa/inet.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace lantern {
namespace {

constexpr unsigned kRefreshSeconds = 1;

absl::StatusOr<std::string> ReadPem(const std::string& flag,
                                    const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Bio {
  explicit Bio(const std::string& text)
      : bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))) {}
  ~Bio() { BIO_free(bio); }
  BIO* bio;
};

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const std::string& cert_pem,
                           const std::string& key_pem,
                           const std::string& client_ca_pem) {
  Bio cert_bio(cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.bio, nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        "--tls_cert: no PEM certificate in the file");
  }
  absl::Status status;
  Bio key_bio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.bio, nullptr, nullptr,
                                          const_cast<char*>(""));
  if (key == nullptr) {
    status = absl::InvalidArgumentError(
        "--tls_key: no unencrypted PEM private key in the file");
  } else if (X509_check_private_key(cert, key) != 1) {
    status = absl::InvalidArgumentError(
        "--tls_key is not the key of the certificate in --tls_cert");
  } else if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
    status = absl::InvalidArgumentError("--tls_cert: the certificate expired");
  }
  EVP_PKEY_free(key);
  X509_free(cert);
  if (!status.ok()) return status;
  Bio ca_bio(client_ca_pem);
  X509* ca = PEM_read_bio_X509(ca_bio.bio, nullptr, nullptr, nullptr);
  if (ca == nullptr) {
    return absl::InvalidArgumentError(
        "--client_ca: no PEM certificate in the file");
  }
  X509_free(ca);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ServerTls>> ServerTls::Create(TlsFiles files) {
  const char* tmp = getenv("TMPDIR");
  std::string templ = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/lantern-tls-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot make a directory for the TLS files: ", templ));
  }
  std::unique_ptr<ServerTls> tls(new ServerTls(std::move(files), templ));
  if (absl::Status s = tls->Stage(); !s.ok()) return s;
  const std::string current = tls->staging_ + "/current/";
  auto provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          current + "key.pem", current + "cert.pem", current + "ca.pem",
          kRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls->credentials_ = grpc::experimental::TlsServerCredentials(options);
  return tls;
}

ServerTls::~ServerTls() {
  std::error_code ignored;
  std::filesystem::remove_all(staging_, ignored);
}

absl::Status ServerTls::Reload() { return Stage(); }

absl::Status ServerTls::Stage() {
  absl::StatusOr<std::string> cert = ReadPem("tls_cert", files_.cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("tls_key", files_.key);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadPem("client_ca", files_.client_ca);
  if (!ca.ok()) return ca.status();
  if (absl::Status s = CheckTlsFiles(*cert, *key, *ca); !s.ok()) return s;
  const std::string name = absl::StrCat("g", ++generation_);
  const std::string dir = absl::StrCat(staging_, "/", name);
  std::error_code error;
  std::filesystem::create_directory(dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot make ", dir));
  }
  const std::pair<const char*, const std::string*> staged[] = {
      {"cert.pem", &*cert}, {"key.pem", &*key}, {"ca.pem", &*ca}};
  for (const auto& [file, content] : staged) {
    if (absl::Status s = WriteFile(absl::StrCat(dir, "/", file), *content);
        !s.ok()) {
      return s;
    }
  }
  // The watcher reads through `current`: a renamed symlink switches all
  // three files at once.
  const std::string link = staging_ + "/current.next";
  std::filesystem::remove(link, error);
  std::filesystem::create_directory_symlink(name, link, error);
  if (!error) std::filesystem::rename(link, staging_ + "/current", error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot switch the TLS files: ", error.message()));
  }
  // The generation before last is no longer read by anyone.
  if (generation_ > 2) {
    std::filesystem::remove_all(absl::StrCat(staging_, "/g", generation_ - 2),
                                error);
  }
  return absl::OkStatus();
}

bool IsLoopbackListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon == std::string::npos ? 0 : colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

std::string PrincipalFromAuthContext(const grpc::AuthContext& context) {
  for (const char* property :
       {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_DNS_PROPERTY_NAME,
        GRPC_X509_CN_PROPERTY_NAME}) {
    std::vector<grpc::string_ref> values = context.FindPropertyValues(property);
    if (!values.empty() && values.front().size() > 0) {
      return std::string(values.front().data(), values.front().size());
    }
  }
  return "";
}

}  // namespace lantern
