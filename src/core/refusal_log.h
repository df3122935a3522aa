#pragma once
// Security-relevant refusals (restricted XML, oversized stanzas, policy violations, malformed
// SASL, negotiation timeouts, connection caps, bad HTTP requests): one warn-level log line
// each, with the source address, rate-limited so that a flood cannot fill the disk, and one
// counter per reason (rampart_refusals_total{reason}). Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "rampart/core/metrics.h"

namespace rampart::core {

class RefusalLog {
 public:
  // `linesPerSecond`: log lines allowed per second; the excess is counted, and the count of
  // suppressed lines is logged with the next line that gets through.
  explicit RefusalLog(Metrics& metrics, unsigned linesPerSecond = 20)
      : metrics_(metrics), perSecond_(linesPerSecond) {}

  // `reason`: a stable token (e.g. "restricted-xml"); `detail`: free text, already safe for
  // logs (use logQuoted for network-supplied values).
  void refuse(std::string_view reason, std::string_view peer, std::string_view detail = {});
  std::uint64_t suppressed() const { return suppressedTotal_.load(std::memory_order_relaxed); }

 private:
  Metrics& metrics_;
  const unsigned perSecond_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point windowStart_{};  // guarded by mu_
  unsigned inWindow_ = 0;                                // guarded by mu_
  std::uint64_t suppressedSinceLine_ = 0;                // guarded by mu_
  std::atomic<std::uint64_t> suppressedTotal_{0};
};

}  // namespace rampart::core
