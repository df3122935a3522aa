#pragma once
// Process-wide counters and gauges, exported in the Prometheus text format by the HTTPS
// listener. Counter lookup takes a lock; callers keep the returned reference (stable for the
// life of the Metrics object) and then update it lock-free.

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace rampart::core {

class Metrics {
 public:
  struct Series {
    std::string name;    // e.g. rampart_stanzas_in_total
    std::string labels;  // e.g. kind="message"
    std::string help;
    bool gauge = false;
    std::atomic<std::int64_t> value{0};
  };

  std::atomic<std::int64_t>& counter(std::string_view name, std::string_view labels = {},
                                     std::string_view help = {});
  std::atomic<std::int64_t>& gauge(std::string_view name, std::string_view labels = {},
                                   std::string_view help = {});
  std::string renderPrometheus() const;

 private:
  std::atomic<std::int64_t>& get(std::string_view name, std::string_view labels,
                                 std::string_view help, bool gauge);
  mutable std::mutex mu_;
  std::deque<Series> series_;  // deque: references stay valid as it grows
};

}  // namespace rampart::core
