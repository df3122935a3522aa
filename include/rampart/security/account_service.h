#pragma once
// What protocol modules may ask of account security (security/admin implements it). Called
// only on the storage thread, inside ModuleContext::runStorage.

#include <string>

#include "rampart/core/status.h"

namespace rampart::security {

class AccountService {
 public:
  virtual ~AccountService() = default;
  // The signed-in account `jid` (bare) changes its own password under its tenant's policy.
  // Ok, or InvalidArgument whose message names the rule the password breaks. Audited.
  virtual core::Status changeOwnPassword(const std::string& jid, const std::string& password,
                                         const std::string& client) = 0;
};

}  // namespace rampart::security
