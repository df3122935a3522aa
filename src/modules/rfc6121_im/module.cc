// RFC 6121 roster, subscriptions and presence.
#include <algorithm>
#include <memory>

#include "modules/rfc6121_im/im.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::im {
namespace {

constexpr std::size_t kMaxRosterItems = 2000;
constexpr std::size_t kMaxGroups = 64;
constexpr std::size_t kMaxNameBytes = 1023;

core::Element itemElement(const RosterItem& it, bool removed) {
  core::Element e("item", std::string(kNsRoster));
  e.setAttr("jid", it.jid);
  if (removed) {
    e.setAttr("subscription", "remove");
    return e;
  }
  if (!it.name.empty()) {
    e.setAttr("name", it.name);
  }
  e.setAttr("subscription", subscriptionName(it.subscription));
  if (it.askOut) {
    e.setAttr("ask", "subscribe");
  }
  for (const auto& g : it.groups) {
    e.addChild("group", std::string(kNsRoster)).addText(g);
  }
  return e;
}

}  // namespace

void ImModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsRoster,
           [this](const core::Element& iq, core::Session* origin) { handleRosterGet(iq, origin); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNsRoster,
           [this](const core::Element& iq, core::Session*) { handleRosterSet(iq); });
  ctx.hook(core::events::kSubscriptionOut, 0,
           [this](core::StanzaEvent& ev) { return onSubscription(ev, true); });
  ctx.hook(core::events::kSubscriptionIn, 0,
           [this](core::StanzaEvent& ev) { return onSubscription(ev, false); });
  ctx.hook(core::events::kPresenceBroadcast, 0,
           [this](core::StanzaEvent& ev) { return onBroadcast(ev); });
  ctx.hook(core::events::kProbe, 0, [this](core::StanzaEvent& ev) { return onProbe(ev); });
}

void ImModule::handleRosterGet(const core::Element& iq, core::Session* origin) {
  if (!core::isOwnAccountRequest(iq)) {
    ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden"));
    return;
  }
  auto from = core::Jid::parse(iq.attrOr("from"));
  if (origin != nullptr) {
    origin->markInterested();
  }
  auto request = std::make_shared<core::Element>(iq);
  core::Jid user = from->bare();
  struct Snapshot {
    core::Result<std::vector<RosterItem>> items{std::vector<RosterItem>{}};
    std::int64_t version = 0;
  };
  ctx_->query<Snapshot>(
      [user](storage::Storage& s) {
        Snapshot snap;
        auto v = s.roster().version(user.domain(), user.local());
        snap.version = v.isOk() ? v.value() : -1;
        snap.items = s.roster().roster(user.domain(), user.local());
        return snap;
      },
      [this, request](Snapshot snap) {
        if (!snap.items.isOk() || snap.version < 0) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        const std::string ver = std::to_string(snap.version);
        const core::Element* q = request->firstChild();
        if (q->attr("ver") && *q->attr("ver") == ver) {
          // RFC 6121 section 2.6.3: unchanged since the client's copy; pushes follow.
          ctx_->router().route(std::move(reply));
          return;
        }
        core::Element& out = reply.addChild("query", std::string(kNsRoster));
        out.setAttr("ver", ver);
        for (const auto& it : snap.items.value()) {
          if (it.inRoster) {
            out.addChild(itemElement(it, false));
          }
        }
        ctx_->router().route(std::move(reply));
      });
}

