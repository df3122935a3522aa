// OpenSSL set-up. Only library primitives are used; nothing here implements cryptography.

#include "net/tls.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace rampart::net {
namespace ssl = boost::asio::ssl;

namespace {

constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void* arg) {
  const auto* wire = static_cast<const std::string*>(arg);
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, reinterpret_cast<const unsigned char*>(wire->data()),
                            static_cast<unsigned>(wire->size()), in,
                            inlen) == OPENSSL_NPN_NEGOTIATED) {
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
  }
  // A client offering other protocols only is still served: ALPN is advisory for XMPP.
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

TlsContexts::TlsContexts(const core::Config& config, std::string alpn) {
  if (!alpn.empty()) {
    alpnWire_.push_back(static_cast<char>(alpn.size()));
    alpnWire_ += alpn;
  }
  default_ = makeContext(config, config.certFile, config.keyFile);
  for (const auto& h : config.hosts) {
    if (!h.certFile.empty()) {
      byHost_.emplace(h.name, makeContext(config, h.certFile, h.keyFile));
    }
  }
  SSL_CTX_set_tlsext_servername_callback(default_->native_handle(), &TlsContexts::onServerName);
  SSL_CTX_set_tlsext_servername_arg(default_->native_handle(), this);
}

void TlsContexts::requestClientCertificates(const std::string& caFile) {
  auto apply = [&caFile](ssl::context& ctx) {
    SSL_CTX* native = ctx.native_handle();
    if (SSL_CTX_load_verify_locations(native, caFile.c_str(), nullptr) != 1) {
      throw core::ConfigError("cannot load the client CA " + caFile);
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(caFile.c_str());
    if (names == nullptr) {
      throw core::ConfigError("no CA certificate in " + caFile);
    }
    SSL_CTX_set_client_CA_list(native, names);
    // The handshake goes on whatever the outcome; SSL_get_verify_result tells the handler.
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  };
  apply(*default_);
  for (auto& [name, ctx] : byHost_) {
    apply(*ctx);
  }
}

std::unique_ptr<ssl::context> TlsContexts::makeContext(const core::Config& c,
                                                       const std::string& cert,
                                                       const std::string& key) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, c.tlsMinVersion == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections then hold no read/write buffers: most XMPP connections are idle.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // No TLS 1.3 session tickets: XMPP clients reconnect rarely, and each ticket costs CPU at
  // login and memory for the life of the connection.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_cipher_list(native, kTls12Ciphers);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert, ec);
  if (ec) {
    throw core::ConfigError("cannot load certificate " + cert + ": " + ec.message());
  }
  ctx->use_private_key_file(key, ssl::context::pem, ec);
  if (ec) {
    throw core::ConfigError("cannot load private key " + key + ": " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw core::ConfigError("private key " + key + " does not match certificate " + cert);
  }
  if (!alpnWire_.empty()) {
    SSL_CTX_set_alpn_select_cb(native, selectAlpn, &alpnWire_);
  }
  return ctx;
}

int TlsContexts::onServerName(SSL* ssl, int* /*alert*/, void* arg) {
  auto* self = static_cast<TlsContexts*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name != nullptr) {
    std::string lower(name);
    for (auto& ch : lower) {
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    auto it = self->byHost_.find(lower);
    if (it != self->byHost_.end()) {
      SSL_set_SSL_CTX(ssl, it->second->native_handle());
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

core::sasl::ChannelBindings channelBindings(SSL* ssl) {
  core::sasl::ChannelBindings out;
  if (SSL_version(ssl) == TLS1_3_VERSION) {
    unsigned char buf[32];
    static const char kLabel[] = "EXPORTER-Channel-Binding";
    if (SSL_export_keying_material(ssl, buf, sizeof buf, kLabel, sizeof kLabel - 1, nullptr, 0,
                                   0) == 1) {
      out.emplace("tls-exporter", std::string(reinterpret_cast<char*>(buf), sizeof buf));
    }
  }
  if (X509* cert = SSL_get_certificate(ssl)) {
    // RFC 5929 section 4.1: the certificate's signature hash, with MD5/SHA-1 upgraded to SHA-256.
    int mdNid = NID_undef;
    int pkNid = NID_undef;
    const EVP_MD* md = EVP_sha256();
    if (X509_get_signature_info(cert, &mdNid, &pkNid, nullptr, nullptr) == 1 &&
        mdNid != NID_md5 && mdNid != NID_sha1 && mdNid != NID_undef) {
      if (const EVP_MD* m = EVP_get_digestbynid(mdNid)) {
        md = m;
      }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, md, digest, &len) == 1) {
      out.emplace("tls-server-end-point", std::string(reinterpret_cast<char*>(digest), len));
    }
  }
  return out;
}

void ensureSelfSignedCertificate(const std::string& certFile, const std::string& keyFile,
                                 const std::vector<std::string>& hosts) {
  namespace fs = std::filesystem;
  if (fs::exists(certFile) && fs::exists(keyFile)) {
    return;
  }
  fs::create_directories(fs::path(certFile).parent_path());
  fs::create_directories(fs::path(keyFile).parent_path());
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  X509* x = X509_new();
  if (pkey == nullptr || x == nullptr) {
    throw core::ConfigError("cannot generate a self-signed certificate");
  }
  X509_set_version(x, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * 365);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  const std::string cn = hosts.empty() ? "localhost" : hosts.front();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  std::string san;
  for (const auto& h : hosts) {
    san += (san.empty() ? "DNS:" : ",DNS:") + h;
  }
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, pkey, EVP_sha256());
  {
    // The key file is created owner-readable only.
    FILE* f = std::fopen(keyFile.c_str(), "w");
    if (f == nullptr) {
      throw core::ConfigError("cannot write " + keyFile);
    }
    fs::permissions(keyFile, fs::perms::owner_read | fs::perms::owner_write);
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
  }
  FILE* f = std::fopen(certFile.c_str(), "w");
  if (f == nullptr) {
    throw core::ConfigError("cannot write " + certFile);
  }
  PEM_write_X509(f, x);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

}  // namespace rampart::net
