// XEP-0030 Service Discovery 2.5rc3.
#include "modules/xep0030_disco/disco.h"

#include <algorithm>

#include "rampart/core/stanza.h"

namespace rampart::modules::disco {
namespace {
constexpr std::string_view kNsPubsubPublish = "http://jabber.org/protocol/pubsub#publish";
}  // namespace

void DiscoModule::start(core::ModuleContext& ctx) {
  ctx.addFeature(kNsInfo);
  ctx.addFeature(kNsItems);
  core::Router& router = ctx.router();
  const core::DiscoRegistry& reg = registry_;
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNsInfo,
           [&router, &reg](const core::Element& iq, core::Session*) {
             const core::Element* q = iq.firstChild();
             if (q->attr("node")) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "item-not-found"));
               return;
             }
             core::Element r = core::makeIqResult(iq);
             core::Element& out = r.addChild("query", std::string(kNsInfo));
             out.addChild("identity", std::string(kNsInfo))
                 .setAttr("category", "server")
                 .setAttr("type", "im")
                 .setAttr("name", "Rampart");
             for (const auto& f : reg.hostFeatures) {
               out.addChild("feature", std::string(kNsInfo)).setAttr("var", f);
             }
             for (const auto& form : reg.hostForms) {
               out.addChild(form);
             }
             router.route(std::move(r));
           });
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNsItems,
           [&router, &reg](const core::Element& iq, core::Session*) {
             const core::Element* q = iq.firstChild();
             if (q->attr("node")) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "item-not-found"));
               return;
             }
             core::Element r = core::makeIqResult(iq);
             core::Element& out = r.addChild("query", std::string(kNsItems));
             for (const auto& item : reg.items) {
               core::Element& i = out.addChild("item", std::string(kNsItems));
               i.setAttr("jid", item.jid);
               if (!item.name.empty()) {
                 i.setAttr("name", item.name);
               }
             }
             router.route(std::move(r));
           });
  // An account's own disco#info (RFC 6121 clients probe their bare JID for PEP and the like).
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsInfo,
           [&router, &reg](const core::Element& iq, core::Session*) {
             if (!core::isOwnAccountRequest(iq)) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kCancel,
                                                 "service-unavailable"));
               return;
             }
             core::Element r = core::makeIqResult(iq);
             core::Element& out = r.addChild("query", std::string(kNsInfo));
             out.addChild("identity", std::string(kNsInfo))
                 .setAttr("category", "account")
                 .setAttr("type", "registered");
             if (std::find(reg.accountFeatures.begin(), reg.accountFeatures.end(),
                           kNsPubsubPublish) != reg.accountFeatures.end()) {
               // XEP-0163 section 6.1: a PEP service shows itself as pubsub/pep.
               out.addChild("identity", std::string(kNsInfo))
                   .setAttr("category", "pubsub")
                   .setAttr("type", "pep");
             }
             out.addChild("feature", std::string(kNsInfo)).setAttr("var", kNsInfo);
             out.addChild("feature", std::string(kNsInfo)).setAttr("var", kNsItems);
             for (const auto& f : reg.accountFeatures) {
               out.addChild("feature", std::string(kNsInfo)).setAttr("var", f);
             }
             router.route(std::move(r));
           });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsItems,
           [&router](const core::Element& iq, core::Session*) {
             if (!core::isOwnAccountRequest(iq)) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kCancel,
                                                 "service-unavailable"));
               return;
             }
             core::Element r = core::makeIqResult(iq);
             r.addChild("query", std::string(kNsItems));
             router.route(std::move(r));
           });
}

}  // namespace rampart::modules::disco
