// XEP-0092 Software Version 1.1.
#include "modules/xep0092_version/version.h"

#include "rampart/core/stanza.h"

namespace rampart::modules::version {

void VersionModule::start(core::ModuleContext& ctx) {
  ctx.addFeature(kNs);
  core::Router& router = ctx.router();
  const std::string name = ctx.optionString("name", "Rampart");
  const std::string ver = ctx.optionString("version", RAMPART_VERSION);
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs,
           [&router, name, ver](const core::Element& iq, core::Session*) {
             core::Element r = core::makeIqResult(iq);
             core::Element& q = r.addChild("query", std::string(kNs));
             q.addChild("name", std::string(kNs)).addText(name);
             q.addChild("version", std::string(kNs)).addText(ver);
             router.route(std::move(r));
           });
}

}  // namespace rampart::modules::version
