// Transport security of `lantern serve`: mutual TLS from PEM files, the
// loopback rule for plain text, and the caller's principal.
//
// ServerTls checks the three PEM files with OpenSSL (the certificate chain
// parses, the key is the certificate's, the client CA holds at least one
// certificate) and copies them into a private staging directory that
// gRPC's FileWatcherCertificateProvider watches (every second). Reload()
// checks new files the same way and, only when they pass, swaps them in
// atomically (a new directory, then a renamed symlink), so a broken file
// never reaches gRPC and the previous certificates keep serving. The
// credentials require a client certificate and verify it against the
// client CA (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
// gRPC's TLS stack negotiates TLS 1.2 or 1.3 only.
//
// Thread-safety: ServerTls::Reload may be called from any one thread at a
// time (serve calls it from its signal loop); the credentials object is
// gRPC's and thread-safe.
#ifndef LANTERN_SERVER_GRPC_TRANSPORT_SECURITY_H_
#define LANTERN_SERVER_GRPC_TRANSPORT_SECURITY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/security/server_credentials.h"

namespace lantern {

struct TlsFiles {
  std::string cert;       // the server's certificate chain (PEM)
  std::string key;        // its private key (PEM)
  std::string client_ca;  // the CA(s) that sign client certificates (PEM)
};

class ServerTls {
 public:
  // INVALID_ARGUMENT naming the file and what is wrong with it;
  // UNAVAILABLE when the staging directory cannot be made.
  static absl::StatusOr<std::unique_ptr<ServerTls>> Create(TlsFiles files);
  // Removes the staging directory.
  ~ServerTls();

  // Re-reads the files given at Create; on success new connections use
  // them within a second (connections already open keep theirs). On error
  // nothing changes and the error says which file is wrong and how.
  absl::Status Reload();

  std::shared_ptr<grpc::ServerCredentials> credentials() const {
    return credentials_;
  }

 private:
  ServerTls(TlsFiles files, std::string staging)
      : files_(std::move(files)), staging_(std::move(staging)) {}
  // Checks the files and writes them into a new generation directory,
  // then points staging_/current at it.
  absl::Status Stage();

  const TlsFiles files_;
  const std::string staging_;
  int generation_ = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
};

// The files' contents checked (see ServerTls); exposed for tests.
absl::Status CheckTlsFiles(const std::string& cert_pem,
                           const std::string& key_pem,
                           const std::string& client_ca_pem);

// Whether `listen` ("host:port") names a loopback address: 127.0.0.0/8,
// [::1] or localhost. "0.0.0.0", "[::]", other names and addresses are
// not.
bool IsLoopbackListen(const std::string& listen);

// The caller's principal from a TLS connection's auth context: the
// certificate's first SAN URI, else its first SAN DNS name, else its
// subject CN; empty when the connection carries no certificate identity.
std::string PrincipalFromAuthContext(const grpc::AuthContext& context);

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_TRANSPORT_SECURITY_H_
