#include "rampart/core/metrics.h"

#include <algorithm>
#include <set>
#include <vector>

namespace rampart::core {

std::atomic<std::int64_t>& Metrics::counter(std::string_view name, std::string_view labels,
                                            std::string_view help) {
  return get(name, labels, help, false);
}

std::atomic<std::int64_t>& Metrics::gauge(std::string_view name, std::string_view labels,
                                          std::string_view help) {
  return get(name, labels, help, true);
}

std::atomic<std::int64_t>& Metrics::get(std::string_view name, std::string_view labels,
                                        std::string_view help, bool gauge) {
  std::lock_guard lock(mu_);
  for (auto& s : series_) {
    if (s.name == name && s.labels == labels) {
      return s.value;
    }
  }
  Series& s = series_.emplace_back();
  s.name.assign(name);
  s.labels.assign(labels);
  s.help.assign(help);
  s.gauge = gauge;
  return s.value;
}

std::string Metrics::renderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::set<std::string> described;
  // The exposition format wants all series of one metric together.
  std::vector<const Series*> sorted;
  for (const auto& s : series_) {
    sorted.push_back(&s);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Series* a, const Series* b) { return a->name < b->name; });
  for (const Series* sp : sorted) {
    const Series& s = *sp;
    if (described.insert(s.name).second) {
      if (!s.help.empty()) {
        out += "# HELP " + s.name + " " + s.help + "\n";
      }
      out += "# TYPE " + s.name + (s.gauge ? " gauge\n" : " counter\n");
    }
    out += s.name;
    if (!s.labels.empty()) {
      out += "{" + s.labels + "}";
    }
    out += " " + std::to_string(s.value.load(std::memory_order_relaxed)) + "\n";
  }
  return out;
}

}  // namespace rampart::core
