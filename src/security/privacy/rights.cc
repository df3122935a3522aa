#include "security/privacy/rights.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "rampart/core/datetime.h"
#include "rampart/core/random.h"
#include "security/admin/ops_util.h"
#include "storage/encrypted/setup.h"

namespace rampart::security::privacy {

namespace json = boost::json;
namespace action = audit_action;

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Where whereFor(const core::Config& config, std::string_view host, std::int64_t now) {
  Where where;
  where.dataDir = config.dataDirFor(host);  // the tenant's region (data residency)
  where.encrypted = config.encryption.enabled;
  where.nowMs = now;
  // The tenant's group chat service first (configured, or conference.HOST for a host not in
  // it), then every other host's, and the other account domains.
  const auto tenancy = storage::encrypted::tenancyFor(config);
  const auto configured = std::find_if(config.hosts.begin(), config.hosts.end(),
                                       [&](const auto& h) { return tenancy(h.name).tenant == host; });
  where.roomServices.push_back(configured != config.hosts.end()
                                   ? storage::encrypted::roomServiceOf(config, *configured)
                                   : "conference." + std::string(host));
  for (const auto& h : config.hosts) {
    if (tenancy(h.name).tenant == tenancy(host).tenant) continue;
    where.otherHosts.push_back(tenancy(h.name).tenant);
    const std::string service = storage::encrypted::roomServiceOf(config, h);
    if (std::find(where.roomServices.begin(), where.roomServices.end(), service) ==
        where.roomServices.end()) {
      where.roomServices.push_back(service);
    }
  }
  return where;
}

Rights::Rights(storage::Storage& storage, admin::AdminOps& ops, const core::Config& config,
               const Notices& notices)
    : storage_(storage), ops_(ops), config_(config), notices_(notices) {}

core::Result<std::pair<std::string, std::string>> Rights::authorize(const admin::Actor& who,
                                                                    const std::string& jid,
                                                                    std::string_view act) {
  auto account = admin::detail::parseAccount(jid);
  if (!account) return core::Status::invalidArgument("not an account JID (user@host): " + jid);
  if (who.self) {
    // A person exercises these rights on their own account only.
    if (account->jid != who.name) {
      const std::string why = "an account may export or erase only its own data";
      ops_.record(who, act, account->jid, account->host, AuditResult::kDenied, why);
      return core::Status::permissionDenied(why);
    }
  } else if (auto st = ops_.check(who, Permission::kUserWrite, account->host, act, account->jid);
             !st.isOk()) {
    return st;
  }
  // An account that does not exist: an error, recorded as a failure only.
  auto exists = storage_.accounts().exists(account->host, account->user);
  if (!exists.isOk()) return exists.status();
  if (!exists.value()) {
    ops_.record(who, act, account->jid, account->host, AuditResult::kFailure, "no such account");
    return core::Status::notFound("no such account: " + account->jid);
  }
  return std::make_pair(account->host, account->user);
}

core::Result<json::object> Rights::exportTo(const admin::Actor& who, const std::string& jid,
                                            const std::string& outFile) {
  auto account = authorize(who, jid, action::kUserExport);
  if (!account.isOk()) return account.status();
  const auto& [host, user] = account.value();
  const std::string bare = user + "@" + host;
  // Recorded before the data leaves (an export that cannot be audited does not happen).
  if (auto st = ops_.record(who, action::kUserExport, bare, host, AuditResult::kSuccess, {},
                            {{"file", outFile}});
      !st.isOk()) {
    return admin::detail::unavailable(st);
  }
  if (flush_) flush_(storage_);
  auto manifest = exportAccount(storage_, host, user, whereFor(config_, host, nowMs()), outFile);
  if (!manifest.isOk()) {
    ops_.record(who, action::kUserExport, bare, host, AuditResult::kFailure,
                manifest.status().message());
  }
  return manifest;
}

core::Result<Download> Rights::exportForDownload(const admin::Actor& who, const std::string& jid) {
  auto account = authorize(who, jid, action::kUserExport);
  if (!account.isOk()) return account.status();
  const auto& [host, user] = account.value();
  const std::string bare = user + "@" + host;
  if (auto st = ops_.record(who, action::kUserExport, bare, host, AuditResult::kSuccess, {},
                            {{"file", "download"}});
      !st.isOk()) {
    return admin::detail::unavailable(st);
  }
  auto failed = [&](const core::Status& st) -> core::Status {
    ops_.record(who, action::kUserExport, bare, host, AuditResult::kFailure, st.message());
    return st;
  };
  const std::string dir = config_.dataDirFor(host) + "/exports";  // in the tenant's region
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  const std::string name = dir + "/" + core::randomToken(12);
  const std::string plain = name + ".zip";
  const std::string kept = name + ".sealed";
  if (flush_) flush_(storage_);
  auto manifest = exportAccount(storage_, host, user, whereFor(config_, host, nowMs()), plain);
  if (!manifest.isOk()) return failed(manifest.status());
  // Sealed under the account's key (the clear ZIP is removed by keepFile), opened, unlinked:
  // the open file is read as it is sent and vanishes when the answer is done.
  if (auto st = storage_.files().keepFile(host, user, "export", plain, kept); !st.isOk()) {
    std::filesystem::remove(plain, ec);
    return failed(st);
  }
  auto body = storage_.files().readFile(host, user, "export", kept);
  std::filesystem::remove(kept, ec);
  if (!body.isOk()) return failed(body.status());
  return Download{std::move(manifest).value(), std::move(body).value()};
}

core::Result<json::object> Rights::erase(const admin::Actor& who, const std::string& jid) {
  auto account = authorize(who, jid, action::kUserErase);
  if (!account.isOk()) return account.status();
  const auto& [host, user] = account.value();
  const std::string bare = user + "@" + host;
  if (auto st = ops_.record(who, action::kUserErase, bare, host, AuditResult::kSuccess);
      !st.isOk()) {
    return admin::detail::unavailable(st);
  }
  if (flush_) flush_(storage_);
  auto report = eraseAccount(storage_, host, user, whereFor(config_, host, nowMs()));
  if (!report.isOk()) {
    ops_.record(who, action::kUserErase, bare, host, AuditResult::kFailure,
                report.status().message());
    return report;
  }
  if (erased_) erased_(host, user);
  return report;
}

core::Result<json::object> Rights::consent(const std::string& host, const std::string& user,
                                           std::string_view lang) {
  auto accepted = acceptances(storage_, host, user);
  if (!accepted.isOk()) return accepted.status();
  return consentJson(notices_.of(host), accepted.value(), lang);
}

bool Rights::consentNeeded(const std::string& host, const std::string& user) {
  const Notice* notice = notices_.of(host);
  if (notice == nullptr) return false;
  auto accepted = acceptances(storage_, host, user);
  return !accepted.isOk() || privacy::consentNeeded(notice, accepted.value());
}

core::Status Rights::accept(const admin::Actor& who, const std::string& host,
                            const std::string& user, const std::string& version,
                            const std::string& channel) {
  const std::string bare = user + "@" + host;
  const Notice* notice = notices_.of(host);
  if (notice == nullptr) return core::Status::notFound("this service has no privacy notice");
  if (version != notice->version) {
    ops_.record(who, action::kConsentAccept, bare, host, AuditResult::kFailure,
                "not the current notice", {{"version", version}});
    return core::Status::failedPrecondition("version " + version +
                                            " is not the current privacy notice (" +
                                            notice->version + ")");
  }
  if (auto st = ops_.record(who, action::kConsentAccept, bare, host, AuditResult::kSuccess, {},
                            {{"version", version}, {"channel", channel}});
      !st.isOk()) {
    return admin::detail::unavailable(st);
  }
  return recordAcceptance(storage_, host, user, Acceptance{version, nowMs(), channel});
}

core::Result<json::object> Rights::withdraw(const admin::Actor& who, const std::string& host,
                                            const std::string& user) {
  const std::string bare = user + "@" + host;
  if (who.self && bare != who.name) {
    return core::Status::permissionDenied("an account may withdraw only its own consent");
  }
  if (auto st = ops_.record(who, action::kConsentWithdraw, bare, host, AuditResult::kSuccess, {},
                            {{"consequence", "erasure"}});
      !st.isOk()) {
    return admin::detail::unavailable(st);
  }
  return erase(who, bare);
}

core::Result<json::object> Rights::holdNotice(const std::string& host, const std::string& user) {
  auto hold = storage_.admin().holdOn(host, user);
  if (!hold.isOk()) return hold.status();
  const bool held = hold.value().has_value() && hold.value()->kind == "account";
  return json::object{
      {"held", held},
      {"since", held ? json::value(core::formatDateTime(hold.value()->setMs * 1000))
                     : json::value(nullptr)}};
}

}  // namespace rampart::security::privacy
