// TestPki: certificates made at test time with OpenSSL's C API, for tests
// of `lantern serve` over mutual TLS — a CA, and leaf certificates it
// signs with a chosen SAN URI, SAN DNS name and CN and a chosen validity
// (an expired one is valid from two days ago until yesterday). Keys are
// EC P-256. Everything is PEM in memory; WriteFile puts it in a temp dir.
//
// Thread-safety: one thread at a time per object.
#ifndef LANTERN_TESTS_TESTING_TEST_CERTIFICATES_H_
#define LANTERN_TESTS_TESTING_TEST_CERTIFICATES_H_

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <string>

namespace lantern::testing {

struct Pem {
  std::string cert;
  std::string key;
};

struct LeafSpec {
  std::string cn;
  std::string san_uri;              // empty: none
  std::string san_dns;              // empty: none
  std::string san_ip;               // empty: none
  long not_before_seconds = -3600;  // relative to now
  long not_after_seconds = 30 * 86400;
  bool server = false;  // serverAuth, else clientAuth
};

class TestCa {
 public:
  explicit TestCa(const std::string& name) : key_(NewKey()) {
    cert_ = X509_new();
    Fill(cert_, name, -3600, 365 * 86400, 1);
    X509_set_issuer_name(cert_, X509_get_subject_name(cert_));
    AddExtension(cert_, cert_, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert_, cert_, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_sign(cert_, key_, EVP_sha256());
  }
  ~TestCa() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  std::string cert_pem() const { return CertPem(cert_); }

  Pem Issue(const LeafSpec& spec) {
    EVP_PKEY* key = NewKey();
    X509* cert = X509_new();
    Fill(cert, spec.cn, spec.not_before_seconds, spec.not_after_seconds,
         ++serial_);
    X509_set_pubkey(cert, key);
    X509_set_issuer_name(cert, X509_get_subject_name(cert_));
    std::string san;
    auto add = [&san](const std::string& kind, const std::string& value) {
      if (value.empty()) return;
      if (!san.empty()) san += ",";
      san += kind + ":" + value;
    };
    add("URI", spec.san_uri);
    add("DNS", spec.san_dns);
    add("IP", spec.san_ip);
    if (!san.empty()) {
      AddExtension(cert_, cert, NID_subject_alt_name, san);
    }
    AddExtension(cert_, cert, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert_, cert, NID_ext_key_usage,
                 spec.server ? "serverAuth" : "clientAuth");
    X509_sign(cert, key_, EVP_sha256());
    Pem pem{CertPem(cert), KeyPem(key)};
    X509_free(cert);
    EVP_PKEY_free(key);
    return pem;
  }

 private:
  static EVP_PKEY* NewKey() { return EVP_EC_gen("P-256"); }

  void Fill(X509* cert, const std::string& cn, long from, long to,
            long serial) {
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), from);
    X509_gmtime_adj(X509_getm_notAfter(cert), to);
    if (cert == cert_) X509_set_pubkey(cert, key_);
    X509_NAME* name = X509_get_subject_name(cert);
    if (!cn.empty()) {
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    } else {
      X509_NAME_add_entry_by_txt(
          name, "O", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>("Lantern tests"), -1, -1, 0);
    }
  }

  static void AddExtension(X509* issuer, X509* cert, int nid,
                           const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  static std::string CertPem(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    return Drain(bio);
  }
  static std::string KeyPem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    return Drain(bio);
  }
  static std::string Drain(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<size_t>(size));
    BIO_free(bio);
    return out;
  }

  EVP_PKEY* key_;
  X509* cert_;
  long serial_ = 1;
};

inline void WritePemFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

}  // namespace lantern::testing

#endif  // LANTERN_TESTS_TESTING_TEST_CERTIFICATES_H_
