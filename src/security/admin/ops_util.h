#pragma once
// Helpers shared by the files of AdminOps (admin_ops.cc, account_ops.cc). Internal to
// security/admin.

#include <optional>
#include <string>

#include "rampart/core/status.h"

namespace rampart::security::admin::detail {

struct Account {
  std::string host;
  std::string user;
  std::string jid;
};

// A bare account JID, normalized; nullopt otherwise.
std::optional<Account> parseAccount(const std::string& text);
// The error for an action refused because its audit event could not be written.
core::Status unavailable(const core::Status& auditFailure);

}  // namespace rampart::security::admin::detail
