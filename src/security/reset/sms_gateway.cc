#include "security/reset/sms_gateway.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/http_post.h"
#include "core/log_value.h"
#include "security/alerts/alert_pipeline.h"
#include "security/audit/audit_log.h"

namespace rampart::security::reset {

namespace {
constexpr std::size_t kMaxQueue = 1000;

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

SmsGateway::SmsGateway(const core::Config& config) : config_(config) {
  thread_ = std::thread([this] { run(); });
}

SmsGateway::~SmsGateway() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string SmsGateway::outboxPath() const {
  return (std::filesystem::path(config_.dataDir) / "sms-outbox.jsonl").string();
}

bool SmsGateway::send(const std::string& tenant, const std::string& to, const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= kMaxQueue) {
      spdlog::warn("event=sms_dropped reason=queue-full tenant={}", tenant);
      return false;
    }
    queue_.push_back(Message{tenant, to, text});
  }
  cv_.notify_one();
  return true;
}

void SmsGateway::run() {
  for (;;) {
    Message m;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      m = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(m);
  }
}

void SmsGateway::deliver(const Message& m) {
  const auto options = config_.accountSecurityFor(m.tenant);
  boost::json::object o{{"tenant", m.tenant}, {"to", m.to}, {"text", m.text}};
  if (!options.smsGatewayUrl || options.smsGatewayUrl->empty()) {
    o["time"] = audit::formatUtcMillis(nowMs());
    const std::string line = boost::json::serialize(o) + "\n";
    const std::string path = outboxPath();
    // Created 0600: the outbox holds codes.
    const mode_t old = ::umask(077);
    std::FILE* f = std::fopen(path.c_str(), "a");
    ::umask(old);
    if (f == nullptr) {
      spdlog::error("event=sms_outbox_failed path={}", core::logQuoted(path));
      return;
    }
    std::fwrite(line.data(), 1, line.size(), f);
    std::fclose(f);
    return;
  }
  core::HttpPost p;
  p.url = *options.smsGatewayUrl;
  p.body = boost::json::serialize(o);
  p.userAgent = "rampart-sms/1";
  if (options.smsGatewaySecret && !options.smsGatewaySecret->empty()) {
    p.headers.emplace_back("X-Rampart-Signature",
                           alerts::webhookSignature(*options.smsGatewaySecret, p.body));
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto r = core::postBlocking(p);
    if (r.ok()) return;
    spdlog::warn("event=sms_gateway_failed tenant={} status={} error={}", m.tenant, r.status,
                 core::logQuoted(r.error));
    if (r.badUrl) return;
  }
}

std::optional<std::string> normalizePhone(std::string_view text) {
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (!plus && digits.size() == 11 && digits[0] == '1') {
    return "+86" + digits;  // a mainland mobile number
  }
  if (!plus || digits.size() < 8 || digits.size() > 15 || digits[0] == '0') {
    return std::nullopt;
  }
  return "+" + digits;
}

std::string maskPhone(const std::string& e164) {
  if (e164.size() < 8) return "****";
  const std::size_t cc = e164.starts_with("+86") ? 3 : 2;
  return e164.substr(0, cc) + " " + std::string(e164.size() - cc - 4, '*') +
         e164.substr(e164.size() - 4);
}

}  // namespace rampart::security::reset
