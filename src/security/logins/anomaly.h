#pragma once
// Sign-in anomaly rules (MLPS 8.1.4.4 f: detect intrusion attempts and raise an alarm): a burst
// of failures, a new device, a new country, impossible travel, and a sign-in at an hour unusual
// for the user. Pure functions over the login record; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "rampart/storage/account_security_store.h"

namespace rampart::security::logins {

struct AnomalyRules {
  bool failureBurst = true;
  bool newDevice = true;
  bool newCountry = true;
  bool impossibleTravel = true;
  bool unusualHour = true;
  std::uint32_t burstThreshold = 5;   // failures of one account within burstWindow
  std::int64_t burstWindowMs = 10 * 60 * 1000;
  double travelKmh = 805;             // faster than an airliner between consecutive sign-ins
  // "alert", "freeze" (lock the account; an alert too) or "require-second-factor" (the main
  // password alone no longer signs in; an alert too).
  std::string action = "alert";
};

AnomalyRules anomalyRulesFor(const core::AccountSecurityOptions& options);

// Rule names as alerts and docs use them.
inline constexpr std::string_view kFailureBurst = "failure-burst";
inline constexpr std::string_view kNewDevice = "new-device";
inline constexpr std::string_view kNewCountry = "new-country";
inline constexpr std::string_view kImpossibleTravel = "impossible-travel";
inline constexpr std::string_view kUnusualHour = "unusual-hour";

struct Finding {
  std::string rule;
  std::string detail;  // one sentence for the alert
};

// What identifies a device in the record: its app password, else the client software as it
// names itself (SASL2 user agent); empty when neither is known (resources are often random per
// session, so a plain password sign-in from an unnamed client is never "a new device").
std::string deviceOf(const storage::LoginRecord& r);

// The rules `current` breaks given the account's earlier records (newest first). A first
// successful sign-in breaks none of the success rules: there is nothing to compare with.
std::vector<Finding> evaluate(const AnomalyRules& rules, const storage::LoginRecord& current,
                              const std::vector<storage::LoginRecord>& earlier);

}  // namespace rampart::security::logins
