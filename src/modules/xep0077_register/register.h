#pragma once
// XEP-0077 (In-Band Registration), the password-change use case only: a signed-in account
// changes its own password under its tenant's password policy. Stateless; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::registration {
inline constexpr std::string_view kNs = "jabber:iq:register";
class RegisterModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
};
}  // namespace rampart::modules::registration
