#pragma once
// Masking where the server's log lines leave: every line is masked with the one masking library
// before a sink writes it. Personal data found by the built-in DLP detectors (mobile, identity
// and bank card numbers, passports and permits, e-mail addresses and e-mail-shaped account
// names) and IP addresses keep only their masking rule's ends. Operators find the clear values
// where they are kept and their reading is audited (login records, the audit log).
// Thread-safe.

#include <span>
#include <string>
#include <string_view>

namespace rampart::security::masking {

// `text` with every personal datum masked (IP addresses too, with `addresses`). E-mail-shaped
// matches whose domain is one of `accountDomains` (lower case) are this server's account JIDs,
// identifiers an administrator acts on: they stay as they are (any letter case).
std::string maskPersonalData(std::string_view text, bool addresses = true,
                             std::span<const std::string> accountDomains = {});

// Whether `domain` is one of `accountDomains`, ignoring ASCII case.
bool isAccountDomain(std::string_view domain, std::span<const std::string> accountDomains);

// `text` with its IPv4 and IPv6 addresses masked (an IPv4 ":port" suffix stays).
std::string maskAddresses(std::string_view text);

// Wraps the sinks of spdlog's default logger so that every line is masked first. Start-up
// only, before other threads log.
void installLogMasking(bool addresses);

}  // namespace rampart::security::masking
