#pragma once
// XEP-0191 (Blocking Command): each account's block list, enforced on every stanza routed to
// or from the account. The lists of a host are held in memory (loaded at start-up) because
// they are consulted on every stanza; guarded by a shared mutex, thread-safe.
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rampart/core/module_context.h"

namespace rampart::modules::blocking {
inline constexpr std::string_view kNs = "urn:xmpp:blocking";
inline constexpr std::string_view kNsErrors = "urn:xmpp:blocking:errors";

// True when `item` (a block-list JID) covers `jid` (XEP-0016 section 2.1 matching order:
// full JID, bare JID, domain/resource, domain).
bool matches(const core::Jid& item, const core::Jid& jid);

class BlockingModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  using List = std::vector<core::Jid>;
  std::shared_ptr<const List> listOf(const std::string& bareUser) const;
  bool blocks(const std::string& bareUser, const core::Jid& other) const;
  bool filter(core::StanzaEvent& ev);
  void handleGet(const core::Element& iq, core::Session* origin);
  void handleSet(const core::Element& iq);
  void announce(const core::Jid& user, const std::vector<core::Jid>& changed, bool blocked);
  void push(const core::Jid& user, const core::Element& payload);

  core::ModuleContext* ctx_ = nullptr;
  std::size_t maxItems_ = 0;
  unsigned askedFlag_ = 0;  // session requested the block list (receives pushes)
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const List>> lists_;  // by bare JID
};
}  // namespace rampart::modules::blocking
