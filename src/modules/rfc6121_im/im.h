#pragma once
// RFC 6121 instant messaging and presence: roster management (section 2), the subscription
// state machine (section 3) and presence broadcast/probes (section 4). Roster state lives in
// storage; each read-modify-write runs as one step on the storage thread, which serializes
// them. Handlers may run on any network thread.

#include <atomic>
#include <optional>

#include "rampart/core/module_context.h"

namespace rampart::modules::im {

inline constexpr std::string_view kNsRoster = "jabber:iq:roster";

using storage::RosterItem;
using storage::Subscription;

// Outcome of applying a subscription stanza to one side's roster item.
struct Transition {
  bool changed = false;  // the item changed: push it to interested resources
  bool deliver = false;  // hand the stanza on (route it / deliver it to the user)
  bool autoReply = false;  // answer 'subscribed' on the user's behalf (already approved)
};

// Pure state machine (RFC 6121 sections 3.1-3.3, Appendix A). `item` is the user's roster
// item for the contact (nullopt when absent); it is created or updated in place.
// outbound: the user sent `type`; otherwise the contact sent it to the user.
Transition applySubscription(std::optional<RosterItem>& item, std::string_view contact,
                             std::string_view type, bool outbound);

std::string_view subscriptionName(Subscription s);

class ImModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  void handleRosterGet(const core::Element& iq, core::Session* origin);
  void handleRosterSet(const core::Element& iq);
  bool onSubscription(core::StanzaEvent& ev, bool outbound);
  bool onBroadcast(core::StanzaEvent& ev);
  bool onProbe(core::StanzaEvent& ev);
  // Unavailable presence from each of the user's available resources to a former subscriber.
  void sendUnavailable(const core::Jid& user, const core::Jid& contact);
  void push(const core::Jid& user, const RosterItem& item, bool removed, std::int64_t version);

  core::ModuleContext* ctx_ = nullptr;
  std::atomic<std::uint64_t> pushId_{1};
};

}  // namespace rampart::modules::im
