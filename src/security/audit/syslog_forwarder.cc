#include "security/audit/syslog_forwarder.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "security/audit/audit_log.h"

namespace rampart::security::audit {

namespace {

constexpr std::size_t kMaxQueue = 10000;
constexpr int kFacilityAuthpriv = 10;  // RFC 5424 table 1: security/authorization messages

// RFC 5424 section 6.3.3: PARAM-VALUE escapes '"', '\' and ']'.
std::string sdEscape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\' || c == ']') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// PRINTUSASCII without spaces, at most `max` characters, "-" when empty.
std::string token(std::string_view v, std::size_t max) {
  std::string out;
  for (char c : v) {
    if (c > 32 && c < 127 && out.size() < max) {
      out += c;
    }
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string formatSyslog(const storage::AuditRow& row, const std::string& hostname,
                         const std::string& appName) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(row.body, ec);
  auto field = [&](const char* k) -> std::string {
    if (ec || !v.is_object()) return {};
    const auto* f = v.as_object().if_contains(k);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  // Notice for successes, warning for failures and denials.
  const int severity = row.result == "success" ? 5 : 4;
  std::string msg = "<" + std::to_string(kFacilityAuthpriv * 8 + severity) + ">1 " +
                    formatUtcMillis(row.timeMs) + " " + token(hostname, 255) + " " + token(appName, 48) + " " +
                    std::to_string(getpid()) + " " + token(row.action, 32) +
                    " [rampart-audit@32473 seq=\"" + std::to_string(row.seq) + "\"";
  for (const char* k : {"actor", "role", "source", "client", "tenant", "action", "object",
                        "result", "reason", "request_id"}) {
    const std::string value = field(k);
    if (!value.empty()) {
      msg += std::string(" ") + k + "=\"" + sdEscape(value) + "\"";
    }
  }
  msg += "] ";
  msg += row.body;
  return msg;
}

core::Result<std::unique_ptr<SyslogForwarder>> SyslogForwarder::create(const std::string& target,
                                                                       std::string hostname,
                                                                       std::string appName) {
  const bool tcp = target.starts_with("tcp://");
  if (!tcp && !target.starts_with("udp://")) {
    return core::Status::invalidArgument("audit.syslog must be udp://HOST:PORT or tcp://HOST:PORT");
  }
  const std::string rest = target.substr(6);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return core::Status::invalidArgument("audit.syslog needs HOST:PORT");
  }
  std::string host = rest.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::unique_ptr<SyslogForwarder>(
      new SyslogForwarder(tcp, std::move(host), rest.substr(colon + 1), std::move(hostname),
                          std::move(appName)));
}

SyslogForwarder::SyslogForwarder(bool tcp, std::string host, std::string port,
                                 std::string hostname, std::string appName)
    : tcp_(tcp),
      host_(std::move(host)),
      port_(std::move(port)),
      hostname_(std::move(hostname)),
      appName_(std::move(appName)) {
  thread_ = std::thread([this] { run(); });
}

SyslogForwarder::~SyslogForwarder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void SyslogForwarder::forward(const storage::AuditRow& row) {
  std::string msg = formatSyslog(row, hostname_, appName_);
  std::lock_guard lock(mu_);
  if (queue_.size() >= kMaxQueue) {
    dropped_.fetch_add(1);
    return;
  }
  queue_.push_back(std::move(msg));
  cv_.notify_one();
}

void SyslogForwarder::run() {
  namespace asio = boost::asio;
  asio::io_context ioc;
  std::unique_ptr<asio::ip::tcp::socket> tcp;
  std::unique_ptr<asio::ip::udp::socket> udp;
  asio::ip::udp::endpoint udpTarget;
  for (;;) {
    std::string msg;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      msg = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      if (tcp_) {
        if (!tcp) {
          tcp = std::make_unique<asio::ip::tcp::socket>(ioc);
          asio::ip::tcp::resolver resolver(ioc);
          asio::connect(*tcp, resolver.resolve(host_, port_));
        }
        // RFC 6587 3.4.1 octet counting: the length, a space, the message.
        const std::string framed = std::to_string(msg.size()) + " " + msg;
        asio::write(*tcp, asio::buffer(framed));
      } else {
        if (!udp) {
          asio::ip::udp::resolver resolver(ioc);
          udpTarget = *resolver.resolve(host_, port_).begin();
          udp = std::make_unique<asio::ip::udp::socket>(ioc);
          udp->open(udpTarget.protocol());
        }
        udp->send_to(asio::buffer(msg), udpTarget);
      }
    } catch (const std::exception& e) {
      dropped_.fetch_add(1);
      tcp.reset();
      udp.reset();
      spdlog::warn("event=audit_syslog_failed error=\"{}\"", e.what());
    }
  }
}

}  // namespace rampart::security::audit
