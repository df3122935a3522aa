// Routing rules: RFC 6120 section 10 (server rules for processing XML stanzas) and
// RFC 6121 section 8 (delivery rules for local users).

#include "core/router_impl.h"

#include <functional>

#include "core/module_host.h"
#include "rampart/core/stanza.h"

namespace rampart::core {

RouterImpl::RouterImpl(const Config& config, Metrics& metrics)
    : config_(config),
      sessions_(metrics.gauge("rampart_sessions", {}, "Resource-bound client sessions")),
      routed_(metrics.counter("rampart_stanzas_routed_total", {}, "Stanzas routed")) {}

void RouterImpl::addHost(ModuleHost* host) { hosts_[host->host()] = host; }

void RouterImpl::addComponent(std::string domain, ModuleHost* parent, ComponentHandler handler) {
  components_[std::move(domain)] = Component{parent, std::move(handler)};
}

ModuleHost* RouterImpl::host(std::string_view domain) const {
  auto it = hosts_.find(std::string(domain));
  return it == hosts_.end() ? nullptr : it->second;
}

RouterImpl::Stripe& RouterImpl::stripe(const std::string& bare) const {
  return stripes_[std::hash<std::string>{}(bare) % stripes_.size()];
}

SessionPtr RouterImpl::bind(const SessionPtr& session, bool& accepted) {
  const std::string bare = session->jid().bareStr();
  Stripe& s = stripe(bare);
  SessionPtr replaced;
  {
    std::unique_lock lock(s.mu);
    auto& list = s.byBare[bare];
    for (auto& existing : list) {
      if (existing->jid().resource() == session->jid().resource()) {
        if (config_.conflictPolicy == "refuse_new") {
          accepted = false;
          return nullptr;
        }
        replaced = existing;
        existing = session;
        accepted = true;
        return replaced;
      }
    }
    list.push_back(session);
  }
  sessions_.fetch_add(1, std::memory_order_relaxed);
  accepted = true;
  return nullptr;
}

void RouterImpl::unbind(const Session& session) {
  const std::string bare = session.jid().bareStr();
  Stripe& s = stripe(bare);
  std::unique_lock lock(s.mu);
  auto it = s.byBare.find(bare);
  if (it == s.byBare.end()) {
    return;
  }
  auto& list = it->second;
  auto before = list.size();
  std::erase_if(list, [&](const SessionPtr& p) { return p.get() == &session; });
  if (list.size() != before) {
    sessions_.fetch_sub(1, std::memory_order_relaxed);
  }
  if (list.empty()) {
    s.byBare.erase(it);
  }
}

std::vector<SessionPtr> RouterImpl::sessionsOf(const Jid& bare) const {
  const std::string key = bare.bareStr();
  Stripe& s = stripe(key);
  std::shared_lock lock(s.mu);
  auto it = s.byBare.find(key);
  return it == s.byBare.end() ? std::vector<SessionPtr>{} : it->second;
}

SessionPtr RouterImpl::find(const Jid& full) const {
  const std::string key = full.bareStr();
  Stripe& s = stripe(key);
  std::shared_lock lock(s.mu);
  auto it = s.byBare.find(key);
  if (it != s.byBare.end()) {
    for (const auto& p : it->second) {
      if (p->jid().resource() == full.resource()) {
        return p;
      }
    }
  }
  return nullptr;
}

std::size_t RouterImpl::sessionCount() const {
  return static_cast<std::size_t>(sessions_.load(std::memory_order_relaxed));
}

void RouterImpl::redeliver(Element stanza, const Session* except) {
  auto to = Jid::parse(stanza.attrOr("to"));
  if (!to || to->local().empty()) {
    return;
  }
  ModuleHost* h = host(to->domain());
  if (h == nullptr) {
    return;
  }
  std::string_view type = stanza.attrOr("type", "normal");
  if (type == "error" || type == "groupchat" || type == "headline") {
    return;
  }
  const Jid bare = to->bare();
  if (!deliverToBare(bare, std::make_shared<const Element>(stanza), false, except).empty()) {
    return;
  }
  stanza.setAttr("to", bare.str());
  StanzaEvent ev{stanza, nullptr};
  h->fire(events::kMessageOffline, ev);
}

void RouterImpl::replace(const Session& old, const SessionPtr& replacement) {
  const std::string bare = replacement->jid().bareStr();
  Stripe& s = stripe(bare);
  std::unique_lock lock(s.mu);
  auto& list = s.byBare[bare];
  for (auto& existing : list) {
    if (existing.get() == &old) {
      existing = replacement;
      return;
    }
  }
  // The old session was already gone (replaced by a bind in between): bind afresh.
  for (auto& existing : list) {
    if (existing->jid().resource() == replacement->jid().resource()) {
      existing->close("conflict");
      existing = replacement;
      return;
    }
  }
  list.push_back(replacement);
  sessions_.fetch_add(1, std::memory_order_relaxed);
}

bool RouterImpl::deliverStamped(const Jid& fullJid, const ElementPtr& stanza) {
  if (SessionPtr p = find(fullJid)) {
    p->deliverStamped(stanza);
    return true;
  }
  return false;
}

void RouterImpl::deliverTo(const Jid& fullJid, ElementPtr stanza) {
  if (SessionPtr p = find(fullJid)) {
    p->deliver(std::move(stanza));
  }
}

void RouterImpl::delivered(ModuleHost& host, Element& stanza, Session* origin,
                           std::vector<SessionPtr> recipients) {
  StanzaEvent ev{stanza, origin, &recipients};
  host.fire(events::kMessageDelivered, ev);
}

std::vector<SessionPtr> RouterImpl::deliverToBare(const Jid& bare, const ElementPtr& stanza,
                                                  bool allNonNegative, const Session* except) {
  const std::string key = bare.bareStr();
  Stripe& s = stripe(key);
  std::vector<SessionPtr> keep;
  {
    std::shared_lock lock(s.mu);
    auto it = s.byBare.find(key);
    if (it == s.byBare.end()) {
      return keep;
    }
    int best = -1;
    for (const auto& p : it->second) {
      if (!p->available() || p->priority() < 0 || p.get() == except) {
        continue;
      }
      int prio = p->priority();
      if (allNonNegative || prio == best) {
        keep.push_back(p);
      } else if (prio > best) {
        best = prio;
        keep.assign(1, p);
      }
    }
  }
  for (auto& p : keep) {
    p->deliver(stanza);
  }
  return keep;
}

void RouterImpl::bounce(const Element& stanza, std::string_view condition, Session* /*origin*/) {
  std::string_view type = stanza.attrOr("type");
  // Never answer an error or a result with an error (RFC 6120 section 8.3.1).
  if (type == "error" || type == "result") {
    return;
  }
  Element reply = makeErrorReply(stanza, defaultErrorType(condition), condition);
  // The error goes straight back to the sender's session: it must not be subject to the
  // rules (tenant isolation, offline storage) that produced it.
  auto to = Jid::parse(reply.attrOr("to"));
  if (to && to->isFull()) {
    if (SessionPtr p = find(*to)) {
      p->deliver(std::make_shared<const Element>(std::move(reply)));
    }
    return;
  }
  if (to && to->isBare() && !to->local().empty()) {
    routeFrom(std::move(reply), nullptr);
  }
}

void RouterImpl::routeFrom(Element stanza, Session* origin) {
  routed_.fetch_add(1, std::memory_order_relaxed);
  std::optional<Jid> to;
  if (auto t = stanza.attr("to")) {
    to = Jid::parse(*t);
    if (!to) {
      bounce(stanza, "jid-malformed", origin);
      return;
    }
  } else if (auto f = stanza.attr("from")) {
    // No 'to': addressed to the sender's own account (RFC 6120 section 10.3.3).
    auto from = Jid::parse(*f);
    if (!from) {
      return;
    }
    to = from->bare();
    if (stanza.name() == "presence") {
      // Broadcast presence is handled by the presence module via the hook below.
      ModuleHost* h = host(to->domain());
      if (h != nullptr) {
        StanzaEvent ev{stanza, origin};
        h->fire(events::kPresenceBroadcast, ev);
      }
      return;
    }
  } else {
    return;
  }
  ModuleHost* h = host(to->domain());
  // The sender's host when it is local: known from the session, else from 'from'.
  ModuleHost* own = nullptr;
  if (origin != nullptr) {
    own = host(origin->jid().domain());
  } else if (auto f = stanza.attr("from")) {
    auto from = Jid::parse(*f);
    own = from ? host(from->domain()) : nullptr;
  }
  if (h == nullptr) {
    auto c = components_.find(to->domain());
    if (c == components_.end()) {
      // No server-to-server: any other domain is unreachable from here.
      bounce(stanza, "remote-server-not-found", origin);
      return;
    }
    if (!config_.crossHostTraffic && own != nullptr && own != c->second.parent) {
      bounce(stanza, "remote-server-not-found", origin);  // tenants are isolated
      return;
    }
    StanzaEvent ev{stanza, origin};
    if (own != nullptr && own->fire(events::kStanzaFilter, ev)) {
      return;
    }
    c->second.handler(stanza, origin);
    return;
  }
  if (!config_.crossHostTraffic && own != nullptr && own != h) {
    // Tenants are isolated: a host never sees another host's users.
    bounce(stanza, "remote-server-not-found", origin);
    return;
  }
  {
    // Policy filters (blocking, ...) of the recipient's host, then of the sender's.
    StanzaEvent ev{stanza, origin};
    if (h->fire(events::kStanzaFilter, ev)) {
      return;
    }
    if (own != nullptr && own != h && own->fire(events::kStanzaFilter, ev)) {
      return;
    }
    if (origin != nullptr && stanza.name() == "message" && own != nullptr &&
        own->fire(events::kMessageOut, ev)) {
      return;
    }
  }
  if (stanza.name() == "message") {
    routeMessage(stanza, *to, *h, origin);
  } else if (stanza.name() == "presence") {
    routePresence(stanza, *to, *h, origin);
  } else {
    routeIq(stanza, *to, *h, origin);
  }
}

void RouterImpl::routeMessage(Element& stanza, const Jid& to, ModuleHost& host, Session* origin) {
  std::string_view type = stanza.attrOr("type", "normal");
  if (to.local().empty()) {
    // Messages to the server itself: nothing consumes them yet.
    if (to.isBare()) {
      StanzaEvent ev{stanza, origin};
      if (!host.fire("message/host", ev) && type != "error") {
        bounce(stanza, "service-unavailable", origin);
      }
    }
    return;
  }
  {
    StanzaEvent in{stanza, origin};
    if (host.fire(events::kMessageIn, in)) {
      return;
    }
  }
  if (to.isFull()) {
    if (SessionPtr p = find(to)) {
      auto shared = std::make_shared<Element>(std::move(stanza));
      p->deliver(shared);
      delivered(host, *shared, origin, {std::move(p)});
      return;
    }
    // RFC 6121 section 8.5.3.2.1: no such resource.
    if (type == "groupchat") {
      bounce(stanza, "service-unavailable", origin);
      return;
    }
    if (type == "headline" || type == "error") {
      return;
    }
  }
  if (type == "groupchat") {
    bounce(stanza, "service-unavailable", origin);
    return;
  }
  auto shared = std::make_shared<Element>(stanza);
  if (auto recipients = deliverToBare(to.bare(), shared, type == "headline");
      !recipients.empty()) {
    delivered(host, *shared, origin, std::move(recipients));
    return;
  }
  if (type == "headline" || type == "error") {
    return;  // RFC 6121 section 8.5.2.2: silently ignored when no resource is available
  }
  StanzaEvent ev{stanza, origin};
  if (!host.fire(events::kMessageOffline, ev)) {
    bounce(stanza, "service-unavailable", origin);
  }
}

void RouterImpl::routePresence(Element& stanza, const Jid& to, ModuleHost& host,
                               Session* origin) {
  std::string_view type = stanza.attrOr("type");
  if (to.local().empty()) {
    return;  // presence to the server: nothing to do
  }
  if (type == "subscribe" || type == "subscribed" || type == "unsubscribe" ||
      type == "unsubscribed") {
    StanzaEvent ev{stanza, origin};
    if (origin != nullptr) {
      // Outbound: the sender's server processes it first (RFC 6121 section 3).
      ModuleHost* own = this->host(origin->jid().domain());
      if (own != nullptr && own->fire(events::kSubscriptionOut, ev)) {
        return;
      }
    }
    host.fire(events::kSubscriptionIn, ev);
    return;
  }
  if (type == "probe") {
    StanzaEvent ev{stanza, origin};
    host.fire(events::kProbe, ev);
    return;
  }
  auto shared = std::make_shared<const Element>(std::move(stanza));
  if (to.isFull()) {
    if (SessionPtr p = find(to)) {
      p->deliver(shared);
    }
    return;
  }
  for (const auto& p : sessionsOf(to)) {
    if (p->available()) {
      p->deliver(shared);
    }
  }
}

void RouterImpl::routeIq(Element& stanza, const Jid& to, ModuleHost& host, Session* origin) {
  std::string_view type = stanza.attrOr("type");
  const bool request = type == "get" || type == "set";
  if (to.isFull() && !to.local().empty()) {
    if (SessionPtr p = find(to)) {
      p->deliver(std::make_shared<const Element>(std::move(stanza)));
    } else if (request) {
      bounce(stanza, "service-unavailable", origin);
    }
    return;
  }
  if (!request) {
    // Answers to requests the server sent (e.g. a disco#info query for entity caps).
    if (to.local().empty()) {
      StanzaEvent ev{stanza, origin};
      host.fire(events::kIqResponse, ev);
    }
    return;
  }
  const Element* payload = stanza.firstChild();
  if (payload == nullptr) {
    bounce(stanza, "bad-request", origin);
    return;
  }
  const IqScope scope = to.local().empty() ? IqScope::kHost : IqScope::kAccount;
  const IqType iqType = type == "get" ? IqType::kGet : IqType::kSet;
  if (const IqHandler* handler = host.iqHandler(scope, iqType, payload->ns())) {
    (*handler)(stanza, origin);
    return;
  }
  bounce(stanza, "service-unavailable", origin);
}

}  // namespace rampart::core
