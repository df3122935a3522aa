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
// Verifiers of the prepared password (call preparePassword first). Fresh random salts, or
// those of `keep` (the account's current verifiers, when at least `iterations` strong): an
// account's device credentials share its salt and iteration count, so a new password keeps
// them.
std::vector<storage::Credential> makeCredentials(std::string_view preparedPassword,
                                                 std::uint32_t iterations,
                                                 const std::vector<storage::Credential>& keep = {});
}
