#pragma once
// A key provider whose master key is an AES-256 key inside a PKCS#11 token (an HSM; tested
// with SoftHSM2). The key is created on the token at first start (sensitive, not
// extractable) and never leaves it: wrapping and unwrapping are AES-GCM operations the token
// performs. Thread-safe (one session behind a mutex).

#include <memory>
#include <mutex>
#include <string>

#include "rampart/security/key_provider.h"

namespace rampart::security::encryption {

struct Pkcs11Options {
  std::string module;    // path of the PKCS#11 library
  std::string token;     // the token's label
  std::string pinFile;   // a file holding the user PIN (first line)
  std::string keyLabel;  // the master key's CKA_LABEL
};

class Pkcs11Provider final : public KeyProvider {
 public:
  static core::Result<std::shared_ptr<Pkcs11Provider>> open(const Pkcs11Options& options);
  ~Pkcs11Provider() override;
  Pkcs11Provider(const Pkcs11Provider&) = delete;
  Pkcs11Provider& operator=(const Pkcs11Provider&) = delete;
  std::string name() const override { return "pkcs11"; }
  core::Result<std::string> wrap(std::string_view key, std::string_view context) override;
  core::Result<std::string> unwrap(std::string_view wrapped, std::string_view context) override;

 private:
  struct State;
  explicit Pkcs11Provider(std::unique_ptr<State> s);
  core::Result<std::string> crypt(bool encrypt, std::string_view iv, std::string_view aad,
                                  std::string_view in);
  std::mutex mu_;
  std::unique_ptr<State> s_;
};

}  // namespace rampart::security::encryption
