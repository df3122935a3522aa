#pragma once
// XEP-0494 Client Access Management: an account lists what has access to it (its device
// credentials: app passwords and FAST tokens, each with its client, first and last use, and
// whether a session signed in with it is live; and the sessions signed in with the account's
// password) and revokes a device credential, which ends that device's sessions at once.
// Sessions signed in with the password can only be shut out by changing the password
// (<password-reset-required/>). Stateless; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::cam {
inline constexpr std::string_view kNs = "urn:xmpp:cam:0";
class CamModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
};
}  // namespace rampart::modules::cam
