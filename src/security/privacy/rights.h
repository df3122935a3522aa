#pragma once
// A person's rights as operations: export, erasure, consent and its withdrawal, each authorized
// by the one check and audited by the one sink (security/admin), whoever asks: the person in
// the account center or the web client (only for their own account), an administrator through
// the admin API, or rampartctl. Not thread-safe: use from the thread that owns `storage`.

#include <boost/json.hpp>

#include <functional>
#include <memory>
#include <string>

#include "core/config.h"
#include "rampart/core/byte_source.h"
#include "security/admin/admin_ops.h"
#include "security/privacy/consent.h"
#include "security/privacy/data_subject.h"

namespace rampart::security::privacy {

// Where the tenant of `host` keeps what export and erasure cover (its group chat services).
Where whereFor(const core::Config& config, std::string_view host, std::int64_t nowMs);

struct Download {
  boost::json::object manifest;
  std::shared_ptr<core::ByteSource> body;  // the ZIP archive, read as it is sent
};

class Rights {
 public:
  Rights(storage::Storage& storage, admin::AdminOps& ops, const core::Config& config,
         const Notices& notices);

  // Called on the storage thread before an export or an erasure reads: writes still gathering
  // for a group commit (archive batches) are written first, so nothing escapes either.
  void setFlush(std::function<void(storage::Storage&)> hook) { flush_ = std::move(hook); }
  // Called after an account was erased (the running server ends its sessions).
  void setErased(std::function<void(const std::string& host, const std::string& user)> hook) {
    erased_ = std::move(hook);
  }

  // The export of `jid` written to `outFile` (user.export, recorded before the data leaves).
  core::Result<boost::json::object> exportTo(const admin::Actor& who, const std::string& jid,
                                             const std::string& outFile);
  // The same, to send over HTTPS: built in a spool file sealed under the account's key (with
  // encryption on), which is unlinked at once and read as it is sent.
  core::Result<Download> exportForDownload(const admin::Actor& who, const std::string& jid);
  // Erasure (user.erase); the report.
  core::Result<boost::json::object> erase(const admin::Actor& who, const std::string& jid);

  // The account's standing with its tenant's notice (consentJson); `lang` picks the text.
  core::Result<boost::json::object> consent(const std::string& host, const std::string& user,
                                            std::string_view lang);
  bool consentNeeded(const std::string& host, const std::string& user);
  core::Result<std::vector<Acceptance>> accepted(const std::string& host, const std::string& user) {
    return acceptances(storage_, host, user);
  }
  // The account accepts version `version` of its tenant's notice (privacy.consent). Conflict
  // when that is not the current version; NotFound when the tenant has no notice.
  core::Status accept(const admin::Actor& who, const std::string& host, const std::string& user,
                      const std::string& version, const std::string& channel);
  // The account withdraws its consent (privacy.withdraw): its data is erased; the report.
  core::Result<boost::json::object> withdraw(const admin::Actor& who, const std::string& host,
                                             const std::string& user);

  // A legal hold on the account, as the person may see it (when the tenant shows holds):
  // {"held": bool, "since": time|null}; never the reason, which is the investigators'.
  core::Result<boost::json::object> holdNotice(const std::string& host, const std::string& user);

  const Notices& notices() const { return notices_; }

 private:
  // The account of `jid` if `who` may exercise rights on it (an account only on itself), or
  // the refusal (recorded as `action`).
  core::Result<std::pair<std::string, std::string>> authorize(const admin::Actor& who,
                                                              const std::string& jid,
                                                              std::string_view action);
  storage::Storage& storage_;
  admin::AdminOps& ops_;
  const core::Config& config_;
  const Notices& notices_;
  std::function<void(const std::string&, const std::string&)> erased_;
  std::function<void(storage::Storage&)> flush_;
};

}  // namespace rampart::security::privacy
