#pragma once
// Unguessable identifiers (stanza-ids, upload slots) from OpenSSL's CSPRNG. Thread-safe.
#include <cstddef>
#include <string>

namespace rampart::core {

// `bytes` random bytes as unpadded base64url (RFC 4648 section 5); `bytes` a multiple of 3
// gives a string of 4 * bytes / 3 characters from [A-Za-z0-9_-].
std::string randomToken(std::size_t bytes);

}  // namespace rampart::core
