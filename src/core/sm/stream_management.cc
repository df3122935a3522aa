#include "core/sm/stream_management.h"

namespace rampart::core::sm {

std::optional<std::uint32_t> parseCount(std::string_view h) {
  if (h.empty() || h.size() > 10 || h.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  const unsigned long long v = std::stoull(std::string(h));
  if (v > 0xFFFFFFFFull) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

StreamManagement::AckResult StreamManagement::ack(std::uint32_t h) {
  // Unsigned arithmetic: the difference is right across the 2^32 wrap.
  const std::uint32_t newly = h - acked_;
  if (newly > unacked_.size()) {
    return AckResult::kTooHigh;
  }
  for (std::uint32_t i = 0; i < newly; ++i) {
    unacked_.pop_front();
  }
  acked_ = h;
  return AckResult::kOk;
}

}  // namespace rampart::core::sm
