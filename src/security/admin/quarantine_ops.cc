// AdminOps: the content reviewers' queue of held messages.

#include "security/admin/admin_ops.h"
#include "security/admin/ops_util.h"

namespace rampart::security::admin {
namespace {
constexpr std::size_t kMaxReason = 2000;  // bytes: 500 characters of Chinese

// The tenant a query without one is about: the caller's own when it holds a tenant-scoped
// role (a tenant asked for explicitly is checked as asked).
std::string scopeOf(const Actor& who, const std::string& asked) {
  if (asked.empty() && who.principal && !who.principal->tenant.empty()) {
    return who.principal->tenant;
  }
  return asked;
}
}  // namespace

core::Result<std::vector<storage::QuarantineItem>> AdminOps::listQuarantine(
    const Actor& who, storage::QuarantineFilter f) {
  f.tenant = scopeOf(who, f.tenant);
  if (auto st = check(who, Permission::kQuarantineRead, f.tenant, audit_action::kQuarantineView,
                      "quarantine");
      !st.isOk()) {
    return st;
  }
  auto items = storage_.content().listQuarantine(f);
  if (!items.isOk()) {
    return items.status();
  }
  auto out = std::move(items).value();
  for (auto& i : out) {
    i.stanza.clear();  // the list shows no message text
  }
  return out;
}

core::Result<storage::QuarantineCounts> AdminOps::quarantineCounts(const Actor& who,
                                                                   const std::string& tenant) {
  const std::string scoped = scopeOf(who, tenant);
  if (auto st = check(who, Permission::kQuarantineRead, scoped, audit_action::kQuarantineView,
                      "quarantine");
      !st.isOk()) {
    return st;
  }
  return storage_.content().quarantineCounts(scoped);
}

core::Result<storage::QuarantineItem> AdminOps::viewQuarantine(const Actor& who,
                                                               std::int64_t id) {
  const auto action = audit_action::kQuarantineView;
  const std::string object = "quarantine:" + std::to_string(id);
  auto item = storage_.content().quarantineById(id);
  if (!item.isOk()) {
    return item.status();
  }
  // An item of another tenant, or none at all, is refused to a tenant-scoped reviewer (403,
  // recorded as denied): the answer does not tell which numbers exist elsewhere.
  const std::string tenant = item.value() ? item.value()->tenant : std::string();
  if (auto st = check(who, Permission::kQuarantineRead, tenant, action, object); !st.isOk()) {
    return st;
  }
  if (!item.value()) {
    record(who, action, object, tenant, AuditResult::kFailure, "no such held message");
    return core::Status::notFound("no such held message");
  }
  if (auto st = record(who, action, object, tenant, AuditResult::kSuccess, {},
                       {{"rule", item.value()->rule}, {"sender", item.value()->sender}});
      !st.isOk()) {
    return detail::unavailable(st);
  }
  return std::move(*item.value());
}

core::Status AdminOps::decideQuarantine(const Actor& who, std::int64_t id, bool approve,
                                        const std::string& reason) {
  const auto action = approve ? audit_action::kQuarantineApprove : audit_action::kQuarantineReject;
  const std::string object = "quarantine:" + std::to_string(id);
  auto item = storage_.content().quarantineById(id);
  if (!item.isOk()) {
    return item.status();
  }
  const std::string tenant = item.value() ? item.value()->tenant : std::string();
  if (auto st = check(who, Permission::kQuarantineDecide, tenant, action, object); !st.isOk()) {
    return st;
  }
  if (!item.value()) {
    record(who, action, object, tenant, AuditResult::kFailure, "no such held message");
    return core::Status::notFound("no such held message");
  }
  if (reason.size() > kMaxReason || (!approve && reason.empty())) {
    record(who, action, object, tenant, AuditResult::kFailure, "a reason is required");
    return core::Status::invalidArgument(
        "a reason of at most 2000 bytes is required to reject (and allowed to approve)");
  }
  if (item.value()->status != "pending") {
    record(who, action, object, tenant, AuditResult::kFailure,
           "already " + item.value()->status);
    return core::Status::failedPrecondition("the message was already " + item.value()->status);
  }
  if (auto st = record(who, action, object, tenant, AuditResult::kSuccess, reason,
                       {{"rule", item.value()->rule}, {"sender", item.value()->sender}});
      !st.isOk()) {
    return detail::unavailable(st);
  }
  auto st = storage_.content().decideQuarantine(id, approve ? "approved" : "rejected", who.name,
                                                now_(), reason);
  if (st.isOk() && contentChanged_) {
    contentChanged_();
  }
  return st;
}

}  // namespace rampart::security::admin
