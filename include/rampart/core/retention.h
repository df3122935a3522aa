#pragma once
// Retention: what each kind of stored data is kept for is decided in one place, the retention
// scheduler (security/retention), from [retention] and [hosts.retention]. Modules that store a
// kind of data register how to delete what has expired (a purger); the scheduler calls it on
// the storage thread with the cut-off times. What is under legal hold is never deleted: each
// purger's storage call skips held accounts and rooms.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace rampart::storage {
class Storage;
}

namespace rampart::core {

enum class DataKind {
  kArchive,      // 1:1 message archives (XEP-0313)
  kRoomArchive,  // group chat archives
  kFile,         // uploaded files (XEP-0363)
  kLogin,        // sign-in records
  kEvidence,     // held messages decided on, and refused files kept as evidence
  kAudit,        // the audit log (server-wide; a legal minimum applies)
};
std::string_view dataKindName(DataKind k);

struct RetentionCutoff {
  // Delete what is older than this (microseconds since the epoch); 0: keep everything.
  std::int64_t beforeUs = 0;
  // Owners (a room's name) with a cut-off of their own, which replaces `beforeUs` for them.
  std::map<std::string, std::int64_t, std::less<>> owners;
};

// Deletes what has expired; returns how many items went. Runs on the storage thread.
using Purger = std::function<std::size_t(storage::Storage&, const RetentionCutoff&)>;

}  // namespace rampart::core
