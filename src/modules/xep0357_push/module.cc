// XEP-0357 Push Notifications 0.4.1: enable/disable and summary notifications
// (urn:xmpp:push:summary) published to the registered app server.
#include <algorithm>
#include <atomic>
#include <sstream>
#include <stdexcept>

#include "modules/xep0357_push/push.h"
#include "rampart/core/dataform.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::push {
namespace {
constexpr std::string_view kStore = storage::kPushRegistrationStore;
constexpr std::string_view kNsInternal = "urn:rampart:push:0";
constexpr std::string_view kNsPubsub = "http://jabber.org/protocol/pubsub";
constexpr std::size_t kMaxRegistrations = 20;

std::string serialize(const std::vector<Registration>& list) {
  core::Element e("push", std::string(kNsInternal));
  for (const auto& r : list) {
    core::Element& i = e.addChild("r", std::string(kNsInternal));
    i.setAttr("jid", r.jid).setAttr("node", r.node);
    if (!r.device.empty()) i.setAttr("device", r.device);
    i.addText(r.optionsXml);
  }
  return e.str("");
}

std::vector<Registration> parse(std::string_view xml);

// The account's stored registrations, without those of devices whose credential is gone
// (removed from the store as well). Storage thread.
core::Result<std::optional<std::string>> currentRegistrations(storage::Storage& s,
                                                              const std::string& host,
                                                              const std::string& key,
                                                              const std::string& local) {
  auto stored = s.keyValue().get(host, "", kStore, key);
  if (!stored.isOk() || !stored.value()) return stored;
  auto regs = parse(*stored.value());
  auto devices = s.accountSecurity().devices(host, local);
  if (!devices.isOk()) return stored;
  const auto before = regs.size();
  std::erase_if(regs, [&](const Registration& r) {
    return !r.device.empty() &&
           std::none_of(devices.value().begin(), devices.value().end(),
                        [&](const storage::DeviceCredential& d) { return d.id == r.device; });
  });
  if (regs.size() == before) return stored;
  if (regs.empty()) {
    s.keyValue().remove(host, "", kStore, key);
    return std::optional<std::string>();
  }
  std::string kept = serialize(regs);
  s.keyValue().put(host, "", kStore, key, kept);
  return std::optional<std::string>(std::move(kept));
}

std::vector<Registration> parse(std::string_view xml) {
  std::vector<Registration> out;
  if (auto e = core::parseElement(xml)) {
    for (const auto* r : e->childElements()) {
      out.push_back(Registration{std::string(r->attrOr("jid")), std::string(r->attrOr("node")),
                                 r->text(), std::string(r->attrOr("device"))});
    }
  }
  return out;
}

bool worthPushing(const core::Element& m) {
  std::string_view type = m.attrOr("type", "normal");
  if (type == "error" || type == "headline" || type == "groupchat") {
    return false;
  }
  // Something a person would want to know about: a body or encrypted content.
  return m.child("body", core::kNsClient) != nullptr ||
         m.child("encrypted", "urn:xmpp:omemo:2") != nullptr ||
         m.child("encrypted", "eu.siacs.conversations.axolotl") != nullptr;
}
}  // namespace

void PushModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  includeBody_ = ctx.optionBool("include_body", false);
  includeSender_ = ctx.optionBool("include_sender", false);
  std::stringstream services(ctx.optionString("allowed_services", ""));
  for (std::string s; std::getline(services, s, ',');) {
    if (auto j = core::Jid::parse(s)) {
      allowedServices_.push_back(j->str());
    } else if (!s.empty()) {
      throw std::runtime_error("modules.push.allowed_services: '" + s + "' is not a JID");
    }
  }
  const std::string host = ctx.host();
  auto all = ctx.queryNow<core::Result<std::vector<storage::KeyValue>>>(
      [host](storage::Storage& s) { return s.keyValue().list(host, "", kStore); });
  if (!all.isOk()) {
    throw std::runtime_error("cannot load push registrations: " + all.status().message());
  }
  for (const auto& kv : all.value()) {
    byUser_[kv.key] = std::make_shared<const List>(parse(kv.value));
  }
  ctx.addAccountFeature(kNs);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session* origin) {
             const std::string& name = iq.firstChild()->name();
             if (name == "enable" || name == "disable") {
               onEnable(iq, name == "enable", origin ? origin->deviceId() : std::string());
             } else {
               ctx_->router().route(
                   core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
             }
           });
  // Before offline storage consumes the message.
  ctx.hook(core::events::kMessageOffline, 10, [this](core::StanzaEvent& ev) { return onOffline(ev); });
  ctx.hook(core::events::kMessageDelivered, -10,
           [this](core::StanzaEvent& ev) { return onDelivered(ev); });
}

bool PushModule::allowedService(const core::Jid& jid) const {
  if (jid.domain() == ctx_->host()) {
    return true;
  }
  for (const auto& s : allowedServices_) {
    if (s == jid.str() || s == jid.domain()) {
      return true;
    }
  }
  return false;
}

