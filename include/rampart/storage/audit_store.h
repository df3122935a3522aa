#pragma once
// Storage of the tamper-evident audit log: an append-only sequence of records, each with its
// leaf hash and the signed checkpoint of the tree that ends with it, plus the log's head.
// The Merkle tree and the signatures are computed by security/audit; this contract only
// keeps rows and runs an append under the log's write lock, so that several processes
// (rampartd and rampartctl) append to one consistent log. Implementations are used from one
// thread at a time and may block.

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rampart/core/status.h"

namespace rampart::storage {

using core::Result;
using core::Status;

struct AuditRow {
  std::uint64_t seq = 0;  // 1-based position in the log
  std::int64_t timeMs = 0;
  // Copies of the record's fields for filtering (the record itself is `body`).
  std::string actor;
  std::string tenant;
  std::string action;
  std::string result;
  std::string body;        // the record exactly as hashed (one JSON object)
  std::string leaf;        // its leaf hash as computed when it was appended
  std::string checkpoint;  // signed checkpoint of the tree of `seq` records
};

struct AuditHead {
  std::uint64_t size = 0;      // records appended so far (pruned ones included)
  std::string frontier;        // compact range of that tree
  std::string checkpoint;      // signed checkpoint of that tree ("" while empty)
  std::uint64_t anchorSize = 0;  // records up to this one were pruned by retention
  std::string anchorFrontier;    // compact range of the tree of anchorSize records
};

struct AuditFilter {
  std::string actor;   // exact; empty = any
  std::string tenant;  // exact; empty = any
  std::string action;  // exact or a prefix ending in '.'; empty = any
  std::string result;  // exact; empty = any
  std::int64_t fromMs = std::numeric_limits<std::int64_t>::min();
  std::int64_t toMs = std::numeric_limits<std::int64_t>::max();
  std::uint64_t beforeSeq = std::numeric_limits<std::uint64_t>::max();  // cursor (newest first)
  std::size_t limit = 100;
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  // Runs `build` under the log's write lock with the current head; it returns the row to
  // append (its seq must be head.size + 1) and the new head, written in one transaction.
  using Builder = std::function<Result<std::pair<AuditRow, AuditHead>>(const AuditHead&)>;
  virtual Status append(const Builder& build) = 0;
  virtual Result<AuditHead> head() = 0;
  // Rows as stored, seq ascending from `fromSeq` (for verification and proofs).
  virtual Result<std::vector<AuditRow>> scan(std::uint64_t fromSeq, std::size_t limit) = 0;
  // Rows matching `filter`, newest first.
  virtual Result<std::vector<AuditRow>> query(const AuditFilter& filter) = 0;
  // The seq of the newest record older than `timeMs`, or 0.
  virtual Result<std::uint64_t> lastSeqBefore(std::int64_t timeMs) = 0;
  // Drops the rows up to `throughSeq` and records the new anchor, under the write lock;
  // `anchor` computes the compact range at throughSeq from the current head.
  using Anchor = std::function<Result<std::string>(const AuditHead&)>;
  virtual Status prune(std::uint64_t throughSeq, const Anchor& anchor) = 0;
  // Small named values of the log (its origin name).
  virtual Result<std::optional<std::string>> meta(std::string_view key) = 0;
  virtual Status setMetaIfAbsent(std::string_view key, std::string_view value) = 0;
};

}  // namespace rampart::storage
