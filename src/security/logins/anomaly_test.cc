#include "security/logins/anomaly.h"

#include <gtest/gtest.h>

#include "security/logins/geoip.h"

namespace rampart::security::logins {
namespace {

storage::LoginRecord at(std::int64_t ms, bool ok, std::string country = {}, double lat = 0,
                        double lon = 0, std::string resource = "phone") {
  storage::LoginRecord r;
  r.timeMs = ms;
  r.success = ok;
  r.country = std::move(country);
  r.latitude = lat;
  r.longitude = lon;
  r.located = !r.country.empty();
  r.resource = std::move(resource);
  r.source = "192.0.2.1";
  r.credential = "password";
  return r;
}

std::vector<std::string> rules(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.rule);
  return out;
}

constexpr std::int64_t kHour = 3600000;

TEST(Anomaly, FirstSignInBreaksNothing) {
  EXPECT_TRUE(evaluate({}, at(0, true, "CN", 31.2, 121.5), {}).empty());
}

TEST(Anomaly, NewCountryAndImpossibleTravel) {
  const auto shanghai = at(0, true, "CN", 31.23, 121.47);
  const auto ny = at(2 * kHour, true, "US", 40.71, -74.0);
  EXPECT_EQ(rules(evaluate({}, ny, {shanghai})),
            (std::vector<std::string>{"new-country", "impossible-travel"}));
  // Twenty hours later the same trip is possible (about 590 km/h).
  const auto later = at(20 * kHour, true, "US", 40.71, -74.0);
  EXPECT_EQ(rules(evaluate({}, later, {shanghai})), (std::vector<std::string>{"new-country"}));
  EXPECT_NEAR(distanceKm(31.23, 121.47, 40.71, -74.0), 11860, 60);
}

TEST(Anomaly, NewDeviceByAppPasswordOrClientNameOnly) {
  auto phone = at(0, true);
  phone.credential = "app-password:p1";
  auto laptop = at(kHour, true);
  laptop.credential = "app-password:l2";
  EXPECT_EQ(rules(evaluate({}, laptop, {phone})), (std::vector<std::string>{"new-device"}));
  auto again = at(2 * kHour, true);
  again.credential = "app-password:l2";
  EXPECT_TRUE(evaluate({}, again, {laptop, phone}).empty());
  // A password sign-in from an unnamed client, whatever its resource, is not a device.
  auto a = at(0, true);
  a.resource = "Conversations.AbCd";
  auto b = at(kHour, true);
  b.resource = "x7Hq2";
  EXPECT_TRUE(evaluate({}, b, {a}).empty());
  auto named = at(2 * kHour, true);
  named.client = "Gajim";
  EXPECT_EQ(rules(evaluate({}, named, {a})), (std::vector<std::string>{"new-device"}));
}

TEST(Anomaly, FailureBurstFiresOnceAtTheThreshold) {
  AnomalyRules r;
  r.burstThreshold = 3;
  std::vector<storage::LoginRecord> earlier;
  for (int i = 0; i < 2; ++i) earlier.insert(earlier.begin(), at(i * 1000, false));
  EXPECT_EQ(rules(evaluate(r, at(3000, false), earlier)),
            (std::vector<std::string>{"failure-burst"}));
  earlier.insert(earlier.begin(), at(3000, false));
  EXPECT_TRUE(evaluate(r, at(4000, false), earlier).empty());
}

TEST(Anomaly, UnusualHourNeedsAHistory) {
  std::vector<storage::LoginRecord> earlier;
  for (int d = 0; d < 12; ++d) earlier.insert(earlier.begin(), at(d * 24 * kHour + 9 * kHour, true));
  const auto night = at(13 * 24 * kHour + 3 * kHour, true);
  EXPECT_EQ(rules(evaluate({}, night, earlier)), (std::vector<std::string>{"unusual-hour"}));
  const auto morning = at(13 * 24 * kHour + 10 * kHour, true);
  EXPECT_TRUE(evaluate({}, morning, earlier).empty());
}

TEST(Anomaly, RulesFollowTheTenantOptions) {
  core::AccountSecurityOptions o;
  o.anomalyRules = std::vector<std::string>{"impossible-travel"};
  o.anomalyAction = "freeze";
  auto r = anomalyRulesFor(o);
  EXPECT_TRUE(r.impossibleTravel);
  EXPECT_FALSE(r.newDevice);
  EXPECT_EQ(r.action, "freeze");
}

}  // namespace
}  // namespace rampart::security::logins
