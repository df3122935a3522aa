#pragma once
// XEP-0082 date-time profile: UTC timestamps in microseconds since the Unix epoch, to and
// from "CCYY-MM-DDThh:mm:ss[.sss]TZD". Stateless; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::core {

std::int64_t nowMicros();
// "2026-11-26T15:05:32.123456Z" (fraction omitted when zero).
std::string formatDateTime(std::int64_t micros);
// Accepts any fraction length and a Z or +hh:mm/-hh:mm offset; nullopt when malformed.
std::optional<std::int64_t> parseDateTime(std::string_view text);

}  // namespace rampart::core
