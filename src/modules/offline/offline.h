#pragma once
// Offline message storage (RFC 6121 section 8.5.2.1.1 "store", XEP-0160 best practice):
// messages for an account with no available resource are stored durably and delivered, in
// order and stamped with XEP-0203 <delay/>, at the next initial presence. One delivery per
// account runs at a time (a mutex-guarded table); thread-safe.
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
  bool onPresence(core::StanzaEvent& ev);
  void deliverBatch(const core::Jid& full);
  // Ends a delivery; runs another when messages were stored meanwhile.
  void finishBatch(const core::Jid& full);
  core::ModuleContext* ctx_ = nullptr;
  std::mutex mu_;
  std::unordered_map<std::string, bool> inFlight_;  // bare JID -> run again when done
  std::int64_t quota_ = 10000;
};
}  // namespace rampart::modules::offline
