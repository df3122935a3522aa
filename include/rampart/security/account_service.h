#pragma once
// What protocol modules may ask of account security (security/admin implements it). Called
// only on the storage thread, inside ModuleContext::runStorage.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"
#include "rampart/storage/account_security_store.h"

namespace rampart::security {

class AccountService {
 public:
  virtual ~AccountService() = default;
  // The signed-in account `jid` (bare) changes its own password under its tenant's policy.
  // Ok, or InvalidArgument whose message names the rule the password breaks. Audited.
  virtual core::Status changeOwnPassword(const std::string& jid, const std::string& password,
                                         const std::string& client) = 0;
  // The account's device credentials (app passwords, FAST tokens), never their secrets.
  virtual core::Result<std::vector<storage::DeviceCredential>> devices(const std::string& jid) = 0;
  // The account revokes one of its device credentials; the sessions signed in with it end.
  // NotFound when it has no such credential. Audited.
  virtual core::Status revokeDevice(const std::string& jid, const std::string& id,
                                    const std::string& client) = 0;

  // The tenant's privacy notice as it stands for the account; nullopt when the tenant has none.
  struct NoticeState {
    std::string version;
    std::string text;  // in the language asked for (English or Simplified Chinese)
    std::string acceptedVersion;  // the latest version the account accepted; empty: none
    std::int64_t acceptedMs = 0;
    bool required = false;  // the current version waits for an answer
  };
  virtual core::Result<std::optional<NoticeState>> privacyNotice(const std::string& jid,
                                                                 std::string_view lang) = 0;
  // The account accepts `version` of its tenant's notice. FailedPrecondition when that is not
  // the current version; NotFound when the tenant has none. Audited.
  virtual core::Status acceptNotice(const std::string& jid, const std::string& version,
                                    const std::string& client) = 0;
};

}  // namespace rampart::security
