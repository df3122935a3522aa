#include "core/refusal_log.h"

#include <spdlog/spdlog.h>

#include <string>

namespace rampart::core {

void RefusalLog::refuse(std::string_view reason, std::string_view peer, std::string_view detail) {
  std::string labels = "reason=\"";
  labels += reason;
  labels += '"';
  metrics_.counter("rampart_refusals_total", labels, "Security-relevant refusals by reason")
      .fetch_add(1, std::memory_order_relaxed);
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - windowStart_ >= std::chrono::seconds(1)) {
      windowStart_ = now;
      inWindow_ = 0;
    }
    if (inWindow_ >= perSecond_) {
      ++suppressedSinceLine_;
      suppressedTotal_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ++inWindow_;
    suppressed = suppressedSinceLine_;
    suppressedSinceLine_ = 0;
  }
  if (suppressed > 0) {
    spdlog::warn("event=refused reason={} peer={} detail={} suppressed_before={}", reason, peer,
                 detail.empty() ? "-" : detail, suppressed);
  } else {
    spdlog::warn("event=refused reason={} peer={} detail={}", reason, peer,
                 detail.empty() ? "-" : detail);
  }
}

}  // namespace rampart::core
