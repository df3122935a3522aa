// XEP-0163 Personal Eventing Protocol 1.2 over the XEP-0060 1.26 subset real clients use:
// publish (auto-create, publish-options), retrieve items, retract, node delete/purge/configure,
// and notifications to the owner's and its presence subscribers' sessions filtered by
// XEP-0115 "+notify" capabilities, with the last item sent when a session becomes available.
#include <algorithm>
#include <atomic>

#include "modules/xep0163_pep/caps.h"
#include "modules/xep0163_pep/pep.h"
#include "rampart/core/dataform.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::pep {
namespace {
constexpr std::string_view kStore = "pep";
constexpr std::string_view kNsInternal = "urn:rampart:pep:0";
constexpr std::string_view kNsInfo = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kNsPublishOptions = "http://jabber.org/protocol/pubsub#publish-options";
constexpr std::string_view kNsNodeConfig = "http://jabber.org/protocol/pubsub#node_config";
constexpr std::size_t kMaxPendingDisco = 1000;
constexpr std::size_t kMaxCapsCache = 10000;

std::string nextId(std::string_view prefix) {
  static std::atomic<std::uint64_t> counter{0};
  return std::string(prefix) + std::to_string(++counter);
}

bool validAccess(std::string_view a) {
  return a == "open" || a == "presence" || a == "roster" || a == "whitelist";
}

// "max" or a number in [1, limit]; nullopt when malformed.
std::optional<std::size_t> parseMaxItems(std::string_view v, std::size_t limit) {
  if (v == "max") {
    return limit;
  }
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t n = std::stoul(std::string(v));
  if (n == 0) {
    return std::nullopt;
  }
  return std::min(n, limit);
}

// The stored node, or nullopt when it does not exist (or cannot be read).
std::optional<Node> loadNode(storage::Storage& s, const core::Jid& owner, const std::string& node) {
  auto doc = s.keyValue().get(owner.domain(), owner.local(), kStore, node);
  if (!doc.isOk() || !doc.value()) {
    return std::nullopt;
  }
  return parseNode(*doc.value());
}

// Contacts who see the owner's presence: PEP's implicit subscribers (XEP-0163 section 4).
std::vector<std::string> presenceSubscribers(storage::Storage& s, const core::Jid& owner) {
  std::vector<std::string> out;
  auto roster = s.roster().roster(owner.domain(), owner.local());
  if (roster.isOk()) {
    for (const auto& it : roster.value()) {
      if (it.subscription == storage::Subscription::kFrom ||
          it.subscription == storage::Subscription::kBoth) {
        out.push_back(it.jid);
      }
    }
  }
  return out;
}

core::Element itemElement(std::string_view ns, const Node::Item& item) {
  core::Element e("item", std::string(ns));
  e.setAttr("id", item.id);
  if (auto payload = core::parseElement(item.payload)) {
    e.addChild(std::move(*payload));
  }
  return e;
}

core::DataForm configForm(const Node& node, std::string_view formType, bool submit) {
  core::DataForm f;
  f.type = submit ? "submit" : "form";
  f.add("FORM_TYPE", "hidden", {}, {std::string(formType)});
  auto& access = f.add("pubsub#access_model", "list-single", "Who may subscribe and retrieve",
                       {node.access});
  for (const char* a : {"open", "presence", "roster", "whitelist"}) {
    access.options.emplace_back("", a);
  }
  f.add("pubsub#max_items", "text-single", "Items to keep", {std::to_string(node.maxItems)});
  f.add("pubsub#persist_items", "boolean", "Persist items", {"true"});
  return f;
}

// Applies form fields to `node`. When `precondition` is set (publish-options), a field that
// differs from the existing node's configuration is an error instead of a change.
// Returns false on a malformed or unmet field.
bool applyConfig(Node& node, const core::DataForm& form, std::size_t limit, bool precondition) {
  for (const auto& f : form.fields) {
    if (f.var == "pubsub#access_model") {
      if (!validAccess(f.value())) {
        return false;
      }
      if (precondition && node.access != f.value()) {
        return false;
      }
      node.access = f.value();
    } else if (f.var == "pubsub#max_items") {
      auto n = parseMaxItems(f.value(), limit);
      if (!n) {
        return false;
      }
      if (precondition && node.maxItems != *n) {
        return false;
      }
      node.maxItems = *n;
    } else if (f.var == "pubsub#persist_items") {
      if (f.value() == "0" || f.value() == "false") {
        if (precondition) {
          return false;  // items here are always persistent
        }
      }
    }
    // Other fields (send_last_published_item, notify_*...) follow PEP defaults.
  }
  return true;
}
}  // namespace

