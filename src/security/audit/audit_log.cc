#include "security/audit/audit_log.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "storage/sqlite/sqlite_audit_store.h"

namespace rampart::security {

std::string_view auditResultName(AuditResult r) {
  switch (r) {
    case AuditResult::kSuccess:
      return "success";
    case AuditResult::kFailure:
      return "failure";
    case AuditResult::kDenied:
      return "denied";
  }
  return "failure";
}

}  // namespace rampart::security

namespace rampart::security::audit {

namespace {

constexpr std::size_t kScanBatch = 4096;

std::int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half.
void replaceFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    f.flush();
    if (!f) {
      return;
    }
  }
  std::rename(tmp.c_str(), path.c_str());
}

// The record's own position, from its body; nullopt when the body is not a record.
std::optional<std::uint64_t> bodySeq(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  const auto* seq = v.as_object().if_contains("seq");
  if (seq == nullptr) {
    return std::nullopt;
  }
  if (seq->is_uint64()) {
    return seq->as_uint64();
  }
  if (seq->is_int64() && seq->as_int64() > 0) {
    return static_cast<std::uint64_t>(seq->as_int64());
  }
  return std::nullopt;
}

// The indexed copies of a record's fields must say what its (hashed) body says.
bool copiesMatch(const storage::AuditRow& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    return false;
  }
  const auto& o = v.as_object();
  auto str = [&o](const char* k) -> std::string {
    const auto* f = o.if_contains(k);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string("\x01");
  };
  return str("actor") == r.actor && str("tenant") == r.tenant && str("action") == r.action &&
         str("result") == r.result && str("time") == formatUtcMillis(r.timeMs);
}

}  // namespace

