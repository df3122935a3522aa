// urn:rampart:privacy:0: <notice/> (IQ get) and <accept version=''/> (IQ set). See
// privacy_notice.h.
#include "modules/privacy_notice/privacy_notice.h"

#include "rampart/core/datetime.h"
#include "rampart/core/jid.h"
#include "rampart/core/session.h"
#include "rampart/core/stanza.h"
#include "rampart/security/account_service.h"

namespace rampart::modules::privacy_notice {

namespace {

using Notice = security::AccountService::NoticeState;

std::string languageOf(const core::Element& iq, const core::Element& child) {
  std::string lang(child.attrOr("xml:lang"));
  if (lang.empty()) lang = std::string(iq.attrOr("xml:lang"));
  return lang.empty() ? "en" : lang;
}

}  // namespace

void PrivacyNoticeModule::start(core::ModuleContext& ctx) {
  core::Router& router = ctx.router();
  security::AccountService* accounts = ctx.accountService();
  auto get = [&ctx, &router, accounts](const core::Element& iq, core::Session* origin) {
    if (origin == nullptr || accounts == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "service-unavailable"));
      return;
    }
    const core::Element* asked = iq.child("notice", kNs);
    if (asked == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                        "ask with <notice/>"));
      return;
    }
    const std::string lang = languageOf(iq, *asked);
    ctx.query<core::Result<std::optional<Notice>>>(
        [accounts, jid = origin->jid().bareStr(), lang](storage::Storage&) {
          return accounts->privacyNotice(jid, lang);
        },
        [&router, iq, lang](core::Result<std::optional<Notice>> n) {
          if (!n.isOk()) {
            router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "internal-server-error"));
            return;
          }
          core::Element reply = core::makeIqResult(iq);
          core::Element& notice = reply.addChild("notice", std::string(kNs));
          if (!n.value()) {
            notice.setAttr("required", "false");
            router.route(std::move(reply));
            return;
          }
          const Notice& state = *n.value();
          notice.setAttr("version", state.version);
          notice.setAttr("required", state.required ? "true" : "false");
          if (!state.acceptedVersion.empty()) {
            notice.setAttr("accepted", state.acceptedVersion);
            notice.setAttr("accepted-at", core::formatDateTime(state.acceptedMs * 1000));
          }
          core::Element& text = notice.addChild("text", std::string(kNs));
          text.setAttr("xml:lang", lang.starts_with("zh") ? "zh-CN" : "en");
          text.addText(state.text);
          router.route(std::move(reply));
        });
  };
  auto accept = [&ctx, &router, accounts](const core::Element& iq, core::Session* origin) {
    const core::Element* a = iq.child("accept", kNs);
    const std::string version(a ? a->attrOr("version") : std::string_view());
    if (origin == nullptr || accounts == nullptr) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "service-unavailable"));
      return;
    }
    if (version.empty() || version.size() > 64) {
      router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                        "accept needs the version of the notice shown"));
      return;
    }
    ctx.query<core::Status>(
        [accounts, jid = origin->jid().bareStr(), version,
         client = origin->jid().resource()](storage::Storage&) {
          return accounts->acceptNotice(jid, version, client);
        },
        [&router, iq](core::Status st) {
          using C = core::Status::Code;
          if (st.isOk()) {
            router.route(core::makeIqResult(iq));
          } else if (st.code() == C::kNotFound) {
            router.route(core::makeErrorReply(iq, core::ErrorType::kCancel, "item-not-found",
                                              st.message()));
          } else if (st.code() == C::kFailedPrecondition) {
            router.route(
                core::makeErrorReply(iq, core::ErrorType::kCancel, "conflict", st.message()));
          } else {
            router.route(core::makeErrorReply(iq, core::ErrorType::kWait, "internal-server-error"));
          }
        });
  };
  for (auto scope : {core::IqScope::kAccount, core::IqScope::kHost}) {
    ctx.onIq(scope, core::IqType::kGet, kNs, get);
    ctx.onIq(scope, core::IqType::kSet, kNs, accept);
  }
  ctx.addFeature(kNs);
}

}  // namespace rampart::modules::privacy_notice
