#pragma once
// Masking where the server's log lines leave: every line is masked with the one masking library
// before a sink writes it. Personal data found by the built-in DLP detectors (mobile, identity
// and bank card numbers, passports and permits, e-mail addresses and e-mail-shaped account
// names) and IP addresses keep only their masking rule's ends. Operators find the clear values
// where they are kept and their reading is audited (login records, the audit log).
// Thread-safe.

#include <string>
#include <string_view>

namespace rampart::security::masking {

// `text` with every personal datum masked (IP addresses too, with `addresses`).
std::string maskPersonalData(std::string_view text, bool addresses = true);

// Wraps the sinks of spdlog's default logger so that every line is masked first. Start-up
// only, before other threads log.
void installLogMasking(bool addresses);

}  // namespace rampart::security::masking
