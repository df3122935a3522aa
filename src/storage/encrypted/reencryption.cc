#include "storage/encrypted/reencryption.h"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iterator>

#include "rampart/storage/personal_data.h"

namespace rampart::storage::encrypted {

namespace json = boost::json;

namespace {
constexpr std::string_view kPassVersions = "reencryption-versions";
constexpr std::string_view kProgress = "reencryption";
}  // namespace

Reencryption::Reencryption(EncryptedStorage& storage, security::encryption::Keyring& keyring,
                           std::function<std::int64_t()> nowMs, SealedCellStore* cells)
    : storage_(storage),
      cells_(cells != nullptr ? *cells : storage.sealedCells()),
      keyring_(keyring),
      now_(std::move(nowMs)) {}

std::map<std::string, std::uint32_t> Reencryption::currentVersions() {
  std::map<std::string, std::uint32_t> out;
  std::lock_guard lock(keyring_.storeMutex());
  auto tenants = keyring_.store().tenants();
  if (!tenants.isOk()) return out;
  for (const auto& t : tenants.value()) {
    auto keys = keyring_.store().tenantKeys(t);
    if (keys.isOk() && !keys.value().empty()) out[t] = keys.value().back().version;
  }
  return out;
}

void Reencryption::check() {
  if (running_) return;
  keyring_.refresh();
  const auto versions = currentVersions();
  std::optional<std::string> done;
  {
    std::lock_guard lock(keyring_.storeMutex());
    auto m = keyring_.store().meta(kPassVersions);
    if (m.isOk()) done = m.value();
  }
  if (done) {
    boost::system::error_code ec;
    auto v = json::parse(*done, ec);
    // The same versions, under the same generation of sealed columns (a column sealed since
    // needs a pass too).
    const auto* gen = !ec && v.is_object() ? v.as_object().if_contains("") : nullptr;
    bool same = gen != nullptr && gen->is_int64() && gen->as_int64() == kSealedGeneration &&
                v.as_object().size() == versions.size() + 1;
    if (same) {
      for (const auto& [t, ver] : versions) {
        const auto* x = v.as_object().if_contains(t);
        same = same && x != nullptr && x->is_int64() && x->as_int64() == ver;
      }
    }
    if (same) return;
  }
  running_ = true;
  startVersions_ = versions;
  column_ = 0;
  cursor_.clear();
  filesListed_ = false;
  files_.clear();
  progress_.clear();
  startedMs_ = now_();
  spdlog::info("event=reencryption_started");
  save(false);
}

bool Reencryption::step(std::size_t batch) {
  if (!running_) return false;
  constexpr std::size_t kColumns = std::size(kSealedColumns);
  std::size_t budget = batch;
  while (budget > 0 && column_ < kColumns) {
    const auto& col = kSealedColumns[column_];
    auto page = cells_.cells(col.table, col.column, cursor_, budget);
    if (!page.isOk()) {
      spdlog::warn("event=reencryption_read_failed column={}.{} error=\"{}\"", col.table,
                   col.column, page.status().message());
      return true;  // tried again at the next step
    }
    for (const auto& cell : page.value().cells) {
      if (cell.value.empty()) continue;
      const std::string tenant = storage_.tenancyOf(cell.host).tenant;
      TenantProgress& p = progress_[tenant];
      ++p.total;
      auto resealed = storage_.reseal(cell);
      if (!resealed.isOk() && resealed.status().code() == core::Status::Code::kNotFound) {
        ++p.shredded;  // crypto-shredded: nothing to seal again, and nothing can read it
        continue;
      }
      if (!resealed.isOk()) {
        ++p.failed;
        spdlog::warn("event=reencryption_failed column={}.{} tenant={} error=\"{}\"", col.table,
                     col.column, tenant, resealed.status().message());
        continue;
      }
      if (!resealed.value()) {
        ++p.current;
        continue;
      }
      auto replaced = cells_.replaceCell(cell, *resealed.value());
      if (replaced.isOk()) {
        // Not replaced: written again since it was read, by then with the current key.
        ++(replaced.value() ? p.resealed : p.current);
      } else {
        ++p.failed;
      }
    }
    budget -= std::min(budget, page.value().cells.size() + 1);
    if (page.value().next.empty()) {
      ++column_;
      cursor_.clear();
    } else {
      cursor_ = page.value().next;
    }
  }
  if (column_ < kColumns) {
    save(false);
    return true;
  }
  // Then the files: listed once, sealed again one by one (each costs the budget its 64 KiB
  // chunks would, so that a step stays short).
  if (!filesListed_) {
    filesListed_ = true;
    for (const auto& [through, list] : listers_) {
      for (auto& f : list(*through)) files_.emplace_back(through, std::move(f));
    }
    std::reverse(files_.begin(), files_.end());
  }
  while (budget > 0 && !files_.empty()) {
    auto [through, f] = std::move(files_.back());
    files_.pop_back();
    std::error_code ec;
    const auto size = std::filesystem::file_size(f.path, ec);
    if (ec) continue;  // deleted since it was listed
    budget -= std::min<std::size_t>(budget, 1 + static_cast<std::size_t>(size / 65536));
    const std::string tenant = storage_.tenancyOf(f.host).tenant;
    TenantProgress& p = progress_[tenant];
    ++p.total;
    auto resealed = through->files().resealFile(f.host, f.owner, f.id, f.path);
    if (!resealed.isOk() && resealed.status().code() == core::Status::Code::kNotFound) {
      ++p.shredded;
    } else if (!resealed.isOk()) {
      ++p.failed;
      spdlog::warn("event=reencryption_failed file={} tenant={} error=\"{}\"", f.path, tenant,
                   resealed.status().message());
    } else {
      ++(resealed.value() ? p.resealed : p.current);
    }
  }
  if (!files_.empty()) {
    save(false);
    return true;
  }
  // The pass is complete: tenants without failures hold nothing in clear any more.
  running_ = false;
  const auto& versions = startVersions_;
  json::object done;
  done[""] = kSealedGeneration;  // no tenant is named ""
  for (const auto& [t, v] : versions) {
    done[t] = v;
    auto it = progress_.find(t);
    if (it == progress_.end() || it->second.failed == 0) {
      (void)keyring_.setSealedOnly(t);
    }
  }
  for (auto& [t, p] : progress_) {
    if (auto it = versions.find(t); it != versions.end()) p.version = it->second;
  }
  save(true);
  {
    std::lock_guard lock(keyring_.storeMutex());
    (void)keyring_.store().putMeta(kPassVersions, json::serialize(done));
  }
  std::uint64_t resealed = 0, failed = 0;
  for (const auto& [t, p] : progress_) {
    resealed += p.resealed;
    failed += p.failed;
  }
  spdlog::info("event=reencryption_finished resealed={} failed={}", resealed, failed);
  return false;
}

void Reencryption::save(bool finished) {
  json::object o;
  o["state"] = finished ? "idle" : "running";
  o["started_ms"] = startedMs_;
  if (finished) o["finished_ms"] = now_();
  if (!finished && column_ < std::size(kSealedColumns)) {
    o["column"] = std::string(kSealedColumns[column_].table) + "." +
                  std::string(kSealedColumns[column_].column);
  } else if (!finished) {
    o["column"] = "files";
  }
  json::object tenants;
  for (const auto& [t, p] : progress_) {
    tenants[t] = json::object{{"total", p.total},
                              {"current", p.current},
                              {"resealed", p.resealed},
                              {"failed", p.failed},
                              {"shredded", p.shredded}};
  }
  o["tenants"] = std::move(tenants);
  std::lock_guard lock(keyring_.storeMutex());
  (void)keyring_.store().putMeta(kProgress, json::serialize(o));
}

}  // namespace rampart::storage::encrypted
