#pragma once
// The audit sink: every audit event becomes one record of an append-only log whose records
// are the leaves of an RFC 9162 Merkle tree; after each record the log signs a checkpoint
// (tree size and root, Ed25519) so that `verify` can name the first record that was changed,
// removed, reordered or inserted, and a truncation behind any checkpoint the auditor kept.
// Thread-safe (one mutex around the store); every call may block on disk, so call it from the
// storage thread or rampartctl, never from a network thread.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rampart/security/audit_sink.h"
#include "rampart/storage/audit_store.h"
#include "security/audit/checkpoint.h"
#include "security/audit/merkle.h"

namespace rampart::security::audit {

struct AuditLogOptions {
  std::string dbPath;          // the log's own SQLite file
  std::string keyFile;         // Ed25519 signing key (created 0600 at first use)
  std::string checkpointFile;  // the latest checkpoint, rewritten after every record
  std::string origin;          // checkpoint origin for a new log; an existing log keeps its own
  int busyTimeoutMs = 5000;    // how long an append waits for another writer before failing
  std::function<std::int64_t()> nowMs;  // clock (tests inject one); null: the system clock
};

struct Verification {
  bool ok = true;
  std::uint64_t records = 0;      // records checked
  std::uint64_t size = 0;         // the tree size verified
  std::uint64_t badSeq = 0;       // the first bad record (0: none, or not a single record)
  std::string problem;            // what is wrong, for people
  std::string root;               // root hash of the verified tree (raw)
};

class AuditLog final : public AuditSink {
 public:
  static core::Result<std::unique_ptr<AuditLog>> open(const AuditLogOptions& options);

  // AuditSink: appends the event with its signed checkpoint; fails closed. A failure is also
  // passed to the failure hook (the alert pipeline) after the mutex is released.
  core::Status record(const AuditEvent& event) override;
  void setFailureHook(std::function<void(const core::Status&)> hook);
  // Called with every record once it is durable (forwarding to a SIEM); must not block.
  void setForwarder(std::function<void(const storage::AuditRow&)> forward);

  // Recomputes the whole tree from the stored records and checks every checkpoint, the head,
  // the checkpoint file, and the checkpoints given (notes kept elsewhere by an auditor).
  Verification verify(const std::vector<std::string>& keptCheckpoints = {});

  core::Result<std::vector<storage::AuditRow>> query(const storage::AuditFilter& filter);
  core::Result<storage::AuditHead> head();
  // RFC 9162 proofs over the stored leaves (index 0-based, sizes in records).
  core::Result<std::vector<Hash>> inclusion(std::uint64_t index, std::uint64_t size);
  core::Result<std::vector<Hash>> consistency(std::uint64_t first, std::uint64_t second);
  // The signed checkpoint for a tree size the log has reached.
  core::Result<std::string> checkpointAt(std::uint64_t size);
  // Drops the records older than `cutoffMs` (retention); returns how many.
  core::Result<std::uint64_t> pruneBefore(std::int64_t cutoffMs);

  const CheckpointSigner& signer() const { return signer_; }

 private:
  AuditLog(std::unique_ptr<storage::AuditStore> store, CheckpointSigner signer,
           AuditLogOptions options)
      : store_(std::move(store)), signer_(std::move(signer)), options_(std::move(options)) {}
  core::Status append(const AuditEvent& event);
  core::Result<std::vector<Hash>> leaves(std::uint64_t upTo);  // requires mu_; from the anchor

  std::mutex mu_;
  std::unique_ptr<storage::AuditStore> store_;  // guarded by mu_
  CheckpointSigner signer_;
  AuditLogOptions options_;
  std::function<void(const core::Status&)> failureHook_;  // guarded by mu_
  std::function<void(const storage::AuditRow&)> forward_;  // guarded by mu_
};

// "2026-12-02T03:55:00.123Z"
std::string formatUtcMillis(std::int64_t ms);

}  // namespace rampart::security::audit
