#pragma once
// The certificates a server presents: when each expires and its SHA-256 fingerprint, for the
// certificate-expiry alert rule and the audit of certificate changes. Stateless; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

namespace rampart::security::alerts {

struct CertificateInfo {
  std::string file;
  std::string subject;
  std::int64_t notAfterMs = 0;
  std::string fingerprint;  // hex SHA-256 of the DER certificate
  bool readable = false;
};

CertificateInfo inspectCertificate(const std::string& pemFile);

}  // namespace rampart::security::alerts
