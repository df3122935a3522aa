#pragma once
// What the content-security module may ask of the security plane: the tenant's DLP inspector,
// the quarantine (held messages, audited), audit records of blocked and overridden messages,
// and the review-backlog alert. inspector() may be called from any thread; the other methods
// only on the storage thread, inside ModuleContext::runStorage.

#include <cstdint>
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
  // Raises the review-backlog alert when the tenant's oldest pending item waited longer than
  // its review_alert_minutes; removes evidence older than its evidence_days.
  virtual void housekeeping(const std::string& tenant) = 0;
};

}  // namespace rampart::security
