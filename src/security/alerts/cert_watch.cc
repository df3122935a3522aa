#include "security/alerts/cert_watch.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "rampart/core/hex.h"

namespace rampart::security::alerts {

CertificateInfo inspectCertificate(const std::string& pemFile) {
  CertificateInfo info;
  info.file = pemFile;
  FILE* f = std::fopen(pemFile.c_str(), "r");
  if (f == nullptr) {
    return info;
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_X509(f, nullptr, nullptr, nullptr),
                                                   X509_free);
  std::fclose(f);
  if (!cert) {
    return info;
  }
  struct tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    return info;
  }
  info.notAfterMs = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  char subject[512];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  info.subject = subject;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &len);
  info.fingerprint = core::hexEncode(std::string_view(reinterpret_cast<char*>(md), len));
  info.readable = true;
  return info;
}

}  // namespace rampart::security::alerts
