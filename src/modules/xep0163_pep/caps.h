#pragma once
// XEP-0115 entity capabilities: the verification string of a disco#info result, so that a
// client's advertised 'ver' can be checked before it is trusted for other sessions.
// Stateless; thread-safe.
#include <optional>
#include <string>

#include "rampart/core/element.h"

namespace rampart::modules::pep {
inline constexpr std::string_view kNsCaps = "http://jabber.org/protocol/caps";

// base64(SHA-1(S)) for the <query xmlns='disco#info'/> `info`, per XEP-0115 section 5.1;
// nullopt when the result is malformed (duplicate identities/features/forms).
std::optional<std::string> capsVerSha1(const core::Element& info);

}  // namespace rampart::modules::pep
