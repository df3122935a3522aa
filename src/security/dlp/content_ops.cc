#include "security/dlp/content_ops.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "rampart/core/datetime.h"
#include "security/dlp/evidence.h"
#include "rampart/core/jid.h"
#include "security/filescan/clamd.h"
#include "security/filescan/file_type.h"
#include "security/filescan/qr.h"

namespace rampart::security::dlp {
namespace {
std::int64_t nowMs() { return core::nowMicros() / 1000; }

std::string bareOf(const std::string& jid) {
  auto j = core::Jid::parse(jid);
  return j ? j->bareStr() : jid;
}
}  // namespace

ContentOps::ContentOps(std::unique_ptr<Inspector> inspector, const core::Config& config,
                       storage::Storage& storage, AuditSink& audit, Alert alert)
    : inspector_(std::move(inspector)),
      pool_(std::make_unique<filescan::ScanPool>(2, 64)),
      config_(config),
      storage_(storage),
      audit_(audit),
      alert_(std::move(alert)) {}

core::Status ContentOps::audit(std::string_view action, const std::string& actor,
                               const std::string& tenant, const std::string& object,
                               std::string reason,
                               std::vector<std::pair<std::string, std::string>> details,
                               std::string_view via) {
  AuditEvent e;
  e.action = action;
  e.actor = actor;
  e.source = std::string(via);
  e.client = std::string(via);
  e.tenant = tenant;
  e.object = object;
  e.result = AuditResult::kSuccess;
  e.reason = std::move(reason);
  e.details = std::move(details);
  return audit_.record(e);
}

core::Result<std::int64_t> ContentOps::hold(const storage::QuarantineItem& item) {
  // Fail closed: a hold that cannot be audited is not made (the sender gets an error).
  if (auto st = audit(audit_action::kContentQuarantine, bareOf(item.sender), item.tenant,
                      item.recipient, {}, {{"rule", item.rule}});
      !st.isOk()) {
    return st;
  }
  return storage_.content().addQuarantine(item);
}

core::Status ContentOps::record(const ContentEvent& event) {
  std::string_view action = audit_action::kContentBlock;
  if (event.action == "warn") {
    action = audit_action::kContentWarn;
  } else if (event.action == "override") {
    action = audit_action::kContentOverride;
  } else if (event.action == "e2ee-refused") {
    action = audit_action::kContentE2eeRefused;
  }
  std::string rules;
  for (const auto& r : event.rules) {
    rules += (rules.empty() ? "" : ",") + r;
  }
  std::vector<std::pair<std::string, std::string>> details{{"rule", event.rule}};
  if (!rules.empty()) {
    details.emplace_back("rules", rules);
  }
  return audit(action, bareOf(event.sender), event.tenant, event.recipient, event.note,
               std::move(details));
}

core::Status ContentOps::report(std::int64_t id, const std::string& senderBare,
                                const std::string& text) {
  auto item = storage_.content().quarantineById(id);
  if (!item.isOk()) {
    return item.status();
  }
  if (!item.value() || bareOf(item.value()->sender) != senderBare) {
    return core::Status::notFound("no such held message of yours");
  }
  if (auto st = audit(audit_action::kContentReport, senderBare, item.value()->tenant,
                      "quarantine:" + std::to_string(id), text, {{"rule", item.value()->rule}});
      !st.isOk()) {
    return st;
  }
  return storage_.content().reportQuarantine(id, senderBare, text);
}

core::Result<std::vector<storage::QuarantineItem>> ContentOps::unsettled(
    const std::string& tenant) {
  return storage_.content().unsettledQuarantine(tenant);
}

core::Status ContentOps::settle(std::int64_t id) { return storage_.content().settleQuarantine(id); }

void ContentOps::checkUpload(UploadCheck check, std::function<void(UploadVerdict)> done) {
  auto job = std::make_shared<std::pair<UploadCheck, std::function<void(UploadVerdict)>>>(
      std::move(check), std::move(done));
  bool queued = false;
  {
    std::lock_guard lock(poolMu_);
    queued = pool_ && pool_->submit([this, job] {
      UploadVerdict v = examine(job->first);
      if (!v.accepted) {
        refuse(job->first, v);
      }
      job->second(std::move(v));
    });
  }
  if (!queued) {
    // Too many files waiting for their checks: refused now rather than served unchecked.
    UploadVerdict v{false, "busy", "too many files are waiting to be scanned", {}};
    refuse(job->first, v);
    job->second(std::move(v));
  }
}

void ContentOps::stopScanning() {
  std::unique_ptr<filescan::ScanPool> pool;
  {
    std::lock_guard lock(poolMu_);
    pool = std::move(pool_);
  }
  pool.reset();  // finishes the checks under way and queued
}

UploadVerdict ContentOps::examine(const UploadCheck& c) {
  const auto o = config_.contentSecurityFor(c.tenant);
  UploadVerdict v;
  v.realType = filescan::realType(c.path);
  const auto& forbidden = o.forbiddenFileTypes ? *o.forbiddenFileTypes
                                               : filescan::defaultForbiddenTypes();
  if (std::find(forbidden.begin(), forbidden.end(), v.realType) != forbidden.end()) {
    return UploadVerdict{false, "forbidden-type", v.realType, v.realType};
  }
  if (o.typeMismatch.value_or("refuse") == "refuse" &&
      !filescan::typesAgree(c.announcedType, v.realType)) {
    return UploadVerdict{false, "type-mismatch",
                         "announced as " + (c.announcedType.empty() ? std::string("nothing")
                                                                    : c.announcedType) +
                             ", is " + v.realType,
                         v.realType};
  }
  if (o.clamdSocket && !o.clamdSocket->empty()) {
    const auto r = filescan::clamdScanFile(
        *o.clamdSocket, c.path,
        std::chrono::seconds(o.scanTimeoutSeconds.value_or(kDefaultScanTimeout)));
    if (r.kind == filescan::ClamdResult::Kind::kInfected) {
      return UploadVerdict{false, "malware", r.detail, v.realType};
    }
    if (r.kind == filescan::ClamdResult::Kind::kError &&
        o.scannerUnavailable.value_or("refuse") == "refuse") {
      return UploadVerdict{false, "scanner-unavailable", r.detail, v.realType};
    }
  }
  // QR codes in images: their links go through the same blocklists as links in messages.
  for (const auto& text : filescan::qrTexts(c.path, v.realType)) {
    if (auto threat = inspector_->blockedLink(c.tenant, text)) {
      return UploadVerdict{false, "blocked-link", "a QR code points at a blocked address (" +
                                                      *threat + ")",
                           v.realType};
    }
  }
  if (o.inspectTextUploads.value_or(true) && v.realType.starts_with("text/") &&
      inspector_->enabled(c.tenant)) {
    std::ifstream in(c.path, std::ios::binary);
    std::string text(kMaxInspectedText, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    const auto verdict = inspector_->inspect(c.tenant, {{"file-text", std::move(text)}});
    if (verdict.action >= ContentAction::kQuarantine) {
      return UploadVerdict{false, "content-policy", verdict.rule, v.realType};
    }
  }
  return v;
}

void ContentOps::refuse(const UploadCheck& c, const UploadVerdict& v) {
  const auto o = config_.contentSecurityFor(c.tenant);
  std::error_code ec;
  std::string kept;
  const std::string root = config_.dataDirFor(c.tenant);  // the tenant's region
  if (o.refusedFiles.value_or("keep") == "keep" && v.reason != "busy") {
    // The evidence area: only the server's user may read it (security administrators with
    // shell access to the server), kept until they remove it.
    const std::string dir = evidenceDir(root, c.tenant);
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(root + "/evidence",
                                 std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    const std::string name = std::to_string(nowMs()) + "-" + c.reference.substr(0, 12);
    kept = dir + "/" + name;
    std::filesystem::rename(c.path, kept, ec);
    if (ec) {
      std::filesystem::copy_file(c.path, kept, ec);
      std::filesystem::remove(c.path, ec);
    }
    boost::json::object meta{{"owner", c.owner},         {"file_name", c.fileName},
                             {"announced_type", c.announcedType}, {"real_type", v.realType},
                             {"reason", v.reason},       {"detail", v.detail},
                             {"time", nowMs()}};
    std::ofstream(kept + ".json") << boost::json::serialize(meta) << "\n";
  } else {
    std::filesystem::remove(c.path, ec);
  }
  std::vector<std::pair<std::string, std::string>> details{
      {"reason", v.reason}, {"detail", v.detail}, {"real_type", v.realType}};
  if (!kept.empty()) {
    details.emplace_back("evidence", kept.substr(root.size() + 1));
  }
  (void)audit(audit_action::kUploadRefused, c.owner, c.tenant,
              "upload:" + c.reference.substr(0, 12), v.reason, std::move(details), "https");
  const bool malware = v.reason == "malware";
  alert_(malware ? "malware-detected" : "upload-refused", malware ? "critical" : "warning",
         c.tenant,
         "An upload by " + c.owner + " was refused (" + v.reason + ": " + v.detail + ")" +
             (kept.empty() ? std::string() : "; kept as evidence"));
}

void ContentOps::housekeeping(const std::string& tenant) {
  const auto o = config_.contentSecurityFor(tenant);
  const std::int64_t now = nowMs();
  auto counts = storage_.content().quarantineCounts(tenant);
  const std::int64_t maxWait =
      std::int64_t{o.reviewAlertMinutes.value_or(kDefaultReviewAlertMinutes)} * 60'000;
  // At most once an hour per tenant while the backlog lasts.
  auto& last = lastBacklogAlert_[tenant];
  if (counts.isOk() && counts.value().pending > 0 &&
      now - counts.value().oldestPendingMs > maxWait && now - last >= 3'600'000) {
    last = now;
    alert_("content-review-backlog", "warning", tenant,
           std::to_string(counts.value().pending) + " held message(s) of " + tenant +
               " await review; the oldest has waited " +
               std::to_string((now - counts.value().oldestPendingMs) / 60'000) + " minutes");
  }
  // Decided items and their evidence age out through the retention scheduler
  // (security/retention, kind "evidence").
}

}  // namespace rampart::security::dlp
