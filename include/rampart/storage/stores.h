#pragma once
// Storage contracts used by the core and modules. Implementations (sqlite/, memory/) are
// called only from the storage pool's threads (see StorageRunner); they may block.
// Every account is identified by (host, user) with both parts already normalized.

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/byte_source.h"
#include "rampart/core/status.h"
#include "rampart/storage/account_security_store.h"
#include "rampart/storage/admin_store.h"
#include "rampart/storage/alert_store.h"
#include "rampart/storage/content_store.h"

namespace rampart::storage {

using core::Result;
using core::Status;

// A SCRAM verifier (RFC 5802 section 3): never the password itself.
struct Credential {
  std::string mechanism;  // "SCRAM-SHA-1" or "SCRAM-SHA-256"
  std::string salt;       // raw bytes
  std::uint32_t iterations = 0;
  std::string storedKey;  // raw bytes
  std::string serverKey;  // raw bytes
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  virtual Status createAccount(std::string_view host, std::string_view user,
                               const std::vector<Credential>& credentials) = 0;
  virtual Status setCredentials(std::string_view host, std::string_view user,
                                const std::vector<Credential>& credentials) = 0;
  // Removes the account with its roster, offline messages, documents and archive.
  virtual Status deleteAccount(std::string_view host, std::string_view user) = 0;
  virtual Result<bool> exists(std::string_view host, std::string_view user) = 0;
  virtual Result<std::vector<Credential>> credentials(std::string_view host,
                                                      std::string_view user) = 0;
  virtual Result<std::vector<std::string>> listAccounts(std::string_view host) = 0;
};

enum class Subscription { kNone, kTo, kFrom, kBoth, kRemove };

struct RosterItem {
  std::string jid;  // bare JID of the contact
  std::string name;
  Subscription subscription = Subscription::kNone;
  bool askOut = false;     // we asked to subscribe to the contact ("ask='subscribe'")
  bool pendingIn = false;  // the contact asked to subscribe to us, not yet answered
  std::vector<std::string> groups;
  // False while the item only records an unanswered inbound request (RFC 6121 section 3.1.3):
  // such an item is not shown in the roster.
  bool inRoster = true;
};

class RosterStore {
 public:
  virtual ~RosterStore() = default;
  virtual Result<std::vector<RosterItem>> roster(std::string_view host, std::string_view user) = 0;
  virtual Result<std::optional<RosterItem>> item(std::string_view host, std::string_view user,
                                                 std::string_view contact) = 0;
  // Both bump the roster version (RFC 6121 section 2.6) in the same transaction.
  virtual Status putItem(std::string_view host, std::string_view user, const RosterItem& item) = 0;
  virtual Status removeItem(std::string_view host, std::string_view user,
                            std::string_view contact) = 0;
  // Current roster version; 0 for a roster never changed.
  virtual Result<std::int64_t> version(std::string_view host, std::string_view user) = 0;
};

struct OfflineMessage {
  std::int64_t id = 0;
  std::string stanza;  // serialized <message/>
};

// One waiting message with the account it waits for.
struct OfflineEntry {
  std::string user;
  std::int64_t id = 0;
  std::string stanza;
};

class OfflineStore {
 public:
  virtual ~OfflineStore() = default;
  // Durable once this returns ok (the message must survive a crash of the process).
  virtual Status push(std::string_view host, std::string_view user, std::string_view stanza) = 0;
  virtual Result<std::vector<OfflineMessage>> fetch(std::string_view host, std::string_view user,
                                                    std::size_t limit) = 0;
  virtual Status removeUpTo(std::string_view host, std::string_view user, std::int64_t lastId) = 0;
  virtual Result<std::size_t> count(std::string_view host, std::string_view user) = 0;
  // Every account's waiting messages on `host` with ids after `afterId`, in id order, at most
  // `limit` (an erasure looks for what the erased person sent that was never delivered).
  virtual Result<std::vector<OfflineEntry>> offlineAfter(std::string_view host,
                                                         std::int64_t afterId,
                                                         std::size_t limit) = 0;
  // Removes one waiting message; ok when it was already gone.
  virtual Status removeOffline(std::string_view host, std::string_view user, std::int64_t id) = 0;
};

// Small documents kept per owner: private XML (XEP-0049), vCards, block lists, PEP nodes,
// room configurations. `owner` is an account's localpart, a room name, or "" for the host;
// `store` names the feature. Values are opaque bytes. Deleting an account deletes its
// documents.
struct KeyValue {
  std::string key;
  std::string value;
};

struct StoredDocument {
  std::string store;
  std::string key;
  std::string value;
};

// Where XEP-0357 push registrations are kept (host, owner "", this store, key: the bare JID).
// The push module reads them; logging an account out with its devices revokes them.
inline constexpr std::string_view kPushRegistrationStore = "push";

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  virtual Result<std::optional<std::string>> get(std::string_view host, std::string_view owner,
                                                 std::string_view store, std::string_view key) = 0;
  // Inserts or replaces.
  virtual Status put(std::string_view host, std::string_view owner, std::string_view store,
                     std::string_view key, std::string_view value) = 0;
  // Ok when the key was absent.
  virtual Status remove(std::string_view host, std::string_view owner, std::string_view store,
                        std::string_view key) = 0;
  // Every key of one owner's store, ordered by key.
  virtual Result<std::vector<KeyValue>> list(std::string_view host, std::string_view owner,
                                             std::string_view store) = 0;
  virtual Status removeAll(std::string_view host, std::string_view owner,
                           std::string_view store) = 0;
  // Every document of one owner, in every store (a person's data export).
  virtual Result<std::vector<StoredDocument>> documentsOf(std::string_view host,
                                                          std::string_view owner) = 0;
};

