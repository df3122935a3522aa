#pragma once
// Forwards every audit record to a SIEM as RFC 5424 syslog messages: over UDP (RFC 5426, one
// record per datagram) or TCP (RFC 6587 octet counting). The record's fields go into
// structured data (SD-ID rampart-audit@32473) and the record itself, as JSON, into MSG.
// forward() is thread-safe and never blocks: a sender thread drains a bounded queue; a SIEM
// that is down loses records past the queue (the log itself keeps them, and says so in a
// counter), it never stops the server.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "rampart/core/status.h"
#include "rampart/storage/audit_store.h"

namespace rampart::security::audit {

class SyslogForwarder {
 public:
  // `target`: "udp://HOST:PORT" or "tcp://HOST:PORT". InvalidArgument when it is neither.
  // `appName`: the program sending (APP-NAME), e.g. "rampartd" or "rampartctl".
  static core::Result<std::unique_ptr<SyslogForwarder>> create(const std::string& target,
                                                               std::string hostname,
                                                               std::string appName = "rampartd");
  ~SyslogForwarder();
  SyslogForwarder(const SyslogForwarder&) = delete;
  SyslogForwarder& operator=(const SyslogForwarder&) = delete;

  void forward(const storage::AuditRow& row);
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  SyslogForwarder(bool tcp, std::string host, std::string port, std::string hostname,
                  std::string appName);
  void run();

  bool tcp_;
  std::string host_;
  std::string port_;
  std::string hostname_;
  std::string appName_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // formatted messages; guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

// One RFC 5424 message for an audit record (exposed for tests).
std::string formatSyslog(const storage::AuditRow& row, const std::string& hostname,
                         const std::string& appName = "rampartd");

}  // namespace rampart::security::audit
