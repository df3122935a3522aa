#pragma once
// XEP-0280 (Message Carbons): copies of a user's one-to-one messages to the user's other
// carbons-enabled resources. Per-session state is a session flag; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::carbons {
inline constexpr std::string_view kNs = "urn:xmpp:carbons:2";
inline constexpr std::string_view kNsForward = "urn:xmpp:forward:0";

// XEP-0280 section 6: chat messages, and normal messages with a body, unless marked private
// or no-copy; never groupchat, headline or error.
bool eligible(const core::Element& message);

class CarbonsModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  bool onSent(core::StanzaEvent& ev);
  bool onDelivered(core::StanzaEvent& ev);
  void copyTo(const core::SessionPtr& s, const core::Element& message, std::string_view kind);
  core::ModuleContext* ctx_ = nullptr;
  unsigned enabledFlag_ = 0;
};
}  // namespace rampart::modules::carbons
