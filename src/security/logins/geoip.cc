#include "security/logins/geoip.h"

#include <maxminddb.h>

#include <cmath>

namespace rampart::security::logins {

core::Result<std::unique_ptr<GeoIp>> GeoIp::open(const std::string& path) {
  std::unique_ptr<GeoIp> g(new GeoIp());
  g->db_ = std::make_unique<MMDB_s>();
  const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, g->db_.get());
  if (rc != MMDB_SUCCESS) {
    g->db_.reset();
    return core::Status::invalidArgument("cannot open the GeoIP database " + path + ": " +
                                         MMDB_strerror(rc));
  }
  return g;
}

GeoIp::~GeoIp() {
  if (db_) {
    MMDB_close(db_.get());
  }
}

std::optional<Place> GeoIp::lookup(const std::string& address) const {
  int gaiError = 0;
  int mmdbError = 0;
  MMDB_lookup_result_s r = MMDB_lookup_string(db_.get(), address.c_str(), &gaiError, &mmdbError);
  if (gaiError != 0 || mmdbError != MMDB_SUCCESS || !r.found_entry) {
    return std::nullopt;
  }
  Place p;
  MMDB_entry_data_s data;
  if (MMDB_get_value(&r.entry, &data, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
      data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    p.country.assign(data.utf8_string, std::min<std::uint32_t>(data.data_size, 8));
  }
  if (MMDB_get_value(&r.entry, &data, "city", "names", "en", nullptr) == MMDB_SUCCESS &&
      data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    p.city.assign(data.utf8_string, std::min<std::uint32_t>(data.data_size, 128));
  }
  MMDB_entry_data_s lat, lon;
  if (MMDB_get_value(&r.entry, &lat, "location", "latitude", nullptr) == MMDB_SUCCESS &&
      MMDB_get_value(&r.entry, &lon, "location", "longitude", nullptr) == MMDB_SUCCESS &&
      lat.has_data && lon.has_data && lat.type == MMDB_DATA_TYPE_DOUBLE &&
      lon.type == MMDB_DATA_TYPE_DOUBLE) {
    p.latitude = lat.double_value;
    p.longitude = lon.double_value;
    p.hasLocation = std::abs(p.latitude) <= 90 && std::abs(p.longitude) <= 180;
  }
  return p;
}

double distanceKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dLat = (lat2 - lat1) * kRad;
  const double dLon = (lon2 - lon1) * kRad;
  const double a = std::sin(dLat / 2) * std::sin(dLat / 2) +
                   std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dLon / 2) *
                       std::sin(dLon / 2);
  return 2 * 6371.0 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
}

}  // namespace rampart::security::logins
