#pragma once
// Consent to a tenant's privacy notice (PIPL arts. 14 and 17, GDPR arts. 7 and 13): the notice
// each tenant publishes (versioned, in English and Simplified Chinese), and each account's
// acceptances, kept with the account's other documents (sealed at rest, exported, erased with
// it). A new notice version asks again; the history of acceptances stays as the proof.
// Withdrawal is erasure (security/privacy/rights.h).

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "rampart/storage/stores.h"

namespace rampart::security::privacy {

// Where acceptances are kept (KeyValueStore: host, user, this store, key kConsentKey).
inline constexpr std::string_view kConsentStore = "urn:rampart:privacy:0";
inline constexpr std::string_view kConsentKey = "consent";

struct Notice {
  std::string version;
  std::string text;    // English, and the fallback
  std::string textZh;  // Simplified Chinese; empty: the English text
  // The text for a language tag ("zh", "zh-CN", "en", ...).
  const std::string& textFor(std::string_view lang) const;
};

struct Acceptance {
  std::string version;
  std::int64_t timeMs = 0;
  std::string channel;  // "account-center", "web-client" or "xmpp"
};

// The tenants' notices, read once at start-up.
class Notices {
 public:
  // Reads every tenant's notice file; ConfigError-like failure when one cannot be read, is
  // empty, larger than 64 KiB or not UTF-8.
  static core::Result<Notices> load(const core::Config& config);
  // The tenant's notice; null when it has none (nothing is asked).
  const Notice* of(std::string_view host) const;

 private:
  std::map<std::string, Notice, std::less<>> byHost_;
};

// The account's acceptances, oldest first.
core::Result<std::vector<Acceptance>> acceptances(storage::Storage& s, std::string_view host,
                                                  std::string_view user);
// Appends an acceptance.
core::Status recordAcceptance(storage::Storage& s, std::string_view host, std::string_view user,
                              const Acceptance& a);
// True when the tenant has a notice and the account's latest acceptance is of another version.
bool consentNeeded(const Notice* notice, const std::vector<Acceptance>& accepted);

// {"version","text","accepted":{version,time,channel}|null,"required":bool,"history":[...]}
boost::json::object consentJson(const Notice* notice, const std::vector<Acceptance>& accepted,
                                std::string_view lang);

}  // namespace rampart::security::privacy