std::string formatUtcMillis(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

core::Result<std::unique_ptr<AuditLog>> AuditLog::open(const AuditLogOptions& options) {
  auto store = storage::sqlite::SqliteAuditStore::open(options.dbPath, options.busyTimeoutMs);
  if (!store.isOk()) {
    return store.status();
  }
  // The first process to create the log names it; later ones use that name.
  if (auto st = store.value()->setMetaIfAbsent("origin", options.origin); !st.isOk()) {
    return st;
  }
  auto origin = store.value()->meta("origin");
  if (!origin.isOk() || !origin.value()) {
    return origin.isOk() ? core::Status::ioError("audit log has no origin") : origin.status();
  }
  auto signer = CheckpointSigner::loadOrCreate(options.keyFile, *origin.value());
  if (!signer.isOk()) {
    return signer.status();
  }
  AuditLogOptions o = options;
  if (!o.nowMs) {
    o.nowMs = systemNowMs;
  }
  return std::unique_ptr<AuditLog>(
      new AuditLog(std::move(store).value(), std::move(signer).value(), std::move(o)));
}

void AuditLog::setForwarder(std::function<void(const storage::AuditRow&)> forward) {
  std::lock_guard lock(mu_);
  forward_ = std::move(forward);
}

void AuditLog::setFailureHook(std::function<void(const core::Status&)> hook) {
  std::lock_guard lock(mu_);
  failureHook_ = std::move(hook);
}

core::Status AuditLog::record(const AuditEvent& event) {
  core::Status st = append(event);
  if (!st.isOk()) {
    spdlog::error("event=audit_write_failed action={} error={}", event.action, st.message());
    std::function<void(const core::Status&)> hook;
    {
      std::lock_guard lock(mu_);
      hook = failureHook_;
    }
    if (hook) {
      hook(st);
    }
  }
  return st;
}

core::Status AuditLog::append(const AuditEvent& event) {
  const std::int64_t now = options_.nowMs();
  std::string checkpoint;
  storage::AuditRow written;
  std::lock_guard lock(mu_);
  core::Status st = store_->append([&](const storage::AuditHead& head)
                                       -> core::Result<std::pair<storage::AuditRow, storage::AuditHead>> {
    auto range = CompactRange::restore(head.size, head.frontier);
    if (!range) {
      return core::Status::ioError("audit log head is damaged (run rampartctl audit verify)");
    }
    storage::AuditRow row;
    row.seq = head.size + 1;
    row.timeMs = now;
    row.actor = event.actor;
    row.tenant = event.tenant;
    row.action = std::string(event.action);
    row.result = std::string(auditResultName(event.result));
    // Field order is fixed: the record is hashed exactly as stored.
    boost::json::object o;
    o["seq"] = row.seq;
    o["time"] = formatUtcMillis(now);
    o["actor"] = event.actor;
    o["role"] = event.role;
    o["source"] = event.source;
    o["client"] = event.client;
    o["tenant"] = event.tenant;
    o["action"] = row.action;
    o["object"] = event.object;
    o["result"] = row.result;
    if (!event.reason.empty()) {
      o["reason"] = event.reason;
    }
    if (!event.requestId.empty()) {
      o["request_id"] = event.requestId;
    }
    if (!event.details.empty()) {
      boost::json::object d;
      for (const auto& [k, v] : event.details) {
        d[k] = v;
      }
      o["details"] = std::move(d);
    }
    row.body = boost::json::serialize(o);
    row.leaf = leafHash(row.body);
    range->append(row.leaf);
    row.checkpoint = signer_.sign(range->size(), range->root());
    storage::AuditHead next = head;
    next.size = range->size();
    next.frontier = range->serialize();
    next.checkpoint = row.checkpoint;
    checkpoint = row.checkpoint;
    written = row;
    return std::make_pair(std::move(row), std::move(next));
  });
  if (st.isOk() && !options_.checkpointFile.empty()) {
    replaceFile(options_.checkpointFile, checkpoint);
  }
  if (st.isOk() && forward_) {
    forward_(written);
  }
  return st;
}

core::Result<std::vector<Hash>> AuditLog::leaves(std::uint64_t upTo) {
  std::vector<Hash> out;
  auto head = store_->head();
  if (!head.isOk()) {
    return head.status();
  }
  for (std::uint64_t next = head.value().anchorSize + 1; next <= upTo;) {
    auto rows = store_->scan(next, kScanBatch);
    if (!rows.isOk()) {
      return rows.status();
    }
    if (rows.value().empty()) {
      break;
    }
    for (auto& r : rows.value()) {
      if (r.seq > upTo) {
        return out;
      }
      if (r.seq != next) {
        return core::Status::ioError("record " + std::to_string(next) +
                                     " is missing (run rampartctl audit verify)");
      }
      out.push_back(leafHash(r.body));
      next = r.seq + 1;
    }
  }
  return out;
}

Verification AuditLog::verify(const std::vector<std::string>& keptCheckpoints) {
  std::lock_guard lock(mu_);
  Verification v;
  auto fail = [&v](std::uint64_t seq, std::string problem) {
    v.ok = false;
    v.badSeq = seq;
    v.problem = std::move(problem);
    return v;
  };
  auto head = store_->head();
  if (!head.isOk()) {
    return fail(0, head.status().message());
  }
  const auto& h = head.value();
  auto range = CompactRange::restore(h.anchorSize, h.anchorFrontier);
  if (!range) {
    return fail(0, "the retention anchor is damaged");
  }
  const std::string& origin = signer_.origin();
  const std::string& key = signer_.publicKey();
  // Checkpoints kept outside the log (the checkpoint file and the auditor's), by size.
  std::multimap<std::uint64_t, Checkpoint> kept;
  std::vector<std::string> notes = keptCheckpoints;
  if (!options_.checkpointFile.empty()) {
    std::ifstream f(options_.checkpointFile);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!text.empty()) {
      notes.push_back(text);
    }
  }
  for (const auto& note : notes) {
    auto c = verifyCheckpoint(note, origin, key);
    if (!c) {
      return fail(0, "a kept checkpoint does not verify with this log's key");
    }
    kept.emplace(c->size, *c);
  }
  if (auto c = verifyCheckpoint(h.checkpoint, origin, key); c || h.size > 0) {
    if (!c) {
      return fail(0, "the log head's checkpoint does not verify");
    }
    if (c->size != h.size) {
      return fail(0, "the log head's checkpoint is for another size");
    }
    kept.emplace(c->size, *c);
  }
  auto checkKept = [&](std::uint64_t size, const Hash& root) -> std::optional<std::string> {
    auto [lo, hi] = kept.equal_range(size);
    for (auto it = lo; it != hi; ++it) {
      if (it->second.root != root) {
        return "the records up to " + std::to_string(size) +
               " do not match a kept checkpoint of that size";
      }
    }
    return std::nullopt;
  };
  if (auto bad = checkKept(range->size(), range->root())) {
    return fail(range->size(), *bad);
  }
  if (auto below = store_->scan(0, 1); below.isOk() && !below.value().empty() &&
                                       below.value().front().seq <= h.anchorSize) {
    return fail(below.value().front().seq,
                "record " + std::to_string(below.value().front().seq) +
                    " lies in the part pruned by retention");
  }
  std::uint64_t expected = h.anchorSize + 1;
  for (;;) {
    auto rows = store_->scan(expected, kScanBatch);
    if (!rows.isOk()) {
      return fail(expected, rows.status().message());
    }
    if (rows.value().empty()) {
      break;
    }
    for (const auto& r : rows.value()) {
      if (r.seq != expected) {
        return fail(expected, "record " + std::to_string(expected) + " is missing");
      }
      const Hash leaf = leafHash(r.body);
      if (leaf != r.leaf) {
        return fail(r.seq, "record " + std::to_string(r.seq) + " was changed after it was written");
      }
      // The record's own position is part of what was hashed.
      if (bodySeq(r.body) != r.seq) {
        return fail(r.seq, "record " + std::to_string(r.seq) + " is not at its position");
      }
      if (!copiesMatch(r)) {
        return fail(r.seq, "record " + std::to_string(r.seq) +
                               ": its indexed fields differ from the signed record");
      }
      range->append(leaf);
      auto c = verifyCheckpoint(r.checkpoint, origin, key);
      if (!c || c->size != r.seq) {
        return fail(r.seq, "record " + std::to_string(r.seq) + " has no valid signed checkpoint");
      }
      if (c->root != range->root()) {
        return fail(r.seq, "record " + std::to_string(r.seq) +
                               " does not match its signed checkpoint: the log was changed, "
                               "reordered or had records inserted at or before it");
      }
      if (auto bad = checkKept(r.seq, c->root)) {
        return fail(r.seq, *bad);
      }
      ++v.records;
      expected = r.seq + 1;
    }
  }
  if (range->size() < h.size) {
    return fail(range->size() + 1, "the log was truncated: its head records " +
                                       std::to_string(h.size) + " records, " +
                                       std::to_string(range->size()) + " are left");
  }
  if (range->size() == h.size && range->serialize() != h.frontier) {
    return fail(0, "the log head's frontier does not match the records");
  }
  if (range->size() > h.size) {
    return fail(h.size + 1, "record " + std::to_string(h.size + 1) +
                                " was added behind the head's checkpoint");
  }
  if (!kept.empty() && kept.rbegin()->first > range->size()) {
    return fail(range->size() + 1, "the log was truncated: a kept checkpoint covers " +
                                       std::to_string(kept.rbegin()->first) + " records, " +
                                       std::to_string(range->size()) + " are left");
  }
  v.size = range->size();
  v.root = range->root();
  return v;
}