void ImModule::handleRosterSet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden"));
    return;
  }
  auto from = core::Jid::parse(iq.attrOr("from"));
  const core::Element* query = iq.firstChild();
  auto items = query->childElements();
  // RFC 6121 section 2.3.3: exactly one item, a valid JID, unique non-empty groups.
  if (items.size() != 1 || !items[0]->is("item", kNsRoster)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "a roster set carries exactly one item"));
    return;
  }
  const core::Element& itemEl = *items[0];
  auto contact = core::Jid::parse(itemEl.attrOr("jid"));
  if (!contact) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "jid-malformed"));
    return;
  }
  if (itemEl.attrOr("name").size() > kMaxNameBytes) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                      "the name is too long"));
    return;
  }
  const bool remove = itemEl.attrOr("subscription") == "remove";
  std::vector<std::string> groups;
  for (const core::Element* g : itemEl.childElements()) {
    if (!g->is("group", kNsRoster)) {
      continue;
    }
    std::string name = g->text();
    if (std::find(groups.begin(), groups.end(), name) != groups.end()) {
      // RFC 6121 section 2.3.3: duplicate groups are a bad request.
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                        "group names must be unique"));
      return;
    }
    if (name.empty() || name.size() > kMaxNameBytes || name.find('\n') != std::string::npos) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                        "group names must be non-empty and short"));
      return;
    }
    groups.push_back(std::move(name));
  }
  if (groups.size() > kMaxGroups) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                      "too many groups"));
    return;
  }
  struct Outcome {
    core::Status status;
    std::optional<RosterItem> item;
    bool notFound = false;
    bool full = false;
    std::int64_t version = 0;
  };
  core::Jid user = from->bare();
  const std::string contactStr = contact->bare().str();
  const std::string name(itemEl.attrOr("name"));
  auto request = std::make_shared<core::Element>(iq);
  ctx_->query<Outcome>(
      [user, contactStr, name, groups, remove](storage::Storage& s) {
        Outcome o;
        auto cur = s.roster().item(user.domain(), user.local(), contactStr);
        if (!cur.isOk()) {
          o.status = cur.status();
          return o;
        }
        if (remove) {
          if (!cur.value() || !cur.value()->inRoster) {
            o.notFound = true;
            return o;
          }
          o.item = cur.value();
          o.status = s.roster().removeItem(user.domain(), user.local(), contactStr);
          o.version = s.roster().version(user.domain(), user.local()).value_or(0);
          return o;
        }
        RosterItem it = cur.value().value_or(RosterItem{});
        if (!cur.value()) {
          auto all = s.roster().roster(user.domain(), user.local());
          if (all.isOk() && all.value().size() >= kMaxRosterItems) {
            o.full = true;
            return o;
          }
        }
        it.jid = contactStr;
        it.name = name;
        it.groups = groups;
        it.inRoster = true;
        o.status = s.roster().putItem(user.domain(), user.local(), it);
        o.version = s.roster().version(user.domain(), user.local()).value_or(0);
        o.item = it;
        return o;
      },
      [this, request, user, remove](Outcome o) {
        core::Router& router = ctx_->router();
        if (o.notFound) {
          router.route(core::makeErrorReply(*request, core::ErrorType::kCancel, "item-not-found"));
          return;
        }
        if (o.full) {
          router.route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                            "resource-constraint", "the roster is full"));
          return;
        }
        if (!o.status.isOk() || !o.item) {
          router.route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                            "internal-server-error"));
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        router.route(std::move(reply));
        push(user, *o.item, remove, o.version);
        if (remove) {
          // RFC 6121 section 2.5.2: removing an item cancels both subscriptions.
          const RosterItem& it = *o.item;
          auto send = [&](std::string_view type) {
            core::Element p("presence", std::string(core::kNsClient));
            p.setAttr("type", type).setAttr("from", user.str()).setAttr("to", it.jid);
            router.route(std::move(p));
          };
          if (it.subscription == Subscription::kTo || it.subscription == Subscription::kBoth ||
              it.askOut) {
            send("unsubscribe");
          }
          if (it.subscription == Subscription::kFrom || it.subscription == Subscription::kBoth ||
              it.pendingIn) {
            send("unsubscribed");
            if (it.subscription == Subscription::kFrom || it.subscription == Subscription::kBoth) {
              sendUnavailable(user, *core::Jid::parse(it.jid));  // RFC 6121 section 3.2.2
            }
          }
        }
      });
}

void ImModule::sendUnavailable(const core::Jid& user, const core::Jid& contact) {
  core::Router& router = ctx_->router();
  for (const auto& s : router.sessionsOf(user)) {
    if (s->available()) {
      core::Element p("presence", std::string(core::kNsClient));
      p.setAttr("type", "unavailable").setAttr("from", s->jid().str()).setAttr("to", contact.str());
      router.route(std::move(p));
    }
  }
}

