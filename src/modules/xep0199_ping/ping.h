#pragma once
// XEP-0199 (XMPP Ping): replies to <ping/> sent to the server. Stateless; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::ping {
inline constexpr std::string_view kNs = "urn:xmpp:ping";
class PingModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
};
}  // namespace rampart::modules::ping
