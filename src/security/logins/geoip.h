#pragma once
// Where a client address is (country, city, coordinates), from an operator-supplied MaxMind DB
// file (GeoLite2-City, GeoIP2-City, DB-IP, or any database in that format with the same
// fields), read with libmaxminddb. Thread-safe after open: lookups only read the mapped file.

#include <memory>
#include <optional>
#include <string>

#include "rampart/core/status.h"

struct MMDB_s;

namespace rampart::security::logins {

struct Place {
  std::string country;  // ISO 3166-1 alpha-2
  std::string city;     // English name
  double latitude = 0;
  double longitude = 0;
  bool hasLocation = false;
};

class GeoIp {
 public:
  // Opens the database (memory-mapped); an error names the file and the problem.
  static core::Result<std::unique_ptr<GeoIp>> open(const std::string& path);
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // nullopt: not an address, or not in the database.
  std::optional<Place> lookup(const std::string& address) const;

 private:
  GeoIp() = default;
  std::unique_ptr<MMDB_s> db_;
};

// Great-circle distance in kilometres (haversine, mean Earth radius 6371 km).
double distanceKm(double lat1, double lon1, double lat2, double lon2);

}  // namespace rampart::security::logins
