#pragma once
// An account's second factor, shared by every place that signs a person in (the admin console
// and the account center): checking a code against the account's TOTP secret or its recovery
// codes, and the tenant's policy "a second factor is required" with its grace period for
// enrolment. The second factor belongs to the account, so an administrator's TOTP is also the
// TOTP of the account center. Stateless functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/config.h"
#include "rampart/storage/account_security_store.h"
#include "rampart/storage/admin_store.h"
#include "rampart/storage/stores.h"

namespace rampart::security::mfa {

enum class FactorUsed { kNone, kTotp, kRecoveryCode, kPasskey };

// Whether the account has a second factor: TOTP enrolled, or at least one passkey. Storage
// thread only.
bool hasSecondFactor(storage::Storage& storage, const std::string& host, const std::string& user);

// Checks `code` (6 digits: TOTP; otherwise a recovery code) against an enrolled account's
// second factor at `unixSeconds`. On success `sec` is changed (the TOTP step is used up, or the
// recovery code removed) and the caller stores it.
FactorUsed checkSecondFactor(storage::AdminSecurity& sec, std::string_view code,
                             std::int64_t unixSeconds);

// Whether the tenant requires a second factor of this account (`role`: the administrator role
// it holds, empty for none), and how long it has to enrol once told.
struct SecondFactorPolicy {
  bool required = false;
  std::int64_t graceMs = 0;
};
// `state`: the account's own state, if known: an anomaly rule may have made a second factor
// mandatory for it alone, with no grace period.
SecondFactorPolicy secondFactorPolicy(const core::Config& config, std::string_view host,
                                      std::string_view role,
                                      const storage::AccountState* state = nullptr);

// Where an account stands against the policy at `nowMs`: kOptional (not required), kGrace
// (required, not enrolled, grace running or not yet started), kMissing (required, not
// enrolled, grace over) or kEnrolled.
enum class FactorStanding { kOptional, kGrace, kMissing, kEnrolled };
FactorStanding standing(const SecondFactorPolicy& policy, bool enrolled,
                        std::int64_t graceStartMs, std::int64_t nowMs);

}  // namespace rampart::security::mfa
