// XEP-0191 Blocking Command 1.3: blocklist get, block and unblock with pushes to the
// resources that asked for the list, enforcement in both directions, and the presence
// changes that blocking and unblocking imply.
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "modules/xep0191_blocking/blocking.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::blocking {
namespace {
// The lists live under the host (owner ""), keyed by user, so that start-up loads them in one
// read.
constexpr std::string_view kStore = "blocklist";

std::string serialize(const std::vector<core::Jid>& list) {
  std::string out;
  for (const auto& j : list) {
    out += j.str();
    out += '\n';
  }
  return out;
}

std::vector<core::Jid> parseList(const std::string& s) {
  std::vector<core::Jid> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      nl = s.size();
    }
    if (auto j = core::Jid::parse(s.substr(start, nl - start))) {
      out.push_back(*j);
    }
    start = nl + 1;
  }
  return out;
}
}  // namespace

bool matches(const core::Jid& item, const core::Jid& jid) {
  if (item.domain() != jid.domain()) {
    return false;
  }
  if (!item.local().empty()) {
    if (item.local() != jid.local()) {
      return false;
    }
    return item.resource().empty() || item.resource() == jid.resource();
  }
  // Domain items: "domain" covers everything there, "domain/resource" only that resource.
  return item.resource().empty() || (jid.local().empty() && item.resource() == jid.resource());
}

void BlockingModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  maxItems_ = static_cast<std::size_t>(ctx.optionInt("max_items", 1000, 1, 100000));
  askedFlag_ = ctx.sessionFlag("blocklist-requested");
  ctx.addAccountFeature(kNs);
  ctx.addFeature(kNs);
  // The stored lists are in memory before any stanza can be routed.
  const std::string host = ctx.host();
  auto all = ctx.queryNow<core::Result<std::vector<storage::KeyValue>>>(
      [host](storage::Storage& s) { return s.keyValue().list(host, "", kStore); });
  if (!all.isOk()) {
    throw std::runtime_error("cannot load block lists: " + all.status().message());
  }
  for (const auto& kv : all.value()) {
    lists_[kv.key] = std::make_shared<const List>(parseList(kv.value));
  }
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session* origin) { handleGet(iq, origin); });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session*) { handleSet(iq); });
  // Blocking must run before anything else looks at the stanza.
  ctx.hook(core::events::kStanzaFilter, 100, [this](core::StanzaEvent& ev) { return filter(ev); });
}

std::shared_ptr<const BlockingModule::List> BlockingModule::listOf(
    const std::string& bareUser) const {
  std::shared_lock lock(mu_);
  auto it = lists_.find(bareUser);
  return it == lists_.end() ? nullptr : it->second;
}

bool BlockingModule::blocks(const std::string& bareUser, const core::Jid& other) const {
  auto list = listOf(bareUser);
  if (!list) {
    return false;
  }
  for (const auto& item : *list) {
    if (matches(item, other)) {
      return true;
    }
  }
  return false;
}

bool BlockingModule::filter(core::StanzaEvent& ev) {
  {
    std::shared_lock lock(mu_);
    if (lists_.empty()) {
      return false;
    }
  }
  core::Element& st = ev.stanza;
  auto from = core::Jid::parse(st.attrOr("from"));
  auto to = core::Jid::parse(st.attrOr("to"));
  if (!from || !to || from->bare() == to->bare()) {
    return false;  // never between one account's own resources
  }
  const std::string& host = ctx_->host();
  std::string_view type = st.attrOr("type");
  // Inbound: the recipient blocks the sender.
  if (to->domain() == host && !to->local().empty() && blocks(to->bareStr(), *from)) {
    const bool answer = (st.name() == "message" && type != "error") ||
                        (st.name() == "iq" && (type == "get" || type == "set"));
    if (answer && ev.origin != nullptr) {
      // Straight back to the sender: routed, the error would meet the block itself.
      ev.origin->deliver(std::make_shared<const core::Element>(
          core::makeErrorReply(st, core::ErrorType::kCancel, "service-unavailable")));
    }
    return true;  // presence and everything else: dropped without a word
  }
  // Outbound: the sender blocks the recipient.
  if (from->domain() == host && !from->local().empty() && blocks(from->bareStr(), *to)) {
    if (ev.origin != nullptr && type != "error" && type != "result") {
      core::Element err =
          core::makeErrorReply(st, core::ErrorType::kCancel, "not-acceptable");
      if (core::Element* e = err.child("error", core::kNsClient)) {
        e->addChild("blocked", std::string(kNsErrors));
      }
      ev.origin->deliver(std::make_shared<const core::Element>(std::move(err)));
    }
    return true;
  }
  return false;
}

void BlockingModule::handleGet(const core::Element& iq, core::Session* origin) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq) || iq.firstChild()->name() != "blocklist") {
    router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "bad-request"));
    return;
  }
  auto user = core::Jid::parse(iq.attrOr("from"))->bare();
  if (origin != nullptr) {
    origin->setFlag(askedFlag_, true);
  }
  core::Element reply = core::makeIqResult(iq);
  reply.removeAttr("from");
  core::Element& out = reply.addChild("blocklist", std::string(kNs));
  if (auto list = listOf(user.str())) {
    for (const auto& j : *list) {
      out.addChild("item", std::string(kNs)).setAttr("jid", j.str());
    }
  }
  router.route(std::move(reply));
}