// Message archives (XEP-0313): one per account, and one per room. Items are kept in the
// order they were appended; `id` is the XEP-0359 stanza-id, unique within its archive.
struct ArchiveItem {
  std::string id;
  std::int64_t timestampUs = 0;  // microseconds since the Unix epoch, UTC
  std::string withBare;          // the other party's bare JID (rooms: the occupant's JID)
  std::string withFull;          // the other party's full JID when known
  std::string stanza;            // serialized <message/>
};

struct ArchiveAppend {
  std::string host;
  std::string owner;
  ArchiveItem item;
  // The message's text, for full-text search (XEP-0431). The storage keeps only the digests
  // of its terms (core/search_terms.h): keyed per account with encryption on (a blind index),
  // SHA-256 otherwise; `termDigests` when a layer above has computed them (core::kTermDigestBytes
  // each, concatenated).
  std::string searchText;
  std::string termDigests;
};

struct ArchiveQuery {
  std::optional<std::string> with;  // bare JID matches withBare; full JID matches withFull
  std::optional<std::int64_t> startUs, endUs;  // inclusive bounds on the timestamp
  std::optional<std::string> afterId;   // page forward from this item (exclusive)
  std::optional<std::string> beforeId;  // page backward from this item (exclusive)
  bool lastPage = false;                // page backward from the end (RSM empty <before/>)
  std::vector<std::string> ids;         // only these items (empty: no such filter)
  // Full-text search (XEP-0431): items holding every term of this text; `termDigests` when a
  // layer above has computed the terms' digests (as ArchiveAppend's).
  std::optional<std::string> fulltext;
  std::string termDigests;
  std::size_t max = 50;
};

struct ArchivePage {
  std::vector<ArchiveItem> items;  // always in archive order
  bool complete = false;           // nothing further in the direction of paging
  std::size_t count = 0;           // items matching the filters, ignoring paging
};

class ArchiveStore {
 public:
  virtual ~ArchiveStore() = default;
  // Appends many items (to any archives) in one transaction; durable once it returns ok. Taken
  // by value, so that layers (encryption, regions) pass the batch on without copying it.
  virtual Status append(std::vector<ArchiveAppend> items) = 0;
  // Not found when afterId/beforeId names no item of this archive.
  virtual Result<ArchivePage> query(std::string_view host, std::string_view owner,
                                    const ArchiveQuery& q) = 0;
  // Retention: deletes items older than the cutoff from every archive of `host` (accounts of
  // a host, or rooms of a MUC service) but those of `except` and those under legal hold;
  // returns how many.
  virtual Result<std::size_t> removeOlderThan(std::string_view host, std::int64_t cutoffUs,
                                              const std::vector<std::string>& except = {}) = 0;
  // Deletes one archive's items stamped before `beforeUs` (all of them by default).
  virtual Status removeArchive(std::string_view host, std::string_view owner,
                               std::int64_t beforeUs = std::numeric_limits<std::int64_t>::max()) = 0;
  // Every item of `host`'s archives whose withBare is `withBare` (a person's messages in the
  // rooms of a group chat service), oldest first.
  virtual Result<std::vector<ArchiveAppend>> itemsWith(std::string_view host,
                                                       std::string_view withBare) = 0;
  // Replaces one item's stanza and forgets its search terms and its other party (a tombstone
  // after the author's erasure).
  virtual Status replaceItem(std::string_view host, std::string_view owner, std::string_view id,
                             std::string_view stanza) = 0;
};