void ImModule::push(const core::Jid& user, const RosterItem& item, bool removed,
                    std::int64_t version) {
  core::Element iq("iq", std::string(core::kNsClient));
  iq.setAttr("type", "set").setAttr("id", "push" + std::to_string(pushId_.fetch_add(1)));
  core::Element& q = iq.addChild("query", std::string(kNsRoster));
  q.setAttr("ver", std::to_string(version));
  q.addChild(itemElement(item, removed));
  for (const auto& s : ctx_->router().sessionsOf(user)) {
    if (s->interested()) {
      core::Element copy = iq;
      copy.setAttr("to", s->jid().str());
      s->deliver(std::make_shared<const core::Element>(std::move(copy)));
    }
  }
}

bool ImModule::onSubscription(core::StanzaEvent& ev, bool outbound) {
  const core::Element& st = ev.stanza;
  auto fromJ = core::Jid::parse(st.attrOr("from"));
  auto toJ = core::Jid::parse(st.attrOr("to"));
  if (!fromJ || !toJ) {
    return true;
  }
  const std::string type(st.attrOr("type"));
  // Outbound: the roster belongs to the sender; inbound: to the recipient.
  const core::Jid user = outbound ? fromJ->bare() : toJ->bare();
  const core::Jid contact = outbound ? toJ->bare() : fromJ->bare();
  if (!outbound && user.local().empty()) {
    return true;
  }
  struct Outcome {
    Transition t;
    std::optional<RosterItem> item;
    bool exists = true;
    std::int64_t version = 0;
  };
  ctx_->query<Outcome>(
      [user, contact, type, outbound](storage::Storage& s) {
        Outcome o;
        auto ex = s.accounts().exists(user.domain(), user.local());
        if (!ex.isOk() || !ex.value()) {
          o.exists = false;
          return o;
        }
        auto cur = s.roster().item(user.domain(), user.local(), contact.str());
        if (!cur.isOk()) {
          return o;
        }
        o.item = cur.value();
        o.t = applySubscription(o.item, contact.str(), type, outbound);
        if (o.t.changed && o.item) {
          s.roster().putItem(user.domain(), user.local(), *o.item);
          o.version = s.roster().version(user.domain(), user.local()).value_or(0);
        }
        return o;
      },
      [this, user, contact, type, outbound, fromFull = *fromJ](Outcome o) {
        core::Router& router = ctx_->router();
        if (!o.exists) {
          if (!outbound && type == "subscribe") {
            // No such user: answer as the account would (RFC 6121 section 3.1.3).
            core::Element p("presence", std::string(core::kNsClient));
            p.setAttr("type", "unsubscribed").setAttr("from", user.str()).setAttr("to",
                                                                                  contact.str());
            router.route(std::move(p));
          }
          return;
        }
        if (o.t.changed && o.item && o.item->inRoster) {
          push(user, *o.item, false, o.version);
        }
        core::Element stanza("presence", std::string(core::kNsClient));
        stanza.setAttr("type", type);
        if (outbound) {
          if (!o.t.deliver) {
            return;
          }
          // Subscription stanzas always carry the bare JID (RFC 6121 section 3.1.2).
          stanza.setAttr("from", user.str()).setAttr("to", contact.str());
          router.route(std::move(stanza));
          if (type == "subscribed") {
            // Let the new subscriber see our current presence (section 3.1.5).
            for (const auto& s : router.sessionsOf(user)) {
              core::ElementPtr last = s->lastPresence();
              if (s->available() && last) {
                core::Element p = *last;
                p.setAttr("from", s->jid().str()).setAttr("to", contact.str());
                router.route(std::move(p));
              }
            }
          } else if (type == "unsubscribed") {
            sendUnavailable(user, contact);  // section 3.2.2
          }
          return;
        }
        if (o.t.autoReply) {
          core::Element p("presence", std::string(core::kNsClient));
          p.setAttr("type", "subscribed").setAttr("from", user.str()).setAttr("to", contact.str());
          router.route(std::move(p));
          return;
        }
        if (!o.t.deliver) {
          return;
        }
        stanza.setAttr("from", contact.str()).setAttr("to", user.str());
        auto shared = std::make_shared<const core::Element>(std::move(stanza));
        for (const auto& s : router.sessionsOf(user)) {
          if (s->available()) {
            s->deliver(shared);
          }
        }
        // A request for an offline user stays pending in the roster and is shown again at
        // the next initial presence (RFC 6121 section 3.1.3).
        (void)fromFull;
      });
  return true;
}

