#pragma once
// Password policy (MLPS 2.0 8.1.4.1 a; NIST SP 800-63B 5.1.1.2), applied wherever a password
// is set: rampartctl, the admin API and console, and XEP-0077 in XMPP clients. Two
// built-in profiles because the standards disagree:
//   mlps: at least 8 characters from at least 3 of 4 classes, changed every 90 days, none of
//         the last 5 reused;
//   nist: at least 15 characters (8 when the account has a second factor), up to 128, no
//         composition rules, no forced rotation.
// Both refuse blocklisted passwords (a common-password list, then cracklib through
// libpwquality) and passwords containing the account name or the tenant's domain.
// Thread-safe: check() serializes libpwquality (cracklib keeps global state).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/config.h"

struct pwquality_settings;

namespace rampart::security::password {

struct PasswordRules {
  std::string profile = "mlps";
  std::uint32_t minLength = 8;        // characters (Unicode code points)
  std::uint32_t minLengthWithMfa = 8;  // when the account has a second factor
  std::uint32_t maxLength = 128;
  std::uint32_t minClasses = 3;       // of lower, upper, digit, other
  std::uint32_t maxAgeDays = 90;      // 0: never expires
  std::uint32_t history = 5;          // earlier passwords that may not come back
};

// The profile's defaults, then the options given (server-wide, then the tenant's).
PasswordRules rulesFor(const core::AccountSecurityOptions& options);

// Why a password is refused: a stable rule id and a sentence naming the rule.
struct Refusal {
  std::string rule;  // "length", "max-length", "classes", "blocklist", "dictionary",
                     // "account-name", "domain", "reused", "characters"
  std::string message;
};

class PasswordPolicy {
 public:
  // `config` must outlive this object.
  explicit PasswordPolicy(const core::Config& config);
  ~PasswordPolicy();
  PasswordPolicy(const PasswordPolicy&) = delete;
  PasswordPolicy& operator=(const PasswordPolicy&) = delete;

  PasswordRules rules(std::string_view host) const;
  // Checks everything but history. `password` as given (before OpaqueString preparation).
  std::optional<Refusal> check(std::string_view host, std::string_view user,
                               std::string_view password, bool hasSecondFactor) const;
  // Whether `password` matches one of the account's earlier ones (Argon2id strings).
  static bool reused(std::string_view password, const std::vector<std::string>& history);

 private:
  const core::Config& config_;
  std::unordered_set<std::string> blocklist_;  // lower-cased
  mutable std::mutex pwqMu_;
  pwquality_settings* pwq_ = nullptr;  // guarded by pwqMu_
};

}  // namespace rampart::security::password
