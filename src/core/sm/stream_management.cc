#include "core/sm/stream_management.h"

namespace rampart::core::sm {

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
