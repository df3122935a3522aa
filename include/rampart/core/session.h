#pragma once
// An authenticated, resource-bound client session as routing and modules see it.
// deliver() and the presence accessors are thread-safe; the session's own network thread
// is the only writer of its presence state.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "rampart/core/element.h"
#include "rampart/core/jid.h"

namespace rampart::core {

class Session {
 public:
  virtual ~Session() = default;

  virtual const Jid& jid() const = 0;  // full JID

  // Queues a stanza for this client; the serialization happens on the session's thread.
  virtual void deliver(ElementPtr stanza) = 0;
  // Like deliver(), for one stanza shared by many recipients (room fan-out): it is written
  // with 'to' set to this session's full JID, never copied.
  virtual void deliverStamped(ElementPtr stanza) = 0;

  // Has sent initial presence and not yet unavailable (RFC 6121 section 4.2).
  virtual bool available() const = 0;
  virtual int priority() const = 0;
  // Requested the roster: receives roster pushes (RFC 6121 section 2.1.6).
  virtual bool interested() const = 0;
  virtual void markInterested() = 0;
  // The last available presence broadcast by this session (null when unavailable).
  virtual ElementPtr lastPresence() const = 0;
  // The client's connection is gone and the session waits to be resumed (XEP-0198): what is
  // delivered now is queued, not seen. Thread-safe.
  virtual bool detached() const { return false; }
  // Signed in with a per-device credential (an app password), not the account's password:
  // such a session may not change the account's password. Fixed once bound.
  virtual bool deviceCredential() const { return false; }
  // The id of the device credential (app password, FAST token) it signed in with; empty for
  // the account's password.
  virtual std::string deviceId() const { return {}; }

  // Feature flags that modules keep per session (bits from ModuleContext::sessionFlag), e.g.
  // carbons enabled or client inactive. Thread-safe.
  bool flag(unsigned bit) const {
    return (flags_.load(std::memory_order_acquire) & (1u << bit)) != 0;
  }
  void setFlag(unsigned bit, bool on) {
    if (on) {
      flags_.fetch_or(1u << bit, std::memory_order_acq_rel);
    } else {
      flags_.fetch_and(~(1u << bit), std::memory_order_acq_rel);
    }
  }

  // Ends the session with a stream error (e.g. "conflict", "system-shutdown").
  virtual void close(std::string_view streamErrorCondition) = 0;

 protected:
  // All flag bits at once (carried over when a session is resumed on a new connection).
  std::uint32_t flagBits() const { return flags_.load(std::memory_order_acquire); }
  void setFlagBits(std::uint32_t bits) { flags_.store(bits, std::memory_order_release); }

 private:
  std::atomic<std::uint32_t> flags_{0};
};

using SessionPtr = std::shared_ptr<Session>;

}  // namespace rampart::core
