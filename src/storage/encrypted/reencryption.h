#pragma once
// Background re-encryption after a key rotation (and the first sealing of values stored before
// encryption was switched on): pages through every sealed column in small batches on the
// storage thread and seals again whatever is not under its tenant's current key; then the kept
// files (uploads), one at a time. Progress is
// kept in the key store for `rampartctl key status`. Used from the storage thread only.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "storage/encrypted/encrypted_storage.h"

namespace rampart::storage::encrypted {

class Reencryption {
 public:
  // `cells`: where the stored cells are read and replaced (with data residency, every
  // region's backend); null: `storage`'s own.
  Reencryption(EncryptedStorage& storage, security::encryption::Keyring& keyring,
               std::function<std::int64_t()> nowMs, SealedCellStore* cells = nullptr);
  // Adds where kept files (uploads) are listed: a pass seals them again after the cells, one
  // file at a time, streamed, listed and sealed through `through` (with data residency, the
  // router over every region).
  void addFiles(Storage& through, KeptFiles lister) {
    listers_.emplace_back(&through, std::move(lister));
  }
  // Starts a pass when a tenant's current key changed since the last complete pass (or no pass
  // ever completed). Cheap when there is nothing to do.
  void check();
  // Seals up to `batch` cells again; true while the pass has more to do.
  bool step(std::size_t batch = 256);
  bool running() const { return running_; }

 private:
  struct TenantProgress {
    std::uint32_t version = 0;
    std::uint64_t total = 0;      // non-empty sealed cells seen in this pass
    std::uint64_t current = 0;    // already under the current key when seen
    std::uint64_t resealed = 0;   // sealed again by this pass
    std::uint64_t failed = 0;     // could not be opened (altered)
    std::uint64_t shredded = 0;   // their account's keys were destroyed (erased accounts)
  };
  void save(bool finished);
  std::map<std::string, std::uint32_t> currentVersions();

  EncryptedStorage& storage_;
  SealedCellStore& cells_;
  security::encryption::Keyring& keyring_;
  std::function<std::int64_t()> now_;
  bool running_ = false;
  std::size_t column_ = 0;
  std::string cursor_;
  std::vector<std::pair<Storage*, KeptFiles>> listers_;
  bool filesListed_ = false;
  // What the pass still has to look at (last first), with the storage it goes through.
  std::vector<std::pair<Storage*, KeptFile>> files_;
  std::int64_t startedMs_ = 0;
  std::map<std::string, TenantProgress> progress_;
  // The tenants' current versions when the pass started: what it completes. A rotation while
  // it runs is then seen as a change, and the next pass seals again with the newer key.
  std::map<std::string, std::uint32_t> startVersions_;
};

}  // namespace rampart::storage::encrypted
