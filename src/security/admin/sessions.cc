#include "security/admin/sessions.h"

#include <openssl/sha.h>

#include <algorithm>
#include <chrono>

#include "rampart/core/random.h"

namespace rampart::security::admin {

namespace {

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string hashOf(const std::string& id) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(id.data()), id.size(), h);
  return std::string(reinterpret_cast<char*>(h), sizeof h);
}

constexpr std::size_t kMaxSessions = 10000;

}  // namespace

std::string_view stageName(Stage s) {
  switch (s) {
    case Stage::kSecondFactor:
      return "second_factor";
    case Stage::kPasswordChange:
      return "password_change";
    case Stage::kTotpEnrolment:
      return "totp_enrolment";
    case Stage::kActive:
      return "active";
  }
  return "active";
}

AdminSessions::AdminSessions(std::int64_t idleSeconds, std::int64_t maxAgeSeconds, Clock now)
    : idleMs_(idleSeconds * 1000),
      maxAgeMs_(maxAgeSeconds * 1000),
      now_(now ? std::move(now) : Clock(systemNowMs)) {}

AdminSessions::Created AdminSessions::create(const Principal& p, Stage stage,
                                             const std::string& source,
                                             const std::string& userAgent) {
  Created c{core::randomToken(33), core::randomToken(24)};
  const std::int64_t now = now_();
  std::lock_guard lock(mu_);
  if (sessions_.size() >= kMaxSessions) {
    std::erase_if(sessions_, [&](const auto& kv) {
      return now - kv.second.lastSeenMs > idleMs_ || now - kv.second.createdMs > maxAgeMs_;
    });
  }
  AdminSession s{p, stage, c.csrf, now, now, source, {}};
  s.userAgent = userAgent.substr(0, 200);
  s.handle = core::randomToken(9);
  sessions_[hashOf(c.id)] = std::move(s);
  return c;
}

std::optional<AdminSession> AdminSessions::find(const std::string& id, std::string* ended) {
  const std::int64_t now = now_();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(hashOf(id));
  if (it == sessions_.end()) {
    if (ended) *ended = "no such session (signed out or never signed in)";
    return std::nullopt;
  }
  AdminSession& s = it->second;
  if (now - s.createdMs > maxAgeMs_) {
    if (ended) *ended = "the session reached its maximum age; sign in again";
    sessions_.erase(it);
    return std::nullopt;
  }
  if (now - s.lastSeenMs > idleMs_) {
    if (ended) *ended = "the session was idle too long; sign in again";
    sessions_.erase(it);
    return std::nullopt;
  }
  s.lastSeenMs = now;
  return s;
}

bool AdminSessions::update(const std::string& id,
                           const std::function<void(AdminSession&)>& change) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(hashOf(id));
  if (it == sessions_.end()) {
    return false;
  }
  change(it->second);
  return true;
}

void AdminSessions::end(const std::string& id) {
  std::lock_guard lock(mu_);
  sessions_.erase(hashOf(id));
}

void AdminSessions::endAllOf(const std::string& jid) {
  std::lock_guard lock(mu_);
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.principal.jid == jid; });
}

std::optional<AdminSessions::Created> AdminSessions::rotate(const std::string& id) {
  Created c{core::randomToken(33), core::randomToken(24)};
  std::lock_guard lock(mu_);
  auto it = sessions_.find(hashOf(id));
  if (it == sessions_.end()) {
    return std::nullopt;
  }
  AdminSession s = std::move(it->second);
  sessions_.erase(it);
  s.csrf = c.csrf;
  sessions_[hashOf(c.id)] = std::move(s);
  return c;
}

std::vector<AdminSession> AdminSessions::listOf(const std::string& jid) {
  const std::int64_t now = now_();
  std::lock_guard lock(mu_);
  std::vector<AdminSession> out;
  for (const auto& [h, s] : sessions_) {
    if (s.principal.jid == jid && now - s.createdMs <= maxAgeMs_ && now - s.lastSeenMs <= idleMs_) {
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const AdminSession& a, const AdminSession& b) { return a.createdMs < b.createdMs; });
  return out;
}

std::size_t AdminSessions::size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

}  // namespace rampart::security::admin