void PushModule::onEnable(const core::Element& iq, bool enable, const std::string& device) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden"));
    return;
  }
  const core::Element* e = iq.firstChild();
  auto service = core::Jid::parse(e->attrOr("jid"));
  std::string node(e->attrOr("node"));
  if (!service || (enable && node.empty()) || node.size() > 1024) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "a push service JID and node are required"));
    return;
  }
  if (enable && !allowedService(*service)) {
    // The tenant decides where notifications may go.
    router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "not-allowed",
                                      "this push service is not allowed here"));
    return;
  }
  std::string options;
  if (const core::Element* x = e->child("x", core::kNsDataForms)) {
    auto form = core::parseDataForm(*x);
    if (!form || form->type != "submit") {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
      return;
    }
    options = x->str("");
    if (options.size() > 8192) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable"));
      return;
    }
  }
  const core::Jid user = core::Jid::parse(iq.attrOr("from"))->bare();
  const std::string key = user.str();
  List next;
  {
    std::shared_lock lock(mu_);
    if (auto it = byUser_.find(key); it != byUser_.end()) {
      next = *it->second;
    }
  }
  std::erase_if(next, [&](const Registration& r) {
    return r.jid == service->str() && (node.empty() || r.node == node);
  });
  if (enable) {
    if (next.size() >= kMaxRegistrations) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "resource-constraint"));
      return;
    }
    next.push_back(Registration{service->str(), node, options, device});
  }
  auto request = std::make_shared<core::Element>(iq);
  auto shared = std::make_shared<const List>(std::move(next));
  const std::string host = ctx_->host();
  std::string value = serialize(*shared);
  const bool empty = shared->empty();
  ctx_->query<bool>(
      [host, key, value, empty](storage::Storage& s) {
        return empty ? s.keyValue().remove(host, "", kStore, key).isOk()
                     : s.keyValue().put(host, "", kStore, key, value).isOk();
      },
      [this, request, key, shared](bool ok) {
        if (!ok) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        {
          std::unique_lock lock(mu_);
          if (shared->empty()) {
            byUser_.erase(key);
          } else {
            byUser_[key] = shared;
          }
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        ctx_->router().route(std::move(reply));
      });
}

bool PushModule::onOffline(core::StanzaEvent& ev) {
  auto to = core::Jid::parse(ev.stanza.attrOr("to"));
  if (to && worthPushing(ev.stanza)) {
    notify(to->bare(), ev.stanza);
  }
  return false;  // offline storage still keeps it
}

bool PushModule::onDelivered(core::StanzaEvent& ev) {
  if (ev.recipients == nullptr || ev.recipients->empty() || !worthPushing(ev.stanza)) {
    return false;
  }
  // Only when no recipient is actually connected (sessions waiting to be resumed).
  for (const auto& s : *ev.recipients) {
    if (!s->detached()) {
      return false;
    }
  }
  notify(ev.recipients->front()->jid().bare(), ev.stanza);
  return false;
}

void PushModule::notify(const core::Jid& user, const core::Element& message) {
  {
    std::shared_lock lock(mu_);
    if (byUser_.find(user.str()) == byUser_.end()) {
      return;
    }
  }
  // The stored registrations decide (an account signed out with its devices has none left):
  // read them again before anything leaves, and refresh the cache. A registration made by a
  // device whose credential has been revoked goes with it.
  const std::string host = ctx_->host();
  auto copy = std::make_shared<core::Element>(message);
  ctx_->query<core::Result<std::optional<std::string>>>(
      [host, key = user.str(), local = user.local()](storage::Storage& s) {
        return currentRegistrations(s, host, key, local);
      },
      [this, user, copy](core::Result<std::optional<std::string>> stored) {
        if (!stored.isOk()) {
          return;
        }
        std::shared_ptr<const List> regs;
        {
          std::unique_lock lock(mu_);
          if (!stored.value()) {
            byUser_.erase(user.str());
            return;
          }
          regs = std::make_shared<const List>(parse(*stored.value()));
          byUser_[user.str()] = regs;
        }
        send(user, *copy, *regs);
      });
}

void PushModule::send(const core::Jid& user, const core::Element& message, const List& regs) {
  static std::atomic<std::uint64_t> counter{0};
  core::DataForm summary;
  summary.type = "submit";
  summary.add("FORM_TYPE", "", {}, {"urn:xmpp:push:summary"});
  summary.add("message-count", "", {}, {"1"});
  if (includeSender_) {
    auto from = core::Jid::parse(message.attrOr("from"));
    summary.add("last-message-sender", "", {}, {from ? from->bareStr() : std::string()});
  }
  if (includeBody_) {
    summary.add("last-message-body", "", {}, {message.childText("body", core::kNsClient)});
  }
  for (const auto& r : regs) {
    // Data residency: an app server outside the account's region gets nothing unless the
    // policy allows it (either way audited).
    if (!ctx_->allowTransfer("push", user.bareStr(), r.jid)) continue;
    core::Element iq("iq", std::string(core::kNsClient));
    iq.setAttr("type", "set").setAttr("from", user.str()).setAttr("to", r.jid);
    iq.setAttr("id", "push-" + std::to_string(++counter));
    core::Element& pubsub = iq.addChild("pubsub", std::string(kNsPubsub));
    core::Element& publish = pubsub.addChild("publish", std::string(kNsPubsub));
    publish.setAttr("node", r.node);
    publish.addChild("item", std::string(kNsPubsub))
        .addChild("notification", std::string(kNs))
        .addChild(summary.toElement());
    if (!r.optionsXml.empty()) {
      if (auto opts = core::parseElement(r.optionsXml)) {
        pubsub.addChild("publish-options", std::string(kNsPubsub)).addChild(std::move(*opts));
      }
    }
    ctx_->router().route(std::move(iq));
  }
}

}  // namespace rampart::modules::push
