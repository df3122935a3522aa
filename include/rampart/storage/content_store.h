#pragma once
// The content-security quarantine: messages a DLP rule held for human review, the reviewers'
// decisions, and the evidence kept after a rejection. Called only from the storage thread (or
// rampartctl); may block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

struct QuarantineItem {
  std::int64_t id = 0;
  std::string tenant;     // the sender's host
  std::string sender;     // full JID of the sending session
  std::string recipient;  // the 'to' of the message
  std::string stanza;     // the message as sent (XML)
  std::string rule;       // the rule that held it
  std::string findings;   // JSON array: field, rule, type, begin, end, confidence, action
  std::int64_t createdMs = 0;
  std::string status = "pending";  // "pending", "approved" or "rejected"
  std::string decidedBy;
  std::int64_t decidedMs = 0;
  std::string reason;     // the reviewer's note (required for a rejection)
  bool settled = false;   // delivered (approved) or the sender told (rejected)
  std::string report;     // the sender's false-positive report, if any
};

struct QuarantineFilter {
  std::string tenant;  // empty: every tenant
  std::string status;  // empty: any
  std::string rule;    // empty: any
  std::string sender;  // bare JID; empty: any
  std::int64_t beforeId = 0;
  std::size_t limit = 50;
};

struct QuarantineCounts {
  std::int64_t pending = 0;
  std::int64_t approved = 0;
  std::int64_t rejected = 0;
  std::int64_t oldestPendingMs = 0;  // 0: none pending
};

class ContentStore {
 public:
  virtual ~ContentStore() = default;
  virtual core::Result<std::int64_t> addQuarantine(const QuarantineItem& item) = 0;
  // Newest first.
  virtual core::Result<std::vector<QuarantineItem>> listQuarantine(const QuarantineFilter& f) = 0;
  virtual core::Result<std::optional<QuarantineItem>> quarantineById(std::int64_t id) = 0;
  virtual core::Result<QuarantineCounts> quarantineCounts(std::string_view tenant) = 0;
  // NotFound when absent; FailedPrecondition when already decided.
  virtual core::Status decideQuarantine(std::int64_t id, std::string_view status,
                                        std::string_view by, std::int64_t atMs,
                                        std::string_view reason) = 0;
  // The tenant's decided items whose outcome the running server has not carried out yet.
  virtual core::Result<std::vector<QuarantineItem>> unsettledQuarantine(
      std::string_view tenant) = 0;
  virtual core::Status settleQuarantine(std::int64_t id) = 0;
  // The sender disputes the hold; NotFound unless the item is the sender's (bare JID).
  virtual core::Status reportQuarantine(std::int64_t id, std::string_view senderBare,
                                        std::string_view text) = 0;
  // Deletes the tenant's items decided before `beforeMs`; returns how many.
  // Deletes every item one account sent (bare JID; erasure); returns how many.
  virtual core::Result<std::size_t> removeQuarantineFrom(std::string_view tenant,
                                                         std::string_view senderBare) = 0;
  virtual core::Result<std::size_t> pruneQuarantine(std::string_view tenant,
                                                    std::int64_t beforeMs) = 0;
};

}  // namespace rampart::storage