bool ImModule::onBroadcast(core::StanzaEvent& ev) {
  const core::Element& st = ev.stanza;
  auto from = core::Jid::parse(st.attrOr("from"));
  if (!from || !from->isFull()) {
    return false;
  }
  const bool unavailable = st.attrOr("type") == "unavailable";
  const bool initial = !unavailable && ev.origin != nullptr && !ev.origin->available();
  core::Router& router = ctx_->router();
  auto shared = std::make_shared<const core::Element>(st);
  // The user's own available resources see it too (RFC 6121 section 4.2.2).
  for (const auto& s : router.sessionsOf(from->bare())) {
    if (s->available() || s->jid() == *from) {
      if (!(unavailable && s->jid() == *from)) {
        s->deliver(shared);
      }
    }
    // And a newly available resource learns of the others (a user is subscribed to their
    // own presence).
    if (initial && s->jid() != *from && s->available()) {
      if (core::ElementPtr other = s->lastPresence()) {
        core::Element p = *other;
        p.setAttr("from", s->jid().str()).setAttr("to", from->str());
        ev.origin->deliver(std::make_shared<const core::Element>(std::move(p)));
      }
    }
  }
  const core::Jid user = from->bare();
  const core::Jid full = *from;
  ctx_->query<core::Result<std::vector<RosterItem>>>(
      [user](storage::Storage& s) { return s.roster().roster(user.domain(), user.local()); },
      [this, shared, user, full, initial](core::Result<std::vector<RosterItem>> r) {
        if (!r.isOk()) {
          return;
        }
        core::Router& router = ctx_->router();
        for (const auto& it : r.value()) {
          if (it.subscription == Subscription::kFrom || it.subscription == Subscription::kBoth) {
            core::Element p = *shared;
            p.setAttr("to", it.jid);
            router.route(std::move(p));
          }
          if (!initial) {
            continue;
          }
          if (it.subscription == Subscription::kTo || it.subscription == Subscription::kBoth) {
            core::Element probe("presence", std::string(core::kNsClient));
            probe.setAttr("type", "probe").setAttr("from", user.str()).setAttr("to", it.jid);
            router.route(std::move(probe));
          }
          if (it.pendingIn) {
            core::Element sub("presence", std::string(core::kNsClient));
            sub.setAttr("type", "subscribe").setAttr("from", it.jid).setAttr("to", full.str());
            router.deliverTo(full, std::make_shared<const core::Element>(std::move(sub)));
          }
        }
      });
  return false;  // other modules (offline delivery) also react to initial presence
}

bool ImModule::onProbe(core::StanzaEvent& ev) {
  auto from = core::Jid::parse(ev.stanza.attrOr("from"));
  auto to = core::Jid::parse(ev.stanza.attrOr("to"));
  if (!from || !to || to->local().empty()) {
    return true;
  }
  const core::Jid user = to->bare();
  const core::Jid prober = from->bare();
  ctx_->query<core::Result<std::optional<RosterItem>>>(
      [user, prober](storage::Storage& s) {
        return s.roster().item(user.domain(), user.local(), prober.str());
      },
      [this, user, prober](core::Result<std::optional<RosterItem>> r) {
        if (!r.isOk() || !r.value()) {
          return;
        }
        const auto sub = r.value()->subscription;
        if (sub != Subscription::kFrom && sub != Subscription::kBoth) {
          return;  // not authorized to see presence: nothing is revealed
        }
        core::Router& router = ctx_->router();
        bool any = false;
        for (const auto& s : router.sessionsOf(user)) {
          core::ElementPtr last = s->lastPresence();
          if (s->available() && last) {
            core::Element p = *last;
            p.setAttr("from", s->jid().str()).setAttr("to", prober.str());
            router.route(std::move(p));
            any = true;
          }
        }
        if (!any) {
          core::Element p("presence", std::string(core::kNsClient));
          p.setAttr("type", "unavailable").setAttr("from", user.str()).setAttr("to", prober.str());
          router.route(std::move(p));
        }
      });
  return true;
}

}  // namespace rampart::modules::im
