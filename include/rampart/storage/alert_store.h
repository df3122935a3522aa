#pragma once
// Security alerts as the console lists them: raised by the alert pipeline, acknowledged by a
// security administrator. Called only from the storage thread (or rampartctl); may block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

struct AlertRecord {
  std::int64_t id = 0;
  std::string rule;
  std::string severity;  // "info", "warning" or "critical"
  std::string tenant;    // empty: the whole server
  std::string summary;
  std::int64_t createdMs = 0;
  std::string acknowledgedBy;  // empty while open
  std::int64_t acknowledgedMs = 0;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;
  virtual core::Result<std::int64_t> addAlert(const AlertRecord& alert) = 0;
  // Newest first; `tenant` non-empty: that tenant's alerts only; `beforeId` 0: from the newest.
  virtual core::Result<std::vector<AlertRecord>> listAlerts(std::string_view tenant, bool openOnly,
                                                            std::int64_t beforeId,
                                                            std::size_t limit) = 0;
  virtual core::Result<std::optional<AlertRecord>> alertById(std::int64_t id) = 0;
  // NotFound when absent; FailedPrecondition when already acknowledged.
  virtual core::Status acknowledgeAlert(std::int64_t id, std::string_view by, std::int64_t atMs) = 0;
};

}  // namespace rampart::storage
