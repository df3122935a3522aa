// XEP-0199 XMPP Ping 2.0.1: answers pings addressed to the server.
#include "modules/xep0199_ping/ping.h"

#include "rampart/core/stanza.h"

namespace rampart::modules::ping {

void PingModule::start(core::ModuleContext& ctx) {
  ctx.addFeature(kNs);
  core::Router& router = ctx.router();
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs,
           [&router](const core::Element& iq, core::Session*) {
             router.route(core::makeIqResult(iq));
           });
}

}  // namespace rampart::modules::ping
