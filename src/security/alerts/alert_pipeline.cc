#include "security/alerts/alert_pipeline.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "core/log_value.h"
#include "rampart/core/hex.h"
#include "security/audit/audit_log.h"

namespace rampart::security::alerts {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

constexpr std::size_t kMaxQueue = 1000;

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string webhookSignature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return "sha256=" + core::hexEncode(std::string_view(reinterpret_cast<char*>(mac), len));
}

AlertPipeline::AlertPipeline(AlertOptions options, core::StorageRunner& storage,
                             std::string defaultHost, XmppSender xmpp)
    : options_(std::move(options)),
      storage_(storage),
      defaultHost_(std::move(defaultHost)),
      xmpp_(std::move(xmpp)) {
  if (!options_.webhookUrl.empty()) {
    thread_ = std::thread([this] { sender(); });
  }
}

AlertPipeline::~AlertPipeline() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AlertPipeline::raise(std::string_view rule, std::string_view severity,
                          const std::string& tenant, const std::string& summary,
                          const std::string& subject) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    const std::string key = std::string(rule) + "\n" + tenant + "\n" + subject;
    auto it = lastSent_.find(key);
    if (it != lastSent_.end() && now - it->second < options_.quiet) {
      spdlog::info("event=alert_repeat rule={} tenant={}", rule, core::logQuoted(tenant));
      return;
    }
    lastSent_[key] = now;
  }
  spdlog::warn("event=alert rule={} severity={} tenant={} summary={}", rule, severity,
               core::logQuoted(tenant), core::logQuoted(summary));
  storage::AlertRecord a;
  a.rule = std::string(rule);
  a.severity = std::string(severity);
  a.tenant = tenant;
  a.summary = summary;
  a.createdMs = nowMs();
  storage_.run([this, a](storage::Storage& s) mutable {
    auto id = s.alerts().addAlert(a);
    a.id = id.isOk() ? id.value() : 0;
    boost::json::object o;
    o["id"] = a.id;
    o["rule"] = a.rule;
    o["severity"] = a.severity;
    o["tenant"] = a.tenant.empty() ? boost::json::value(nullptr) : boost::json::value(a.tenant);
    o["summary"] = a.summary;
    o["created"] = audit::formatUtcMillis(a.createdMs);
    o["server"] = defaultHost_;
    if (!options_.webhookUrl.empty()) {
      std::lock_guard lock(mu_);
      if (queue_.size() < kMaxQueue) {
        queue_.push_back(Outgoing{boost::json::serialize(o)});
        cv_.notify_one();
      }
    }
    if (options_.xmpp && xmpp_) {
      // The tenant's security administrators, and the server-wide ones.
      auto grants = s.admin().listRoles();
      if (grants.isOk()) {
        const std::string from = a.tenant.empty() ? defaultHost_ : a.tenant;
        const std::string text = "[" + a.severity + "] " + a.rule + ": " + a.summary +
                                 (a.tenant.empty() ? "" : " (tenant " + a.tenant + ")") +
                                 " — alert " + std::to_string(a.id) + ", " +
                                 audit::formatUtcMillis(a.createdMs);
        for (const auto& g : grants.value()) {
          if (g.role == "secadmin" && (g.tenant.empty() || g.tenant == a.tenant)) {
            xmpp_(from, g.user + "@" + g.host, "Security alert: " + a.rule, text);
          }
        }
      }
    }
  });
}

void AlertPipeline::sender() {
  for (;;) {
    Outgoing next;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, nothing left
      }
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    // A few tries with growing pauses; a webhook that stays down loses the alert to the log
    // and the console, never blocks the server.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (post(next.body)) {
        break;
      }
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(1 << attempt), [this] { return stopping_; })) {
        break;
      }
    }
  }
}

bool AlertPipeline::post(const std::string& body) {
  auto url = boost::urls::parse_uri(options_.webhookUrl);
  if (!url) {
    spdlog::error("event=alert_webhook_failed error=\"alerts.webhook_url is not a URI\"");
    return true;  // nothing a retry would fix
  }
  const bool tls = url->scheme() == "https";
  const std::string host = std::string(url->host());
  const std::string port = url->has_port() ? std::string(url->port()) : (tls ? "443" : "80");
  std::string target = std::string(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, target, 11};
  req.set(bhttp::field::host, host);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "rampart-alerts/1");
  req.set("X-Rampart-Timestamp", std::to_string(nowMs() / 1000));
  if (!options_.webhookSecret.empty()) {
    req.set("X-Rampart-Signature", webhookSignature(options_.webhookSecret, body));
  }
  req.body() = body;
  req.prepare_payload();
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, port);
    bhttp::response<bhttp::string_body> res;
    beast::flat_buffer buffer;
    if (tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      if (options_.webhookCa.empty()) {
        ctx.set_default_verify_paths();
      } else {
        ctx.load_verify_file(options_.webhookCa);
      }
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      stream.set_verify_callback(asio::ssl::host_name_verification(host));
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(stream).connect(endpoints);
      stream.handshake(asio::ssl::stream_base::client);
      bhttp::write(stream, req);
      bhttp::read(stream, buffer, res);
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_after(std::chrono::seconds(10));
      stream.connect(endpoints);
      bhttp::write(stream, req);
      bhttp::read(stream, buffer, res);
    }
    if (res.result_int() / 100 != 2) {
      spdlog::warn("event=alert_webhook_failed status={}", res.result_int());
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("event=alert_webhook_failed error={}", core::logQuoted(e.what()));
    return false;
  }
}

}  // namespace rampart::security::alerts