void BlockingModule::handleSet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  const core::Element* cmd = iq.firstChild();
  const bool block = cmd->name() == "block";
  if (!core::isOwnAccountRequest(iq) || (!block && cmd->name() != "unblock")) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
    return;
  }
  std::vector<core::Jid> items;
  for (const auto* item : cmd->childElements()) {
    if (item->name() != "item" || item->ns() != kNs) {
      continue;
    }
    auto j = core::Jid::parse(item->attrOr("jid"));
    if (!j) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "jid-malformed"));
      return;
    }
    items.push_back(*j);
  }
  if (block && items.empty()) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "block at least one JID"));
    return;
  }
  auto user = core::Jid::parse(iq.attrOr("from"))->bare();
  const std::string key = user.str();
  List next;
  std::vector<core::Jid> changed;
  {
    auto current = listOf(key);
    if (current) {
      next = *current;
    }
    if (block) {
      for (const auto& j : items) {
        if (std::find(next.begin(), next.end(), j) == next.end()) {
          next.push_back(j);
          changed.push_back(j);
        }
      }
      if (next.size() > maxItems_) {
        router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "resource-constraint",
                                          "the block list is full"));
        return;
      }
    } else if (items.empty()) {
      changed = next;  // unblock everything
      next.clear();
    } else {
      for (const auto& j : items) {
        auto it = std::find(next.begin(), next.end(), j);
        if (it != next.end()) {
          next.erase(it);
          changed.push_back(j);
        }
      }
    }
  }
  auto request = std::make_shared<core::Element>(iq);
  auto payload = std::make_shared<core::Element>(*cmd);
  const std::string host = ctx_->host();
  std::string value = serialize(next);
  auto nextShared = std::make_shared<const List>(std::move(next));
  ctx_->query<bool>(
      [host, key, value](storage::Storage& s) {
        return value.empty() ? s.keyValue().remove(host, "", kStore, key).isOk()
                             : s.keyValue().put(host, "", kStore, key, value).isOk();
      },
      [this, request, payload, user, key, nextShared, changed, block](bool ok) {
        if (!ok) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        {
          std::unique_lock lock(mu_);
          if (nextShared->empty()) {
            lists_.erase(key);
          } else {
            lists_[key] = nextShared;
          }
        }
        // Asynchronous (a roster lookup first), so the list above is in force by then: the
        // unavailable presence of a block is delivered past it, the presence of an unblock
        // passes it.
        announce(user, changed, block);
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        ctx_->router().route(std::move(reply));
        push(user, *payload);
      });
}

void BlockingModule::announce(const core::Jid& user, const std::vector<core::Jid>& changed,
                              bool blocked) {
  // XEP-0191 sections 3.3 and 3.4: contacts allowed to see our presence get unavailable on
  // block and our current presence on unblock.
  std::vector<core::ElementPtr> presences;
  std::vector<core::Jid> fulls;
  for (const auto& s : ctx_->router().sessionsOf(user)) {
    if (s->available()) {
      presences.push_back(s->lastPresence());
      fulls.push_back(s->jid());
    }
  }
  if (fulls.empty()) {
    return;
  }
  for (const auto& contact : changed) {
    if (contact.local().empty()) {
      continue;  // domains have no roster subscription
    }
    const core::Jid bare = contact.bare();
    ctx_->query<bool>(
        [user, bare](storage::Storage& s) {
          auto item = s.roster().item(user.domain(), user.local(), bare.str());
          if (!item.isOk() || !item.value()) {
            return false;
          }
          auto sub = item.value()->subscription;
          return sub == storage::Subscription::kFrom || sub == storage::Subscription::kBoth;
        },
        [this, presences, fulls, contact, blocked](bool allowed) {
          if (!allowed) {
            return;
          }
          for (std::size_t i = 0; i < fulls.size(); ++i) {
            core::Element p("presence", std::string(core::kNsClient));
            if (!blocked && presences[i]) {
              p = *presences[i];
            } else {
              p.setAttr("type", "unavailable");
            }
            p.setAttr("from", fulls[i].str()).setAttr("to", contact.str());
            if (blocked) {
              // The block is not in force yet for this one stanza: deliver directly.
              for (const auto& s : ctx_->router().sessionsOf(contact.bare())) {
                if (contact.resource().empty() || s->jid() == contact) {
                  s->deliver(std::make_shared<const core::Element>(p));
                }
              }
            } else {
              ctx_->router().route(std::move(p));
            }
          }
        });
  }
}

void BlockingModule::push(const core::Jid& user, const core::Element& payload) {
  for (const auto& s : ctx_->router().sessionsOf(user)) {
    if (!s->flag(askedFlag_)) {
      continue;
    }
    core::Element iq("iq", std::string(core::kNsClient));
    static std::atomic<std::uint64_t> counter{0};
    iq.setAttr("type", "set").setAttr("id", "block-push-" + std::to_string(++counter));
    iq.setAttr("to", s->jid().str());
    iq.addChild(payload);
    s->deliver(std::make_shared<const core::Element>(std::move(iq)));
  }
}

}  // namespace rampart::modules::blocking
