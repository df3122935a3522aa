#pragma once
// What the content-security module may ask of the security plane: the tenant's DLP inspector,
// the quarantine (held messages, audited), audit records of blocked and overridden messages,
// and the review-backlog alert. inspector() may be called from any thread; the other methods
// only on the storage thread, inside ModuleContext::runStorage.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rampart/core/status.h"
#include "rampart/security/content_inspector.h"
#include "rampart/storage/content_store.h"

namespace rampart::security {

// What a content decision was about, for its audit record (never the message itself).
struct ContentEvent {
  std::string tenant;
  std::string sender;     // full JID
  std::string recipient;
  std::string rule;
  std::string action;     // "block", "warn", "override", "e2ee-refused"
  std::string note;       // the sender's justification for an override
  std::vector<std::string> rules;  // every rule that matched
};

// An uploaded file waiting for its checks (XEP-0363), and what they found.
struct UploadCheck {
  std::string tenant;
  std::string owner;          // bare JID of the uploader
  std::string fileName;       // as the uploader named it
  std::string announcedType;  // Content-Type of the slot request (may be empty)
  std::string path;           // where the body lies, not yet servable
  std::string reference;      // the slot token, for the audit record
};
struct UploadVerdict {
  bool accepted = true;
  // "malware", "forbidden-type", "type-mismatch", "content-policy", "scanner-unavailable",
  // "busy"
  std::string reason;
  std::string detail;    // the signature name, the real type or the rule
  std::string realType;  // what libmagic found
};

class ContentService {
 public:
  virtual ~ContentService() = default;
  virtual const ContentInspector& inspector() const = 0;
  // Holds a message for review; its id. Audited as content.quarantine.
  virtual core::Result<std::int64_t> hold(const storage::QuarantineItem& item) = 0;
  // Records a block, a warning or an override (content.block, content.warn, content.override).
  virtual core::Status record(const ContentEvent& event) = 0;
  // The sender disputes a hold ("false positive"); NotFound unless it is the sender's item.
  virtual core::Status report(std::int64_t id, const std::string& senderBare,
                              const std::string& text) = 0;
  // The tenant's decided items the running server has yet to deliver (approved) or tell the
  // sender about (rejected).
  virtual core::Result<std::vector<storage::QuarantineItem>> unsettled(
      const std::string& tenant) = 0;
  virtual core::Status settle(std::int64_t id) = 0;
  // Any thread. Checks an uploaded file before it can be served: its real type against the
  // announced one and the tenant's forbidden types, clamd's verdict, and the DLP rules for
  // text. A refused file is moved to the evidence area (or deleted, per policy), audited and
  // alerted on. `done` runs on a scanner thread.
  virtual void checkUpload(UploadCheck check, std::function<void(UploadVerdict)> done) = 0;
  // Raises the review-backlog alert when the tenant's oldest pending item waited longer than
  // its review_alert_minutes; removes evidence older than its evidence_days.
  virtual void housekeeping(const std::string& tenant) = 0;
};

}  // namespace rampart::security