core::Result<std::vector<storage::AuditRow>> AuditLog::query(const storage::AuditFilter& filter) {
  std::lock_guard lock(mu_);
  return store_->query(filter);
}

core::Result<storage::AuditHead> AuditLog::head() {
  std::lock_guard lock(mu_);
  return store_->head();
}

core::Result<std::vector<Hash>> AuditLog::inclusion(std::uint64_t index, std::uint64_t size) {
  std::lock_guard lock(mu_);
  auto head = store_->head();
  if (!head.isOk()) {
    return head.status();
  }
  if (size > head.value().size || index >= size) {
    return core::Status::invalidArgument("index must be below size, and size at most " +
                                         std::to_string(head.value().size));
  }
  auto prefix = CompactRange::restore(head.value().anchorSize, head.value().anchorFrontier);
  auto tail = leaves(size);
  if (!prefix || !tail.isOk()) {
    return tail.isOk() ? core::Status::ioError("the retention anchor is damaged") : tail.status();
  }
  auto proof = inclusionProof(LeafView(*prefix, tail.value()), index, size);
  if (!proof) {
    return core::Status::notFound("that record was pruned by the retention policy");
  }
  return std::move(*proof);
}

core::Result<std::vector<Hash>> AuditLog::consistency(std::uint64_t first, std::uint64_t second) {
  std::lock_guard lock(mu_);
  auto head = store_->head();
  if (!head.isOk()) {
    return head.status();
  }
  if (first == 0 || first > second || second > head.value().size) {
    return core::Status::invalidArgument("need 0 < first <= second <= " +
                                         std::to_string(head.value().size));
  }
  auto prefix = CompactRange::restore(head.value().anchorSize, head.value().anchorFrontier);
  auto tail = leaves(second);
  if (!prefix || !tail.isOk()) {
    return tail.isOk() ? core::Status::ioError("the retention anchor is damaged") : tail.status();
  }
  auto proof = consistencyProof(LeafView(*prefix, tail.value()), first, second);
  if (!proof) {
    return core::Status::notFound("the proof needs records pruned by the retention policy");
  }
  return std::move(*proof);
}

