#include "security/password/password_policy.h"

#include <pwquality.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>

#include "security/secrets/secret_hash.h"

namespace rampart::security::password {

namespace {

std::string asciiLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Code points in valid UTF-8 (continuation bytes are not counted).
std::size_t characters(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

PasswordRules rulesFor(const core::AccountSecurityOptions& o) {
  PasswordRules r;
  if (o.passwordProfile.value_or("mlps") == "nist") {
    // SP 800-63B 5.1.1.2 (rev. 4 draft): 15 characters for single-factor use, 8 with MFA; no
    // composition rules; change only on evidence of compromise.
    r.profile = "nist";
    r.minLength = 15;
    r.minLengthWithMfa = 8;
    r.minClasses = 0;
    r.maxAgeDays = 0;
    r.history = 0;
  }
  if (o.passwordMinLength) {
    r.minLength = *o.passwordMinLength;
    r.minLengthWithMfa = std::min(r.minLengthWithMfa, r.minLength);
  }
  if (o.passwordMinClasses) r.minClasses = *o.passwordMinClasses;
  if (o.passwordMaxAgeDays) r.maxAgeDays = *o.passwordMaxAgeDays;
  if (o.passwordHistory) r.history = *o.passwordHistory;
  return r;
}

PasswordPolicy::PasswordPolicy(const core::Config& config) : config_(config) {
  if (!config.passwordBlocklist.empty()) {
    std::ifstream in(config.passwordBlocklist);
    if (!in) {
      spdlog::warn("event=password_blocklist_missing path={}", config.passwordBlocklist);
    }
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.starts_with("#!comment")) continue;
      blocklist_.insert(asciiLower(line));
    }
  }
  pwq_ = pwquality_default_settings();
  if (pwq_ != nullptr) {
    // Only the dictionary and simple-pattern checks: length and classes are ours, per profile.
    pwquality_set_int_value(pwq_, PWQ_SETTING_MIN_LENGTH, 6);
    for (int s : {PWQ_SETTING_DIG_CREDIT, PWQ_SETTING_UP_CREDIT, PWQ_SETTING_LOW_CREDIT,
                  PWQ_SETTING_OTH_CREDIT, PWQ_SETTING_MIN_CLASS, PWQ_SETTING_MAX_REPEAT,
                  PWQ_SETTING_MAX_CLASS_REPEAT, PWQ_SETTING_MAX_SEQUENCE, PWQ_SETTING_DIFF_OK,
                  PWQ_SETTING_GECOS_CHECK, PWQ_SETTING_USER_CHECK}) {
      pwquality_set_int_value(pwq_, s, 0);
    }
    pwquality_set_int_value(pwq_, PWQ_SETTING_DICT_CHECK, 1);
  }
}

PasswordPolicy::~PasswordPolicy() {
  if (pwq_ != nullptr) pwquality_free_settings(pwq_);
}

PasswordRules PasswordPolicy::rules(std::string_view host) const {
  return rulesFor(config_.accountSecurityFor(host));
}

std::optional<Refusal> PasswordPolicy::check(std::string_view host, std::string_view user,
                                             std::string_view password,
                                             bool hasSecondFactor) const {
  const PasswordRules r = rules(host);
  const std::size_t n = characters(password);
  const std::uint32_t min = hasSecondFactor ? r.minLengthWithMfa : r.minLength;
  if (n < min) {
    return Refusal{"length", "the password must be at least " + std::to_string(min) +
                                 " characters long (" + r.profile + " policy)"};
  }
  if (n > r.maxLength || password.size() > 1023) {
    return Refusal{"max-length", "the password must be at most " + std::to_string(r.maxLength) +
                                     " characters long"};
  }
  if (r.minClasses > 0) {
    bool lower = false, upper = false, digit = false, other = false;
    for (unsigned char c : password) {
      if (c >= 'a' && c <= 'z') lower = true;
      else if (c >= 'A' && c <= 'Z') upper = true;
      else if (c >= '0' && c <= '9') digit = true;
      else other = true;
    }
    const unsigned classes = lower + upper + digit + other;
    if (classes < r.minClasses) {
      return Refusal{"classes", "the password must mix at least " + std::to_string(r.minClasses) +
                                    " of: lower-case letters, upper-case letters, digits, other "
                                    "characters (" + r.profile + " policy)"};
    }
  }
  const std::string lower = asciiLower(password);
  const std::string name = asciiLower(user);
  if (name.size() >= 3 && lower.find(name) != std::string::npos) {
    return Refusal{"account-name", "the password must not contain the account name"};
  }
  const std::string domain = asciiLower(host);
  const std::string label = domain.substr(0, domain.find('.'));
  if ((domain.size() >= 3 && lower.find(domain) != std::string::npos) ||
      (label.size() >= 4 && lower.find(label) != std::string::npos)) {
    return Refusal{"domain", "the password must not contain the organisation's domain name"};
  }
  if (blocklist_.contains(lower)) {
    return Refusal{"blocklist", "the password is on the list of commonly used passwords"};
  }
  if (pwq_ != nullptr) {
    std::lock_guard lock(pwqMu_);
    void* aux = nullptr;
    const std::string pw(password);
    const int score = pwquality_check(pwq_, pw.c_str(), nullptr, nullptr, &aux);
    if (score < 0) {
      char buf[256];
      const char* why = pwquality_strerror(buf, sizeof buf, score, aux);
      // An unreadable dictionary is the server's problem, not the user's password.
      if (score == PWQ_ERROR_CRACKLIB_CHECK &&
          std::string_view(why).find("error loading") != std::string_view::npos) {
        spdlog::warn("event=cracklib_unavailable detail={}", why);
      } else {
        return Refusal{"dictionary", std::string("the password is too easy to guess: ") + why};
      }
    }
  }
  return std::nullopt;
}

bool PasswordPolicy::reused(std::string_view password, const std::vector<std::string>& history) {
  return std::any_of(history.begin(), history.end(), [&](const std::string& h) {
    return secrets::verifySecret(h, password);
  });
}

}  // namespace rampart::security::password
