#pragma once
// TLS configuration shared by every listener: TLS 1.2+ with AEAD suites only, one
// certificate per virtual host chosen by SNI, and channel-binding extraction for SCRAM-PLUS.
// Built once at start-up; the contexts are then used read-only from all network threads.

#include <boost/asio/ssl.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/sasl/scram.h"

namespace rampart::net {

class TlsContexts {
 public:
  // Throws ConfigError when a certificate or key cannot be loaded.
  // alpn: the protocol this listener speaks ("xmpp-client" or "http/1.1"); empty for STARTTLS.
  TlsContexts(const core::Config& config, std::string alpn);
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  boost::asio::ssl::context& defaultContext() { return *default_; }
  // Asks clients for a certificate issued by the CA in `caFile` (PEM). A client without one
  // still connects; whether one verified is for the application to check (per role on the
  // admin listener). Throws ConfigError when the file cannot be loaded.
  void requestClientCertificates(const std::string& caFile);

 private:
  static int onServerName(SSL* ssl, int* alert, void* arg);
  std::unique_ptr<boost::asio::ssl::context> makeContext(const core::Config& c,
                                                         const std::string& cert,
                                                         const std::string& key);
  std::string alpnWire_;
  std::unique_ptr<boost::asio::ssl::context> default_;
  std::map<std::string, std::unique_ptr<boost::asio::ssl::context>, std::less<>> byHost_;
};

// Channel bindings available on an established TLS connection (RFC 5929, RFC 9266):
// tls-exporter only on TLS 1.3, tls-server-end-point always.
core::sasl::ChannelBindings channelBindings(SSL* ssl);

// Writes a self-signed certificate (P-256, SAN for each host) if the files do not exist.
void ensureSelfSignedCertificate(const std::string& certFile, const std::string& keyFile,
                                 const std::vector<std::string>& hosts);

}  // namespace rampart::net
