#pragma once
// The tenant's privacy notice over XMPP (urn:rampart:privacy:0), so that a client (the bundled
// web client does) shows it at sign-in and records the person's acceptance:
//   <iq type='get'><notice xmlns='urn:rampart:privacy:0' xml:lang='zh-CN'/></iq>
//   -> <notice version='V' required='true|false' accepted='V0' accepted-at='T'>
//        <text xml:lang='zh-CN'>...</text></notice>   (no version: the tenant has no notice)
//   <iq type='set'><accept xmlns='urn:rampart:privacy:0' version='V'/></iq>
//   -> result; <conflict/> when V is not the current version; <item-not-found/> without notice.
// Addressed to the account itself or to its host. Acceptance is kept and audited by account
// security (security::AccountService, on the storage thread). Stateless; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::privacy_notice {
inline constexpr std::string_view kNs = "urn:rampart:privacy:0";
class PrivacyNoticeModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
};
}  // namespace rampart::modules::privacy_notice
