#pragma once
// Offline message storage (RFC 6121 section 8.5.2.1.1 "store", XEP-0160 best practice):
// messages for an account with no available resource are stored durably and delivered, in
// order and stamped with XEP-0203 <delay/>, at the next initial presence. One delivery per
// account runs at a time (a mutex-guarded table); thread-safe.
#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "rampart/core/module_context.h"

namespace rampart::modules::offline {
class OfflineModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  bool onMessage(core::StanzaEvent& ev);
  // A message for an account whose stored messages are being delivered to a session that
  // just became available: it joins the end of the queue, so nothing overtakes them.
  bool onIncoming(core::StanzaEvent& ev);
  bool onPresence(core::StanzaEvent& ev);
  // Starts a delivery to `full`, or marks the running one to run again.
  void deliverBatch(const core::Jid& full);
  void fetchBatch(const core::Jid& full);
  // Ends a delivery; runs another when messages were stored meanwhile.
  void finishBatch(const core::Jid& full);
  core::ModuleContext* ctx_ = nullptr;
  std::mutex mu_;
  struct Delivery {
    bool again = false;  // run again when done: messages were stored meanwhile
    std::string full;    // the session being delivered to
  };
  std::unordered_map<std::string, Delivery> inFlight_;  // by bare JID
  std::atomic<int> deliveries_{0};                      // inFlight_.size(), read without mu_
  std::int64_t quota_ = 10000;
};
}  // namespace rampart::modules::offline
