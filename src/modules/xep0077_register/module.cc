// XEP-0077 In-Band Registration 2.4, section 3.3 (changing the password) for signed-in
// accounts. Creating accounts in band is not offered (accounts are created by administrators),
// and cancelling a registration (section 3.2, <remove/>) is refused: account lifecycle belongs
// to the administration plane.
#include "modules/xep0077_register/register.h"

#include "rampart/core/jid.h"
#include "rampart/core/stanza.h"
#include "rampart/security/account_service.h"

namespace rampart::modules::registration {

void RegisterModule::start(core::ModuleContext& ctx) {
  core::Router& router = ctx.router();
  security::AccountService* accounts = ctx.accountService();
  const std::string host = ctx.host();
  // Section 3.1: what a signed-in account may send: its user name and a new password.
  auto form = [&router, host](const core::Element& iq, core::Session* origin) {
    core::Element reply = core::makeIqResult(iq);
    core::Element& q = reply.addChild("query", std::string(kNs));
    q.addChild("registered", std::string(kNs));
    q.addChild("username", std::string(kNs)).addText(origin ? origin->jid().local() : "");
    q.addChild("password", std::string(kNs));
    router.route(std::move(reply));
  };
  auto change = [&ctx, &router, accounts, host](const core::Element& iq, core::Session* origin) {
    const core::Element* q = iq.child("query", kNs);
    if (origin == nullptr || accounts == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "service-unavailable"));
      return;
    }
    if (q->child("remove", kNs) != nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "not-allowed",
                                        "accounts are removed by an administrator"));
      return;
    }
    // A device's own credential is not the account's password: it cannot replace it.
    if (origin->deviceCredential()) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "not-allowed",
                                        "sign in with the account's password to change it"));
      return;
    }
    const core::Element* user = q->child("username", kNs);
    const core::Element* pass = q->child("password", kNs);
    if (user == nullptr || pass == nullptr || pass->text().empty()) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                        "send <username/> and the new <password/>"));
      return;
    }
    // Only one's own password changes here (Example 19: another name is not-authorized).
    const auto name = core::prepareLocalpart(user->text());
    if (!name || *name != origin->jid().local()) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-authorized",
                                        "only the signed-in account's password can change"));
      return;
    }
    const std::string jid = origin->jid().bareStr();
    const std::string client = origin->jid().resource();
    ctx.query<core::Status>(
        [accounts, jid, password = pass->text(), client](storage::Storage&) {
          return accounts->changeOwnPassword(jid, password, client);
        },
        [&router, iq](core::Status st) {
          if (st.isOk()) {
            router.route(core::makeIqResult(iq));
          } else if (st.code() == core::Status::Code::kInvalidArgument) {
            // XEP-0077 Table 2: the request is not acceptable; the text names the rule.
            router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "not-acceptable",
                                              st.message()));
          } else {
            router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "internal-server-error"));
          }
        });
  };
  ctx.onIq(core::IqScope::kHost, core::IqType::kGet, kNs, form);
  ctx.onIq(core::IqScope::kHost, core::IqType::kSet, kNs, change);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs, form);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs, change);
  ctx.addFeature(kNs);
}

}  // namespace rampart::modules::registration
