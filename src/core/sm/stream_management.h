#pragma once
// XEP-0198 Stream Management state of one session: the inbound count, the outbound stanzas
// not yet acknowledged, and ack processing with 32-bit wrap-around. Owned by one connection
// and used only on its network thread (moved whole to another connection on resumption).

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "rampart/core/element.h"

namespace rampart::core::sm {

inline constexpr std::string_view kNs = "urn:xmpp:sm:3";

// A stanza on its way to one client. With `toSelf` the stanza is shared among many recipients
// (room fan-out) and is written with 'to' set to the session's own JID.
struct Outbound {
  ElementPtr stanza;
  bool toSelf = false;
};

// An 'h' attribute: a decimal count modulo 2^32; nullopt when malformed.
std::optional<std::uint32_t> parseCount(std::string_view h);

class StreamManagement {
 public:
  // Counters as they would be after a long session (for tests of the 2^32 wrap).
  static StreamManagement withCounts(std::uint32_t inbound, std::uint32_t acked) {
    StreamManagement sm;
    sm.inbound_ = inbound;
    sm.acked_ = acked;
    sm.requestedAt_ = acked;
    return sm;
  }

  bool enabled() const { return enabled_; }
  bool resumable() const { return !id_.empty(); }
  const std::string& id() const { return id_; }
  // `id` empty: acks only, no resumption.
  void enable(std::string id) {
    enabled_ = true;
    id_ = std::move(id);
  }

  // A stanza from the client was handled.
  void countInbound() { ++inbound_; }
  std::uint32_t inbound() const { return inbound_; }

  // A stanza went to the client; it stays queued until acknowledged.
  void sent(Outbound stanza) { unacked_.push_back(std::move(stanza)); }
  std::size_t unackedCount() const { return unacked_.size(); }

  enum class AckResult { kOk, kTooHigh };
  // Applies the client's 'h' (RFC: stanzas handled since enable, modulo 2^32).
  AckResult ack(std::uint32_t h);
  // The outbound count (what 'h' would be if everything were acknowledged).
  std::uint32_t sentCount() const {
    return static_cast<std::uint32_t>(acked_ + unacked_.size());
  }

  // Hands over the unacknowledged stanzas (for retransmission or offline storage).
  std::deque<Outbound> takeUnacked() {
    std::deque<Outbound> out;
    out.swap(unacked_);
    return out;
  }

  // True when an <r/> should follow the stanzas just written: more were sent since the
  // last request. Records the request.
  bool wantAckRequest() {
    if (!enabled_ || unacked_.empty() || sentCount() == requestedAt_) {
      return false;
    }
    requestedAt_ = sentCount();
    return true;
  }

 private:
  bool enabled_ = false;
  std::string id_;
  std::uint32_t inbound_ = 0;
  std::uint32_t acked_ = 0;  // outbound stanzas acknowledged, modulo 2^32
  std::uint32_t requestedAt_ = 0;
  std::deque<Outbound> unacked_;
};

}  // namespace rampart::core::sm
