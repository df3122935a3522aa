#pragma once
// Turns a password into the stored SCRAM verifiers (SHA-1 and SHA-256, fresh random salts).
// The password itself is never stored. Thread-safe.
#include <string_view>
#include <vector>

#include "rampart/storage/stores.h"

namespace rampart::core {
std::vector<storage::Credential> makeCredentials(std::string_view password,
                                                 std::uint32_t iterations);
}