std::string serializeNode(const Node& node) {
  core::Element n("node", std::string(kNsInternal));
  n.setAttr("access", node.access).setAttr("max", std::to_string(node.maxItems));
  for (const auto& it : node.items) {
    core::Element& i = n.addChild("item", std::string(kNsInternal));
    i.setAttr("id", it.id);
    i.addText(it.payload);
  }
  return n.str("");
}

std::optional<Node> parseNode(std::string_view xml) {
  auto e = core::parseElement(xml);
  if (!e || !e->is("node", kNsInternal)) {
    return std::nullopt;
  }
  Node n;
  n.access = std::string(e->attrOr("access", "presence"));
  n.maxItems = parseMaxItems(e->attrOr("max", "1"), 1000000).value_or(1);
  for (const auto* i : e->childElements()) {
    n.items.push_back(Node::Item{std::string(i->attrOr("id")), i->text()});
  }
  return n;
}

void PepModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  limits_.maxNodes = static_cast<std::size_t>(ctx.optionInt("max_nodes", 256, 1, 10000));
  limits_.maxItems = static_cast<std::size_t>(ctx.optionInt("max_items", 256, 1, 10000));
  limits_.maxItemBytes =
      static_cast<std::size_t>(ctx.optionInt("max_item_bytes", 262144, 1024, 16 << 20));
  for (const char* f : {"http://jabber.org/protocol/pubsub#publish",
                        "http://jabber.org/protocol/pubsub#auto-create",
                        "http://jabber.org/protocol/pubsub#auto-subscribe",
                        "http://jabber.org/protocol/pubsub#publish-options",
                        "http://jabber.org/protocol/pubsub#access-open",
                        "http://jabber.org/protocol/pubsub#access-presence",
                        "http://jabber.org/protocol/pubsub#access-roster",
                        "http://jabber.org/protocol/pubsub#access-whitelist",
                        "http://jabber.org/protocol/pubsub#persistent-items",
                        "http://jabber.org/protocol/pubsub#retrieve-items",
                        "http://jabber.org/protocol/pubsub#retract-items",
                        "http://jabber.org/protocol/pubsub#delete-nodes",
                        "http://jabber.org/protocol/pubsub#delete-items",
                        "http://jabber.org/protocol/pubsub#purge-nodes",
                        "http://jabber.org/protocol/pubsub#config-node",
                        "http://jabber.org/protocol/pubsub#item-ids",
                        "http://jabber.org/protocol/pubsub#last-published",
                        "http://jabber.org/protocol/pubsub#filtered-notifications",
                        "http://jabber.org/protocol/pubsub#multi-items"}) {
    ctx.addAccountFeature(f);
  }
  ctx.addAccountFeature(kNsPubsub);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNsPubsub,
           [this](const core::Element& iq, core::Session*) { handlePubsub(iq, true); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsPubsub,
           [this](const core::Element& iq, core::Session*) { handlePubsub(iq, false); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNsOwner,
           [this](const core::Element& iq, core::Session*) { handleOwner(iq, true); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsOwner,
           [this](const core::Element& iq, core::Session*) { handleOwner(iq, false); });
  // After the roster module (priority 0) has broadcast the presence.
  ctx.hook(core::events::kPresenceBroadcast, -5,
           [this](core::StanzaEvent& ev) { return onPresence(ev); });
  ctx.hook(core::events::kIqResponse, 0, [this](core::StanzaEvent& ev) { return onIqResponse(ev); });
}

void PepModule::fail(const core::Element& iq, std::string_view condition,
                     std::string_view pubsubCondition, std::string_view text) {
  core::Element err = core::makeErrorReply(iq, core::defaultErrorType(condition), condition, text);
  if (!pubsubCondition.empty()) {
    if (core::Element* e = err.child("error", core::kNsClient)) {
      e->addChild(std::string(pubsubCondition), std::string(kNsErrors));
    }
  }
  ctx_->router().route(std::move(err));
}

void PepModule::handlePubsub(const core::Element& iq, bool set) {
  const core::Element* pubsub = iq.firstChild();
  if (pubsub->name() != "pubsub") {
    fail(iq, "bad-request");
    return;
  }
  const core::Element* action = nullptr;
  const core::Element* options = nullptr;
  for (const auto* c : pubsub->childElements()) {
    if (c->ns() != kNsPubsub) {
      continue;
    }
    if (c->name() == "publish-options") {
      options = c;
    } else if (action == nullptr) {
      action = c;
    }
  }
  if (action == nullptr) {
    fail(iq, "bad-request", {}, "no pubsub action");
    return;
  }
  const std::string& name = action->name();
  if (set && name == "publish") {
    if (!core::isOwnAccountRequest(iq)) {
      fail(iq, "forbidden", {}, "only the owner may publish to a personal node");
      return;
    }
    publish(iq, *action, options);
  } else if (set && name == "retract") {
    if (!core::isOwnAccountRequest(iq)) {
      fail(iq, "forbidden");
      return;
    }
    retract(iq, *action);
  } else if (!set && name == "items") {
    items(iq, *action);
  } else if (set && (name == "subscribe" || name == "unsubscribe")) {
    // PEP subscriptions follow presence subscriptions (XEP-0163 section 4).
    fail(iq, "feature-not-implemented", "unsupported");
  } else if (name == "create" && set) {
    fail(iq, "feature-not-implemented", "unsupported", "nodes are created by publishing");
  } else {
    fail(iq, "feature-not-implemented", "unsupported");
  }
}

void PepModule::publish(const core::Element& iq, const core::Element& pub,
                        const core::Element* options) {
  std::string node(pub.attrOr("node"));
  if (node.empty() || node.size() > 1024) {
    fail(iq, "bad-request", "nodeid-required");
    return;
  }
  auto itemEls = pub.childElements();
  if (itemEls.size() != 1 || itemEls[0]->name() != "item") {
    fail(iq, "bad-request", "invalid-payload", "publish exactly one item");
    return;
  }
  const core::Element* item = itemEls[0];
  auto payloads = item->childElements();
  if (payloads.size() != 1) {
    fail(iq, "bad-request", payloads.empty() ? "payload-required" : "invalid-payload");
    return;
  }
  Node::Item newItem{std::string(item->attrOr("id")), payloads[0]->str("")};
  if (newItem.payload.size() > limits_.maxItemBytes) {
    fail(iq, "not-acceptable", "payload-too-big");
    return;
  }
  if (newItem.id.empty()) {
    newItem.id = nextId("item-");
  }
  std::optional<core::DataForm> form;
  if (options != nullptr) {
    if (const core::Element* x = options->child("x", core::kNsDataForms)) {
      form = core::parseDataForm(*x);
      if (!form || (!form->formType().empty() && form->formType() != kNsPublishOptions)) {
        fail(iq, "bad-request", "invalid-options");
        return;
      }
    }
  }
  auto owner = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  struct Outcome {
    std::string condition;
    std::string pubsubCondition;
    std::string access;
    std::vector<std::string> subscribers;
  };
  const Limits limits = limits_;
  ctx_->query<Outcome>(
      [owner, node, newItem, form, limits](storage::Storage& s) {
        Outcome out;
        auto& kv = s.keyValue();
        auto doc = kv.get(owner.domain(), owner.local(), kStore, node);
        if (!doc.isOk()) {
          out.condition = "internal-server-error";
          return out;
        }
        Node n;
        const bool exists = doc.value().has_value();
        if (exists) {
          auto parsed = parseNode(*doc.value());
          if (!parsed) {
            out.condition = "internal-server-error";
            return out;
          }
          n = std::move(*parsed);
        } else {
          auto all = kv.list(owner.domain(), owner.local(), kStore);
          if (!all.isOk() || all.value().size() >= limits.maxNodes) {
            out.condition = all.isOk() ? "resource-constraint" : "internal-server-error";
            return out;
          }
        }
        if (form && !applyConfig(n, *form, limits.maxItems, exists)) {
          // XEP-0060 section 7.1.5: publish-options that the node does not satisfy.
          out.condition = "conflict";
          out.pubsubCondition = "precondition-not-met";
          return out;
        }
        std::erase_if(n.items, [&](const Node::Item& i) { return i.id == newItem.id; });
        n.items.push_back(newItem);
        while (n.items.size() > n.maxItems) {
          n.items.erase(n.items.begin());
        }
        if (!kv.put(owner.domain(), owner.local(), kStore, node, serializeNode(n)).isOk()) {
          out.condition = "internal-server-error";
          return out;
        }
        out.access = n.access;
        out.subscribers = presenceSubscribers(s, owner);
        return out;
      },
      [this, request, owner, node, newItem](Outcome out) {
        if (!out.condition.empty()) {
          fail(*request, out.condition, out.pubsubCondition);
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        core::Element& p = reply.addChild("pubsub", std::string(kNsPubsub));
        p.addChild("publish", std::string(kNsPubsub))
            .setAttr("node", node)
            .addChild("item", std::string(kNsPubsub))
            .setAttr("id", newItem.id);
        ctx_->router().route(std::move(reply));
        core::Element items("items", std::string(kNsEvent));
        items.setAttr("node", node);
        items.addChild(itemElement(kNsEvent, newItem)).setAttr("publisher", owner.str());
        notify(owner, node, out.access, items, out.subscribers);
      });
}

void PepModule::retract(const core::Element& iq, const core::Element& r) {
  std::string node(r.attrOr("node"));
  auto itemEls = r.childElements();
  if (node.empty() || itemEls.size() != 1 || itemEls[0]->attrOr("id").empty()) {
    fail(iq, "bad-request", node.empty() ? "nodeid-required" : "item-required");
    return;
  }
  std::string id(itemEls[0]->attrOr("id"));
  std::string_view n = r.attrOr("notify");
  const bool notifyRetract = n == "true" || n == "1";
  auto owner = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  struct Outcome {
    std::string condition;
    std::string access;
    std::vector<std::string> subscribers;
  };
  ctx_->query<Outcome>(
      [owner, node, id](storage::Storage& s) {
        Outcome out;
        std::optional<Node> parsed = loadNode(s, owner, node);
        if (!parsed) {
          out.condition = "item-not-found";
          return out;
        }
        auto before = parsed->items.size();
        std::erase_if(parsed->items, [&](const Node::Item& i) { return i.id == id; });
        if (parsed->items.size() == before) {
          out.condition = "item-not-found";
          return out;
        }
        if (!s.keyValue().put(owner.domain(), owner.local(), kStore, node, serializeNode(*parsed))
                 .isOk()) {
          out.condition = "internal-server-error";
          return out;
        }
        out.access = parsed->access;
        out.subscribers = presenceSubscribers(s, owner);
        return out;
      },
      [this, request, owner, node, id, notifyRetract](Outcome out) {
        if (!out.condition.empty()) {
          fail(*request, out.condition);
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        ctx_->router().route(std::move(reply));
        if (notifyRetract) {
          core::Element items("items", std::string(kNsEvent));
          items.setAttr("node", node);
          items.addChild("retract", std::string(kNsEvent)).setAttr("id", id);
          notify(owner, node, out.access, items, out.subscribers);
        }
      });
}

void PepModule::items(const core::Element& iq, const core::Element& req) {
  std::string node(req.attrOr("node"));
  if (node.empty()) {
    fail(iq, "bad-request", "nodeid-required");
    return;
  }
  std::optional<std::size_t> max;
  if (auto m = req.attr("max_items")) {
    max = parseMaxItems(*m, limits_.maxItems);
    if (!max) {
      fail(iq, "bad-request", {}, "max_items must be a positive number");
      return;
    }
  }
  std::vector<std::string> ids;
  for (const auto* i : req.childElements()) {
    if (i->name() == "item" && i->attr("id")) {
      ids.emplace_back(*i->attr("id"));
    }
  }
  auto from = core::Jid::parse(iq.attrOr("from"))->bare();
  auto toAttr = iq.attr("to");
  core::Jid owner = toAttr ? core::Jid::parse(*toAttr)->bare() : from;
  auto request = std::make_shared<core::Element>(iq);
  struct Outcome {
    std::string condition;
    std::string pubsubCondition;
    Node node;
  };
  ctx_->query<Outcome>(
      [owner, from, node](storage::Storage& s) {
        Outcome out;
        std::optional<Node> parsed = loadNode(s, owner, node);
        if (!parsed) {
          out.condition = "item-not-found";
          return out;
        }
        if (from != owner && parsed->access != "open") {
          bool allowed = false;
          if (parsed->access == "presence" || parsed->access == "roster") {
            auto item = s.roster().item(owner.domain(), owner.local(), from.str());
            allowed = item.isOk() && item.value() &&
                      (item.value()->subscription == storage::Subscription::kFrom ||
                       item.value()->subscription == storage::Subscription::kBoth);
          }
          if (!allowed) {
            out.condition = "not-authorized";
            out.pubsubCondition = parsed->access == "whitelist" ? "closed-node"
                                                                 : "presence-subscription-required";
            return out;
          }
        }
        out.node = std::move(*parsed);
        return out;
      },
      [this, request, node, max, ids](Outcome out) {
        if (!out.condition.empty()) {
          fail(*request, out.condition, out.pubsubCondition);
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        core::Element& its = reply.addChild("pubsub", std::string(kNsPubsub))
                                 .addChild("items", std::string(kNsPubsub));
        its.setAttr("node", node);
        const auto& all = out.node.items;
        std::size_t start = 0;
        if (max && *max < all.size()) {
          start = all.size() - *max;  // the most recent ones
        }
        for (std::size_t i = start; i < all.size(); ++i) {
          if (!ids.empty() && std::find(ids.begin(), ids.end(), all[i].id) == ids.end()) {
            continue;
          }
          its.addChild(itemElement(kNsPubsub, all[i]));
        }
        ctx_->router().route(std::move(reply));
      });
}

void PepModule::handleOwner(const core::Element& iq, bool set) {
  if (!core::isOwnAccountRequest(iq)) {
    fail(iq, "forbidden");
    return;
  }
  const core::Element* pubsub = iq.firstChild();
  auto actions = pubsub->childElements();
  if (pubsub->name() != "pubsub" || actions.empty()) {
    fail(iq, "bad-request");
    return;
  }
  const core::Element* action = actions[0];
  std::string node(action->attrOr("node"));
  if (node.empty()) {
    fail(iq, "bad-request", "nodeid-required");
    return;
  }
  const std::string& name = action->name();
  std::optional<core::DataForm> form;
  if (set && name == "configure") {
    const core::Element* x = action->child("x", core::kNsDataForms);
    form = x ? core::parseDataForm(*x) : std::nullopt;
    if (!form) {
      fail(iq, "bad-request", "invalid-options");
      return;
    }
  } else if (!((set && (name == "delete" || name == "purge")) || (!set && name == "configure"))) {
    fail(iq, "feature-not-implemented", "unsupported");
    return;
  }
  auto owner = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  struct Outcome {
    std::string condition;
    Node node;
    std::vector<std::string> subscribers;
  };
  const std::size_t limit = limits_.maxItems;
  ctx_->query<Outcome>(
      [owner, node, name, form, limit](storage::Storage& s) {
        Outcome out;
        auto& kv = s.keyValue();
        std::optional<Node> parsed = loadNode(s, owner, node);
        if (!parsed) {
          out.condition = "item-not-found";
          return out;
        }
        core::Status st = core::Status::ok();
        if (name == "delete") {
          st = kv.remove(owner.domain(), owner.local(), kStore, node);
        } else if (name == "purge") {
          parsed->items.clear();
          st = kv.put(owner.domain(), owner.local(), kStore, node, serializeNode(*parsed));
        } else if (form) {
          if (!applyConfig(*parsed, *form, limit, false)) {
            out.condition = "not-acceptable";
            return out;
          }
          while (parsed->items.size() > parsed->maxItems) {
            parsed->items.erase(parsed->items.begin());
          }
          st = kv.put(owner.domain(), owner.local(), kStore, node, serializeNode(*parsed));
        }
        if (!st.isOk()) {
          out.condition = "internal-server-error";
          return out;
        }
        out.node = std::move(*parsed);
        out.subscribers = presenceSubscribers(s, owner);
        return out;
      },
      [this, request, owner, node, name, set](Outcome out) {
        if (!out.condition.empty()) {
          fail(*request, out.condition);
          return;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        if (!set) {
          core::Element& cfg = reply.addChild("pubsub", std::string(kNsOwner))
                                   .addChild("configure", std::string(kNsOwner));
          cfg.setAttr("node", node);
          cfg.addChild(configForm(out.node, kNsNodeConfig, false).toElement());
        }
        ctx_->router().route(std::move(reply));
        if (name == "delete") {
          core::Element del("delete", std::string(kNsEvent));
          del.setAttr("node", node);
          notify(owner, node, out.node.access, del, out.subscribers);
        } else if (name == "purge") {
          core::Element purge("purge", std::string(kNsEvent));
          purge.setAttr("node", node);
          notify(owner, node, out.node.access, purge, out.subscribers);
        }
      });
}

bool PepModule::wants(const std::string& full, const std::string& node) const {
  std::lock_guard lock(mu_);
  auto it = sessionNotify_.find(full);
  return it != sessionNotify_.end() && it->second->count(node) != 0;
}

void PepModule::notify(const core::Jid& owner, const std::string& node, const std::string& access,
                       const core::Element& payload, const std::vector<std::string>& subscribers) {
  core::Router& router = ctx_->router();
  auto send = [&](const core::SessionPtr& s) {
    if (!s->available() || !wants(s->jid().str(), node)) {
      return;
    }
    core::Element m("message", std::string(core::kNsClient));
    m.setAttr("from", owner.str()).setAttr("to", s->jid().str());
    m.setAttr("type", "headline").setAttr("id", nextId("pep-"));
    m.addChild("event", std::string(kNsEvent)).addChild(payload);
    if (ctx_->filtered(m)) {
      return;  // XEP-0191: nothing from a blocked contact, nothing to a blocked one
    }
    s->deliver(std::make_shared<const core::Element>(std::move(m)));
  };
  for (const auto& s : router.sessionsOf(owner)) {
    send(s);
  }
  if (access == "whitelist") {
    return;  // the owner only
  }
  for (const auto& sub : subscribers) {
    auto j = core::Jid::parse(sub);
    if (!j || j->domain() != owner.domain()) {
      continue;  // tenants stay apart
    }
    for (const auto& s : router.sessionsOf(*j)) {
      send(s);
    }
  }
}

bool PepModule::onPresence(core::StanzaEvent& ev) {
  const core::Element& st = ev.stanza;
  auto from = core::Jid::parse(st.attrOr("from"));
  if (!from || !from->isFull()) {
    return false;
  }
  const std::string full = from->str();
  if (st.attrOr("type") == "unavailable") {
    std::lock_guard lock(mu_);
    sessionNotify_.erase(full);
    return false;
  }
  const bool initial = ev.origin != nullptr && !ev.origin->available();
  const core::Element* c = st.child("c", kNsCaps);
  if (c == nullptr || c->attrOr("ver").empty()) {
    if (initial) {
      std::lock_guard lock(mu_);
      sessionNotify_.erase(full);
    }
    return false;
  }
  std::string ver(c->attrOr("ver"));
  std::shared_ptr<const std::set<std::string>> known;
  {
    std::lock_guard lock(mu_);
    if (auto it = capsByVer_.find(ver); it != capsByVer_.end()) {
      known = it->second;
    }
  }
  if (known) {
    setSessionNotify(full, known, initial);
    return false;
  }
  // Unknown capabilities: ask the client (XEP-0115 section 6.2).
  std::string id = nextId("caps-");
  {
    std::lock_guard lock(mu_);
    if (pending_.size() >= kMaxPendingDisco) {
      pending_.clear();
    }
    pending_[id] = PendingDisco{full, ver, std::string(c->attrOr("hash")), initial};
  }
  core::Element iq("iq", std::string(core::kNsClient));
  iq.setAttr("type", "get").setAttr("id", id).setAttr("from", ctx_->host()).setAttr("to", full);
  iq.addChild("query", std::string(kNsInfo))
      .setAttr("node", std::string(c->attrOr("node")) + "#" + ver);
  ctx_->router().deliverTo(*from, std::make_shared<const core::Element>(std::move(iq)));
  return false;
}

bool PepModule::onIqResponse(core::StanzaEvent& ev) {
  const core::Element& st = ev.stanza;
  PendingDisco p;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(std::string(st.attrOr("id")));
    if (it == pending_.end()) {
      return false;
    }
    p = it->second;
    pending_.erase(it);
  }
  if (st.attrOr("from") != p.full) {
    return true;  // not from the session we asked
  }
  const core::Element* q = st.child("query", kNsInfo);
  if (st.attrOr("type") != "result" || q == nullptr) {
    return true;
  }
  auto notifySet = std::make_shared<std::set<std::string>>();
  for (const auto* f : q->childElements()) {
    std::string_view var = f->attrOr("var");
    if (f->is("feature", kNsInfo) && var.size() > 7 && var.ends_with("+notify")) {
      notifySet->insert(std::string(var.substr(0, var.size() - 7)));
    }
  }
  std::shared_ptr<const std::set<std::string>> shared = notifySet;
  // Shared with other sessions only when the hash checks out (no cache poisoning).
  if (p.hash == "sha-1" && capsVerSha1(*q) == p.ver) {
    std::lock_guard lock(mu_);
    if (capsByVer_.size() >= kMaxCapsCache) {
      capsByVer_.clear();
    }
    capsByVer_[p.ver] = shared;
  }
  setSessionNotify(p.full, shared, p.initial);
  return true;
}

void PepModule::setSessionNotify(const std::string& full,
                                 std::shared_ptr<const std::set<std::string>> n, bool initial) {
  {
    std::lock_guard lock(mu_);
    sessionNotify_[full] = std::move(n);
  }
  if (initial) {
    if (auto j = core::Jid::parse(full)) {
      sendLastItems(*j);
    }
  }
}

void PepModule::sendLastItems(const core::Jid& full) {
  const core::Jid user = full.bare();
  struct Last {
    std::string owner;
    std::string node;
    Node::Item item;
  };
  ctx_->query<std::vector<Last>>(
      [user](storage::Storage& s) {
        std::vector<Last> out;
        auto collect = [&](const core::Jid& owner) {
          auto nodes = s.keyValue().list(owner.domain(), owner.local(), kStore);
          if (!nodes.isOk()) {
            return;
          }
          for (const auto& kv : nodes.value()) {
            auto n = parseNode(kv.value);
            if (!n || n->items.empty() || (owner != user && n->access == "whitelist")) {
              continue;
            }
            out.push_back(Last{owner.str(), kv.key, n->items.back()});
          }
        };
        collect(user);
        auto roster = s.roster().roster(user.domain(), user.local());
        if (roster.isOk()) {
          for (const auto& it : roster.value()) {
            if (it.subscription != storage::Subscription::kTo &&
                it.subscription != storage::Subscription::kBoth) {
              continue;
            }
            auto contact = core::Jid::parse(it.jid);
            if (contact && contact->domain() == user.domain() && !contact->local().empty()) {
              collect(contact->bare());
            }
          }
        }
        return out;
      },
      [this, full](std::vector<Last> items) {
        for (const auto& l : items) {
          if (!wants(full.str(), l.node)) {
            continue;
          }
          core::Element m("message", std::string(core::kNsClient));
          m.setAttr("from", l.owner).setAttr("to", full.str());
          m.setAttr("type", "headline").setAttr("id", nextId("pep-"));
          core::Element& its =
              m.addChild("event", std::string(kNsEvent)).addChild("items", std::string(kNsEvent));
          its.setAttr("node", l.node);
          its.addChild(itemElement(kNsEvent, l.item)).setAttr("publisher", l.owner);
          if (ctx_->filtered(m)) {
            continue;  // XEP-0191 blocking
          }
          ctx_->router().deliverTo(full, std::make_shared<const core::Element>(std::move(m)));
        }
      });
}

}  // namespace rampart::modules::pep
