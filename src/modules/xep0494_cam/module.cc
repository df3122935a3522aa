// XEP-0494 Client Access Management 0.1: <list/> (IQ get) and <revoke id=''/> (IQ set),
// addressed to the account itself. Device credentials come from account security
// (security::AccountService, on the storage thread); live sessions from the router.
#include "modules/xep0494_cam/cam.h"

#include <memory>

#include "rampart/core/datetime.h"
#include "rampart/core/jid.h"
#include "rampart/core/session.h"
#include "rampart/core/stanza.h"
#include "rampart/security/account_service.h"

namespace rampart::modules::cam {

namespace {

std::string stamp(std::int64_t ms) { return core::formatDateTime(ms * 1000); }

}  // namespace

void CamModule::start(core::ModuleContext& ctx) {
  core::Router& router = ctx.router();
  security::AccountService* accounts = ctx.accountService();
  auto list = [&ctx, &router, accounts](const core::Element& iq, core::Session* origin) {
    if (origin == nullptr || accounts == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "service-unavailable"));
      return;
    }
    const core::Jid bare = origin->jid().bare();
    // Which credential each live session signed in with.
    auto live = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& s : router.sessionsOf(bare)) {
      live->emplace_back(s->deviceId(), s->jid().resource());
    }
    ctx.query<core::Result<std::vector<storage::DeviceCredential>>>(
        [accounts, jid = bare.bareStr()](storage::Storage&) { return accounts->devices(jid); },
        [&router, iq, live](core::Result<std::vector<storage::DeviceCredential>> devs) {
          if (!devs.isOk()) {
            router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "internal-server-error"));
            return;
          }
          core::Element reply = core::makeIqResult(iq);
          core::Element& clients = reply.addChild("clients", std::string(kNs));
          for (const auto& d : devs.value()) {
            bool connected = false;
            for (const auto& [device, resource] : *live) connected = connected || device == d.id;
            core::Element& c = clients.addChild("client", std::string(kNs));
            c.setAttr("connected", connected ? "true" : "false");
            c.setAttr("id", d.id);
            c.setAttr("type", d.lastUsedMs != 0 || connected ? "session" : "access");
            c.addChild("first-seen", std::string(kNs)).addText(stamp(d.createdMs));
            if (d.lastUsedMs != 0) {
              c.addChild("last-seen", std::string(kNs)).addText(stamp(d.lastUsedMs));
            }
            core::Element& auth = c.addChild("auth", std::string(kNs));
            auth.addChild(d.kind == "fast" ? "fast" : "password", std::string(kNs));
            // A device credential cannot change the password or manage the account's access
            // beyond itself.
            c.addChild("permission", std::string(kNs)).setAttr("status", "normal");
            core::Element& ua = c.addChild("user-agent", std::string(kNs));
            ua.addChild("software", std::string(kNs)).addText(d.client.empty() ? d.name : d.client);
            ua.addChild("device", std::string(kNs)).addText(d.name);
          }
          // Sessions signed in with the account's own password.
          for (const auto& [device, resource] : *live) {
            if (!device.empty()) continue;
            core::Element& c = clients.addChild("client", std::string(kNs));
            c.setAttr("connected", "true");
            c.setAttr("id", "session:" + resource);
            c.setAttr("type", "session");
            c.addChild("auth", std::string(kNs)).addChild("password", std::string(kNs));
            c.addChild("permission", std::string(kNs)).setAttr("status", "unrestricted");
            c.addChild("user-agent", std::string(kNs))
                .addChild("software", std::string(kNs))
                .addText(resource);
          }
          router.route(std::move(reply));
        });
  };
  auto revoke = [&ctx, &router, accounts](const core::Element& iq, core::Session* origin) {
    const core::Element* r = iq.child("revoke", kNs);
    const std::string id(r->attrOr("id"));
    if (origin == nullptr || accounts == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "service-unavailable"));
      return;
    }
    if (id.empty() || id.size() > 200) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                        "revoke needs the id of a client from the list"));
      return;
    }
    if (id.starts_with("session:")) {
      // Signed in with the password: only a new password shuts it out (XEP-0494 3.2).
      core::Element err = core::makeErrorReply(iq, core::ErrorType::kCancel,
                                               "service-unavailable",
                                               "this client signed in with the account's "
                                               "password: change the password to revoke it");
      if (core::Element* e = err.child("error", core::kNsClient)) {
        e->addChild("password-reset-required", std::string(kNs));
      }
      router.route(std::move(err));
      return;
    }
    ctx.query<core::Status>(
        [accounts, jid = origin->jid().bareStr(), id,
         client = origin->jid().resource()](storage::Storage&) {
          return accounts->revokeDevice(jid, id, client);
        },
        [&router, iq](core::Status st) {
          if (st.isOk()) {
            router.route(core::makeIqResult(iq));
          } else if (st.code() == core::Status::Code::kNotFound) {
            router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "item-not-found",
                                              "no such client"));
          } else {
            router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "internal-server-error"));
          }
        });
  };
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs, list);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs, revoke);
  ctx.addFeature(kNs);
}

}  // namespace rampart::modules::cam
