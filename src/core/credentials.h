#pragma once
// Turns a password into the stored SCRAM verifiers (SHA-1 and SHA-256, fresh random salts).
// The password itself is never stored. Thread-safe.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/storage/stores.h"

namespace rampart::core {
// A password prepared with the PRECIS OpaqueString profile (RFC 8265 section 4.2, which
// RFC 7677 clients apply before SCRAM): other spaces become U+0020, then NFC. Empty when the
// password holds characters the profile disallows (controls, unassigned code points).
std::optional<std::string> preparePassword(std::string_view password);
// Verifiers of the prepared password (call preparePassword first).
std::vector<storage::Credential> makeCredentials(std::string_view preparedPassword,
                                                 std::uint32_t iterations);
}
