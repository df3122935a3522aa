// XEP-0199 XMPP Ping 2.0.1: answers pings addressed to the server, with no 'to', or to an
// account's bare JID.
#include "modules/xep0199_ping/ping.h"

#include "rampart/core/stanza.h"

namespace rampart::modules::ping {

void PingModule::start(core::ModuleContext& ctx) {
  ctx.addFeature(kNs);
  core::Router& router = ctx.router();
  auto pong = [&router](const core::Element& iq, core::Session*) {
    router.route(core::makeIqResult(iq));
  };
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs, pong);
  // Clients ping "the server" with no 'to' (RFC 6120 section 10.3.3: handled by the server on
  // behalf of the account), and the server answers for a bare JID.
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs, pong);
}

}  // namespace rampart::modules::ping
