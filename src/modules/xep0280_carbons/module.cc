// XEP-0280 Message Carbons 1.0.1: enable/disable per session, <sent/> copies of what a
// resource sends and <received/> copies of what another resource receives.
#include <algorithm>

#include "modules/xep0280_carbons/carbons.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::carbons {
namespace {
constexpr std::string_view kNsHints = "urn:xmpp:hints";
constexpr std::string_view kNsMucUser = "http://jabber.org/protocol/muc#user";
}  // namespace

bool eligible(const core::Element& m) {
  std::string_view type = m.attrOr("type", "normal");
  if (m.child("private", kNs) != nullptr || m.child("no-copy", kNsHints) != nullptr) {
    return false;
  }
  if (m.child("received", kNs) != nullptr || m.child("sent", kNs) != nullptr) {
    return false;  // never a carbon of a carbon
  }
  if (type == "chat") {
    return true;
  }
  if (type == "normal") {
    // A normal message with a body; MUC invitations (muc#user) are not copied.
    return m.child("body", core::kNsClient) != nullptr && m.child("x", kNsMucUser) == nullptr;
  }
  return false;  // groupchat, headline, error
}

void CarbonsModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  enabledFlag_ = ctx.sessionFlag("carbons");
  ctx.addFeature(kNs);
  // <enable/> and <disable/> share the namespace: one handler.
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session* origin) {
             core::Router& router = ctx_->router();
             const std::string& what = iq.firstChild()->name();
             if (!core::isOwnAccountRequest(iq) || origin == nullptr ||
                 (what != "enable" && what != "disable")) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
               return;
             }
             origin->setFlag(enabledFlag_, what == "enable");
             core::Element reply = core::makeIqResult(iq);
             reply.removeAttr("from");
             router.route(std::move(reply));
           });
  // After blocking (which may drop the message) and archiving (which stamps a stanza-id).
  ctx.hook(core::events::kMessageOut, -10, [this](core::StanzaEvent& ev) { return onSent(ev); });
  ctx.hook(core::events::kMessageDelivered, 0,
           [this](core::StanzaEvent& ev) { return onDelivered(ev); });
}

void CarbonsModule::copyTo(const core::SessionPtr& s, const core::Element& message,
                           std::string_view kind) {
  core::Element c("message", std::string(core::kNsClient));
  c.setAttr("from", s->jid().bareStr()).setAttr("to", s->jid().str());
  c.setAttr("type", message.attrOr("type", "normal"));
  c.addChild(std::string(kind), std::string(kNs))
      .addChild("forwarded", std::string(kNsForward))
      .addChild(message);
  s->deliver(std::make_shared<const core::Element>(std::move(c)));
}

bool CarbonsModule::onSent(core::StanzaEvent& ev) {
  if (ev.origin == nullptr || !eligible(ev.stanza)) {
    return false;
  }
  const core::Jid& sender = ev.origin->jid();
  for (const auto& s : ctx_->router().sessionsOf(sender.bare())) {
    if (s.get() != ev.origin && s->flag(enabledFlag_)) {
      copyTo(s, ev.stanza, "sent");
    }
  }
  return false;
}

bool CarbonsModule::onDelivered(core::StanzaEvent& ev) {
  if (ev.recipients == nullptr || ev.recipients->empty() || !eligible(ev.stanza)) {
    return false;
  }
  const core::Jid user = ev.recipients->front()->jid().bare();
  for (const auto& s : ctx_->router().sessionsOf(user)) {
    if (!s->flag(enabledFlag_) ||
        std::find(ev.recipients->begin(), ev.recipients->end(), s) != ev.recipients->end()) {
      continue;
    }
    // The sender's own resources already got a <sent/> copy.
    if (ev.origin != nullptr && ev.origin->jid().bare() == user) {
      continue;
    }
    copyTo(s, ev.stanza, "received");
  }
  return false;
}

}  // namespace rampart::modules::carbons
