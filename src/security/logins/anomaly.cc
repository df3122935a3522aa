#include "security/logins/anomaly.h"

#include <algorithm>
#include <cstdio>

#include "security/logins/geoip.h"

namespace rampart::security::logins {

AnomalyRules anomalyRulesFor(const core::AccountSecurityOptions& o) {
  AnomalyRules r;
  if (o.anomalyRules) {
    auto on = [&](std::string_view name) {
      return std::find(o.anomalyRules->begin(), o.anomalyRules->end(), name) !=
             o.anomalyRules->end();
    };
    r.failureBurst = on(kFailureBurst);
    r.newDevice = on(kNewDevice);
    r.newCountry = on(kNewCountry);
    r.impossibleTravel = on(kImpossibleTravel);
    r.unusualHour = on(kUnusualHour);
  }
  if (o.failureBurstThreshold) r.burstThreshold = *o.failureBurstThreshold;
  if (o.impossibleTravelKmh) r.travelKmh = *o.impossibleTravelKmh;
  if (o.anomalyAction) r.action = *o.anomalyAction;
  return r;
}

std::string deviceOf(const storage::LoginRecord& r) {
  if (r.credential.starts_with("app-password:")) {
    return r.credential;
  }
  if (!r.client.empty()) {
    return "client:" + r.client;
  }
  // A password sign-in from a client that does not name itself: resources are often random
  // per session (or chosen by the server), so they identify nothing.
  return {};
}

namespace {

int hourOf(std::int64_t ms) { return static_cast<int>((ms / 3600000) % 24); }

std::string place(const storage::LoginRecord& r) {
  if (r.country.empty()) return r.source;
  return r.city.empty() ? r.country + " (" + r.source + ")"
                        : r.city + ", " + r.country + " (" + r.source + ")";
}

}  // namespace

std::vector<Finding> evaluate(const AnomalyRules& rules, const storage::LoginRecord& current,
                              const std::vector<storage::LoginRecord>& earlier) {
  std::vector<Finding> out;
  if (!current.success) {
    if (rules.failureBurst) {
      std::uint32_t failures = 1;
      for (const auto& r : earlier) {
        if (current.timeMs - r.timeMs > rules.burstWindowMs) break;
        if (!r.success) ++failures;
      }
      if (failures == rules.burstThreshold) {
        out.push_back({std::string(kFailureBurst),
                       std::to_string(failures) + " failed sign-ins in " +
                           std::to_string(rules.burstWindowMs / 60000) + " minutes, the last from " +
                           place(current)});
      }
    }
    return out;
  }
  std::vector<const storage::LoginRecord*> successes;
  for (const auto& r : earlier) {
    if (r.success) successes.push_back(&r);
  }
  if (successes.empty()) {
    return out;
  }
  if (const std::string device = deviceOf(current); rules.newDevice && !device.empty()) {
    if (std::none_of(successes.begin(), successes.end(),
                     [&](const auto* r) { return deviceOf(*r) == device; })) {
      out.push_back({std::string(kNewDevice), "a sign-in from a device not seen before (" +
                                                  device + ") at " + place(current)});
    }
  }
  if (rules.newCountry && !current.country.empty()) {
    const bool known = std::any_of(successes.begin(), successes.end(),
                                   [&](const auto* r) { return r->country == current.country; });
    const bool anyCountry = std::any_of(successes.begin(), successes.end(),
                                        [](const auto* r) { return !r->country.empty(); });
    if (!known && anyCountry) {
      out.push_back({std::string(kNewCountry),
                     "a sign-in from a country not seen before: " + place(current)});
    }
  }
  if (rules.impossibleTravel && current.located) {
    const auto* last = *std::find_if(successes.begin(), successes.end(),
                                     [](const auto*) { return true; });
    if (last->located) {
      const double km = distanceKm(last->latitude, last->longitude, current.latitude,
                                   current.longitude);
      const double hours = std::max<double>(current.timeMs - last->timeMs, 1000) / 3.6e6;
      // Below 100 km the databases' own error dominates.
      if (km > 100 && km / hours > rules.travelKmh) {
        char detail[200];
        std::snprintf(detail, sizeof detail, "%.0f km from the previous sign-in in %.1f hours "
                      "(%.0f km/h)", km, hours, km / hours);
        out.push_back({std::string(kImpossibleTravel),
                       std::string(detail) + ": " + place(*last) + " then " + place(current)});
      }
    }
  }
  if (rules.unusualHour && successes.size() >= 10) {
    const int h = hourOf(current.timeMs);
    const bool usual = std::any_of(successes.begin(), successes.end(), [&](const auto* r) {
      const int d = std::abs(hourOf(r->timeMs) - h);
      return std::min(d, 24 - d) <= 1;
    });
    if (!usual) {
      out.push_back({std::string(kUnusualHour), "a sign-in at " + std::to_string(h) +
                                                    ":00 UTC, an hour this user never signs in, "
                                                    "from " + place(current)});
    }
  }
  return out;
}

}  // namespace rampart::security::logins
