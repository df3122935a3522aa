#pragma once
// What `rampartctl key status` shows: each tenant's key versions (age, how many account keys),
// which is current, and the background re-encryption's progress. Thread-safe (takes the
// keyring's lock).

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "security/encryption/keyring.h"

namespace rampart::security::encryption {

// `tenants` empty: every tenant with a key.
boost::json::object keyStatus(Keyring& keyring, const std::vector<std::string>& tenants,
                              std::int64_t nowMs, std::uint32_t maxKeyAgeDays);
std::string keyStatusText(const boost::json::object& status);

}  // namespace rampart::security::encryption
