#pragma once
// XEP-0357 Push Notifications: clients register app servers (JID + node); when a message
// reaches an account whose sessions cannot see it (offline, or waiting to be resumed), each
// registered app server gets a summary. Message bodies and senders leave the server only when
// the tenant allows it. Registrations are stored per host and held in memory (shared mutex).
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rampart/core/module_context.h"

namespace rampart::modules::push {
inline constexpr std::string_view kNs = "urn:xmpp:push:0";

struct Registration {
  std::string jid;   // the app server
  std::string node;
  std::string optionsXml;  // the submitted publish-options form, sent back with each push
  // The device credential (app password, FAST token) of the session that enabled it; empty
  // for a session opened with the main password. Revoking that credential ends it.
  std::string device;
};

class PushModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  using List = std::vector<Registration>;
  void onEnable(const core::Element& iq, bool enable, const std::string& device);
  bool onOffline(core::StanzaEvent& ev);
  bool onDelivered(core::StanzaEvent& ev);
  void notify(const core::Jid& user, const core::Element& message);
  void send(const core::Jid& user, const core::Element& message, const List& regs);
  bool allowedService(const core::Jid& jid) const;

  core::ModuleContext* ctx_ = nullptr;
  bool includeBody_ = false;
  bool includeSender_ = false;
  std::vector<std::string> allowedServices_;  // besides JIDs on this host
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const List>> byUser_;  // bare JID
};
}  // namespace rampart::modules::push
