#pragma once
// The ContentService rampartd gives the content-security module: the inspector, and the
// quarantine and audit records behind it. Its storage methods run on the storage thread only
// (it holds that thread's Storage); inspector() from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>

#include "core/config.h"
#include "rampart/security/audit_sink.h"
#include "rampart/security/content_service.h"
#include "rampart/storage/stores.h"
#include "security/dlp/inspector.h"
#include "security/filescan/scan_pool.h"

namespace rampart::security::dlp {

class ContentOps final : public ContentService {
 public:
  // Raises an alert: rule, severity, tenant, summary.
  using Alert = std::function<void(std::string_view, std::string_view, const std::string&,
                                   const std::string&)>;
  ContentOps(std::unique_ptr<Inspector> inspector, const core::Config& config,
             storage::Storage& storage, AuditSink& audit, Alert alert);

  const ContentInspector& inspector() const override { return *inspector_; }
  core::Result<std::int64_t> hold(const storage::QuarantineItem& item) override;
  core::Status record(const ContentEvent& event) override;
  core::Status report(std::int64_t id, const std::string& senderBare,
                      const std::string& text) override;
  core::Result<std::vector<storage::QuarantineItem>> unsettled(const std::string& tenant) override;
  core::Status settle(std::int64_t id) override;
  void checkUpload(UploadCheck check, std::function<void(UploadVerdict)> done) override;
  void housekeeping(const std::string& tenant) override;
  // Shutdown: finishes the file checks under way and queued, then stops the scanner threads
  // (before the network threads stop, so that their answers still reach the uploaders).
  // Thread-safe against checkUpload (uploads arriving meanwhile are refused as busy).
  void stopScanning();

  static constexpr std::uint32_t kDefaultReviewAlertMinutes = 60;
  static constexpr std::uint32_t kDefaultEvidenceDays = 180;
  static constexpr std::uint32_t kDefaultScanTimeout = 30;
  static constexpr std::size_t kMaxInspectedText = 1 << 20;

 private:
  core::Status audit(std::string_view action, const std::string& actor, const std::string& tenant,
                     const std::string& object, std::string reason,
                     std::vector<std::pair<std::string, std::string>> details,
                     std::string_view via = "xmpp");
  // On a scanner thread: the checks of one upload, and what happens to a refused file.
  UploadVerdict examine(const UploadCheck& check);
  void refuse(const UploadCheck& check, const UploadVerdict& verdict);
  std::unique_ptr<Inspector> inspector_;
  std::mutex poolMu_;
  std::unique_ptr<filescan::ScanPool> pool_;  // guarded by poolMu_
  const core::Config& config_;
  storage::Storage& storage_;
  AuditSink& audit_;
  Alert alert_;
  std::map<std::string, std::int64_t> lastBacklogAlert_;  // storage thread only
};

}  // namespace rampart::security::dlp
