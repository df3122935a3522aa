#pragma once
// Offline message storage (RFC 6121 section 8.5.2.1.1 "store", XEP-0160 best practice):
// messages for an account with no available resource are stored durably and delivered, in
// order and stamped with XEP-0203 <delay/>, at the next initial presence.
#include "rampart/core/module_context.h"

namespace rampart::modules::offline {
class OfflineModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  bool onMessage(core::StanzaEvent& ev);
  bool onPresence(core::StanzaEvent& ev);
  void deliverBatch(const core::Jid& full);
  core::ModuleContext* ctx_ = nullptr;
  std::int64_t quota_ = 10000;
};
}  // namespace rampart::modules::offline
