#include "security/mfa/second_factor.h"

#include <algorithm>

#include "security/mfa/totp.h"

namespace rampart::security::mfa {

bool hasSecondFactor(storage::Storage& storage, const std::string& host, const std::string& user) {
  auto sec = storage.admin().adminSecurity(host, user);
  if (sec.isOk() && sec.value() && sec.value()->totpEnrolled) {
    return true;
  }
  auto keys = storage.accountSecurity().passkeys(host, user);
  return keys.isOk() && !keys.value().empty();
}

FactorUsed checkSecondFactor(storage::AdminSecurity& sec, std::string_view code,
                             std::int64_t unixSeconds) {
  if (!sec.totpEnrolled || code.empty()) {
    return FactorUsed::kNone;
  }
  if (code.size() == static_cast<std::size_t>(kTotpDigits)) {
    auto step = verifyTotp(sec.totpSecret, code, unixSeconds, sec.totpLastStep);
    if (!step) {
      return FactorUsed::kNone;
    }
    sec.totpLastStep = *step;
    return FactorUsed::kTotp;
  }
  auto hit = matchRecoveryCode(sec.recoveryCodeHashes, code);
  if (!hit) {
    return FactorUsed::kNone;
  }
  sec.recoveryCodeHashes.erase(sec.recoveryCodeHashes.begin() + static_cast<long>(*hit));
  return FactorUsed::kRecoveryCode;
}

SecondFactorPolicy secondFactorPolicy(const core::Config& config, std::string_view host,
                                      std::string_view role, const storage::AccountState* state) {
  const auto o = config.accountSecurityFor(host);
  SecondFactorPolicy p;
  p.required = o.mfaRequired.value_or(false);
  if (!p.required && !role.empty() && o.mfaRequiredRoles) {
    const auto& roles = *o.mfaRequiredRoles;
    p.required = std::find(roles.begin(), roles.end(), role) != roles.end();
  }
  p.graceMs = std::int64_t{o.mfaGraceDays.value_or(14)} * 86400000;
  if (state != nullptr && state->secondFactorRequiredMs != 0) {
    p.required = true;
    p.graceMs = 0;
  }
  return p;
}

FactorStanding standing(const SecondFactorPolicy& policy, bool enrolled,
                        std::int64_t graceStartMs, std::int64_t nowMs) {
  if (enrolled) {
    return FactorStanding::kEnrolled;
  }
  if (!policy.required) {
    return FactorStanding::kOptional;
  }
  if (policy.graceMs > 0 && (graceStartMs == 0 || nowMs < graceStartMs + policy.graceMs)) {
    return FactorStanding::kGrace;
  }
  return FactorStanding::kMissing;
}

}  // namespace rampart::security::mfa
