#pragma once
// The router: session registry (striped by bare JID, no global lock) and the RFC 6120/6121
// delivery rules. Thread-safe; called from every network thread.

#include <array>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "rampart/core/metrics.h"
#include "rampart/core/module_context.h"
#include "rampart/core/router.h"

namespace rampart::core {

class ModuleHost;

class RouterImpl final : public Router {
 public:
  RouterImpl(const Config& config, Metrics& metrics);

  void addHost(ModuleHost* host);  // start-up only
  void addComponent(std::string domain, ModuleHost* parent, ComponentHandler handler);
  ModuleHost* host(std::string_view domain) const;

  void route(Element stanza) override { routeFrom(std::move(stanza), nullptr); }
  // Routes a stanza; origin is the local session that sent it, if any.
  void routeFrom(Element stanza, Session* origin);
  void deliverTo(const Jid& fullJid, ElementPtr stanza) override;
  bool deliverStamped(const Jid& fullJid, const ElementPtr& stanza) override;
  void redeliver(Element stanza, const Session* except = nullptr) override;
  // XEP-0198 resumption: `replacement` takes over the registry slot of `old`.
  void replace(const Session& old, const SessionPtr& replacement);
  std::vector<SessionPtr> sessionsOf(const Jid& bare) const override;
  bool isLocalHost(std::string_view domain) const override { return host(domain) != nullptr; }

  // Binds a session. Returns the session it replaced (kick_old policy), or, under
  // refuse_new, false in `accepted` when the resource is taken.
  SessionPtr bind(const SessionPtr& session, bool& accepted);
  void unbind(const Session& session);
  std::size_t sessionCount() const;

 private:
  struct Stripe {
    mutable std::shared_mutex mu;
    std::unordered_map<std::string, std::vector<SessionPtr>> byBare;
  };
  Stripe& stripe(const std::string& bare) const;
  SessionPtr find(const Jid& full) const;

  void routeMessage(Element& stanza, const Jid& to, ModuleHost& host, Session* origin);
  void routePresence(Element& stanza, const Jid& to, ModuleHost& host, Session* origin);
  void routeIq(Element& stanza, const Jid& to, ModuleHost& host, Session* origin);
  void bounce(const Element& stanza, std::string_view condition, Session* origin);
  // Delivers to the highest-priority available resources; returns them (empty: none).
  std::vector<SessionPtr> deliverToBare(const Jid& bare, const ElementPtr& stanza,
                                        bool allNonNegative, const Session* except = nullptr);
  // Fires message/delivered; `stanza` is shared with the recipients and must stay unchanged.
  void delivered(ModuleHost& host, Element& stanza, Session* origin,
                 std::vector<SessionPtr> recipients);

  const Config& config_;
  std::unordered_map<std::string, ModuleHost*> hosts_;
  struct Component {
    ModuleHost* parent;
    ComponentHandler handler;
  };
  std::unordered_map<std::string, Component> components_;
  mutable std::array<Stripe, 64> stripes_;
  std::atomic<std::int64_t>& sessions_;
  std::atomic<std::int64_t>& routed_;
};

}  // namespace rampart::core
