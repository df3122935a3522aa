// XEP-0030 Service Discovery 2.5rc3.
#include "modules/xep0030_disco/disco.h"

#include "rampart/core/stanza.h"

namespace rampart::modules::disco {

void DiscoModule::start(core::ModuleContext& ctx) {
  ctx.addFeature(kNsInfo);
  ctx.addFeature(kNsItems);
  core::Router& router = ctx.router();
  const auto& features = features_;
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNsInfo,
           [&router, &features](const core::Element& iq, core::Session*) {
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
             for (const auto& f : features) {
               out.addChild("feature", std::string(kNsInfo)).setAttr("var", f);
             }
             router.route(std::move(r));
           });
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNsItems,
           [&router](const core::Element& iq, core::Session*) {
             const core::Element* q = iq.firstChild();
             if (q->attr("node")) {
               router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "item-not-found"));
               return;
             }
             core::Element r = core::makeIqResult(iq);
             r.addChild("query", std::string(kNsItems));
             router.route(std::move(r));
           });
  // An account's own disco#info (RFC 6121 clients probe their bare JID for PEP and the like).
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNsInfo,
           [&router](const core::Element& iq, core::Session*) {
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
             out.addChild("feature", std::string(kNsInfo)).setAttr("var", kNsInfo);
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
