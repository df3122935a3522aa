#pragma once
// What `rampartctl scan status` and the admin API's GET /api/v1/scan/status report: per clamd
// socket in use, the tenants using it, whether clamd answers, its engine and its signature
// version and date. Blocks for at most `timeout` per socket (a Unix socket of a stopped
// daemon refuses at once).

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "core/config.h"

namespace rampart::security::filescan {

boost::json::array scanStatus(const core::Config& config, const std::vector<std::string>& hosts,
                              std::chrono::seconds timeout);

}  // namespace rampart::security::filescan
