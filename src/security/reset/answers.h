#pragma once
// Security-question answers as they are compared: Unicode NFKC with case folding (ICU), outer
// whitespace removed and inner runs of whitespace made one space, so that "Zhang  San" and
// "zhang san" match, and full-width letters match their ASCII forms. Stored only as Argon2id
// (security/secrets). Stateless; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace rampart::security::reset {

// nullopt for text that is not UTF-8 or is empty after normalising.
std::optional<std::string> normalizeAnswer(std::string_view answer);

}  // namespace rampart::security::reset