// Every stored value the encryption layer seals (storage/encrypted), read and replaced in
// batches by the background re-encryption after a key rotation. Which table and column hold
// what is listed in personal_data.h.
struct SealedCell {
  std::string table;
  std::string column;
  std::string host;   // the row's host (its tenant, or a service of the tenant)
  std::string owner;  // the account, room or sender the row belongs to ("" for the host)
  std::string store;  // key-value rows: the feature's store name
  std::string key;    // key-value rows: the key; archive rows: the stanza-id
  std::string value;  // as stored
  std::string locator;  // the backend's handle of the row (opaque)
};

struct CellPage {
  std::vector<SealedCell> cells;
  std::string next;  // the cursor for the next page; empty when this was the last
};

class SealedCellStore {
 public:
  virtual ~SealedCellStore() = default;
  // One page of `table`.`column` after `cursor` ("" from the start), in the backend's order.
  virtual Result<CellPage> cells(std::string_view table, std::string_view column,
                                 std::string_view cursor, std::size_t limit) = 0;
  // Replaces a cell's value if it still holds `cell.value` (a write since it was read wins);
  // false when it did not.
  virtual Result<bool> replaceCell(const SealedCell& cell, std::string_view value) = 0;
  // Writes what the write-ahead log holds back into the database and empties the log, so
  // earlier images of deleted or replaced rows do not linger in it (after an erasure).
  virtual Status flushLog() = 0;
};

// A file a feature keeps at rest (an upload): what the background re-encryption after a key
// rotation walks.
struct KeptFile {
  std::string host;
  std::string owner;
  std::string id;
  std::string path;
};

// Files kept at rest (uploads) in a feature's directory. With encryption on they are sealed
// (streamed in chunks, so memory stays flat) under the owner's key.
class FileStore {
 public:
  virtual ~FileStore() = default;
  // Moves the spooled file `from` to `to`, sealing it for (host, owner, id) on the way when
  // the storage encrypts. `from` is gone afterwards, also on failure.
  virtual Status keepFile(std::string_view host, std::string_view owner, std::string_view id,
                          const std::string& from, const std::string& to) = 0;
  // The content of a kept file, read as it is sent; NotFound when the file is gone.
  virtual Result<std::shared_ptr<core::ByteSource>> readFile(std::string_view host,
                                                             std::string_view owner,
                                                             std::string_view id,
                                                             const std::string& path) = 0;
  // Seals a kept file again under its owner's current key when it names an older version or
  // is in clear (kept before encryption was on); false when it already was current, or the
  // storage does not encrypt. Written beside it and renamed over it: a reader that has it
  // open goes on reading the old one. NotFound when the file is gone or its key destroyed.
  virtual Result<bool> resealFile(std::string_view host, std::string_view owner,
                                  std::string_view id, const std::string& path) = 0;
};

// The set of stores one backend provides.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual AccountStore& accounts() = 0;
  virtual RosterStore& roster() = 0;
  virtual OfflineStore& offline() = 0;
  virtual KeyValueStore& keyValue() = 0;
  virtual ArchiveStore& archive() = 0;
  virtual AdminStore& admin() = 0;
  virtual AlertStore& alerts() = 0;
  virtual AccountSecurityStore& accountSecurity() = 0;
  virtual ContentStore& content() = 0;
  virtual SealedCellStore& sealedCells() = 0;
  virtual FileStore& files() = 0;
};

// Lists the files a feature keeps (registered by the feature; read on the storage thread).
using KeptFiles = std::function<std::vector<KeptFile>(Storage&)>;

}  // namespace rampart::storage