core::Result<std::string> AuditLog::checkpointAt(std::uint64_t size) {
  std::lock_guard lock(mu_);
  auto head = store_->head();
  if (!head.isOk()) {
    return head.status();
  }
  if (size == 0 || size == head.value().size) {
    return head.value().checkpoint;
  }
  auto rows = store_->scan(size, 1);
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows.value().empty() || rows.value().front().seq != size) {
    return core::Status::notFound("no checkpoint for that size");
  }
  return rows.value().front().checkpoint;
}

core::Result<std::uint64_t> AuditLog::pruneBefore(std::int64_t cutoffMs) {
  std::lock_guard lock(mu_);
  auto last = store_->lastSeqBefore(cutoffMs);
  if (!last.isOk()) {
    return last.status();
  }
  auto head = store_->head();
  if (!head.isOk()) {
    return head.status();
  }
  const std::uint64_t through = last.value();
  if (through <= head.value().anchorSize) {
    return std::uint64_t{0};
  }
  const std::uint64_t dropped = through - head.value().anchorSize;
  core::Status st = store_->prune(through, [&](const storage::AuditHead& h)
                                               -> core::Result<std::string> {
    auto range = CompactRange::restore(h.anchorSize, h.anchorFrontier);
    if (!range) {
      return core::Status::ioError("the retention anchor is damaged");
    }
    for (std::uint64_t next = h.anchorSize + 1; next <= through;) {
      auto rows = store_->scan(next, kScanBatch);
      if (!rows.isOk()) {
        return rows.status();
      }
      if (rows.value().empty()) {
        return core::Status::ioError("records are missing below the pruning point");
      }
      for (const auto& r : rows.value()) {
        if (r.seq > through) {
          break;
        }
        if (r.seq != next || bodySeq(r.body) != r.seq || !copiesMatch(r) || r.timeMs >= cutoffMs) {
          return core::Status::ioError("record " + std::to_string(next) +
                                       " does not verify; nothing pruned (run rampartctl audit "
                                       "verify)");
        }
        range->append(leafHash(r.body));
        auto c = verifyCheckpoint(r.checkpoint, signer_.origin(), signer_.publicKey());
        if (!c || c->size != r.seq || c->root != range->root()) {
          return core::Status::ioError("record " + std::to_string(r.seq) +
                                       " does not match its signed checkpoint; nothing pruned");
        }
        next = r.seq + 1;
      }
    }
    return range->serialize();
  });
  if (!st.isOk()) {
    return st;
  }
  return dropped;
}

}  // namespace rampart::security::audit
