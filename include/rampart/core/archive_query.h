#pragma once
// XEP-0313 archive queries shared by the account archive and room archives: parsing the
// <query/> (XEP-0004 form and XEP-0059 set), sending the results and the <fin/>, and the
// search form. Stateless; thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rampart/core/element.h"
#include "rampart/core/router.h"
#include "rampart/storage/stores.h"

namespace rampart::core::archive {

inline constexpr std::string_view kNsMam = "urn:xmpp:mam:2";
inline constexpr std::string_view kNsMamExtended = "urn:xmpp:mam:2#extended";
inline constexpr std::string_view kNsSid = "urn:xmpp:sid:0";
inline constexpr std::string_view kNsRsm = "http://jabber.org/protocol/rsm";
inline constexpr std::string_view kNsForward = "urn:xmpp:forward:0";
inline constexpr std::string_view kNsDelay = "urn:xmpp:delay";
// XEP-0431 full-text search: the disco feature and the form field.
inline constexpr std::string_view kNsFulltext = "urn:xmpp:fulltext:0";
inline constexpr std::string_view kFulltextField = "{urn:xmpp:fulltext:0}fulltext";

struct QueryRequest {
  storage::ArchiveQuery query;
  std::string queryId;
};

// Parses the <query/> of an archive request; on failure returns nullopt with the stanza error
// condition and a text for the requester.
std::optional<QueryRequest> parseQuery(const Element& query, std::size_t maxPage,
                                       std::string& condition, std::string& text);
// Sends each item of `page` to the requester (the IQ's 'from') as a forwarded <result/> from
// `archiveJid`, then the IQ result with <fin/>.
void sendResults(Router& router, const Element& iq, const std::string& archiveJid,
                 const QueryRequest& req, const storage::ArchivePage& page);
// The IQ result carrying the search form (iq get).
Element queryForm(const Element& iq);
// A fresh XEP-0359 stanza-id.
std::string newStanzaId();
// XEP-0359 section 4: nobody else may claim to be archive `by`; when a stanza-id does, the
// stanza-ids are removed before the archive adds its own.
void stripForgedStanzaIds(Element& message, std::string_view by);

// Queued archive appends, group-committed: one transaction for everything added within a
// short window (or sooner once a batch is full), in the order added. Messages are delivered
// before their archive copies are written; queries call commit() first, so that they see
// every message already routed. Thread-safe; create with std::make_shared (storage jobs keep
// it alive).
class ArchiveWriter : public std::enable_shared_from_this<ArchiveWriter> {
 public:
  using Job = std::function<void(storage::Storage&)>;
  // Runs a job on the storage thread after a delay.
  using Schedule = std::function<void(std::chrono::milliseconds, Job)>;
  static constexpr std::chrono::milliseconds kWindow{50};
  static constexpr std::size_t kMaxBatch = 1000;

  explicit ArchiveWriter(Schedule schedule) : schedule_(std::move(schedule)) {}
  // Which items are kept when written (checked on the storage thread, where accounts and
  // rosters are at hand).
  enum class Keep {
    kAlways,       // room archives
    kIfAccount,    // an account's archive: only while the account exists
    kIfInRoster,   // the "roster" archiving preference: withBare is in the owner's roster
  };
  void add(storage::ArchiveAppend item, Keep keep = Keep::kAlways);
  // On the storage thread: writes everything queued so far.
  void commit(storage::Storage& s);

 private:
  struct Pending {
    storage::ArchiveAppend item;
    Keep keep;
  };
  // Called with mu_ held: sets the flag and schedules a commit that clears it before writing.
  void scheduleCommit(std::chrono::milliseconds delay, bool ArchiveWriter::*onItsWay);
  Schedule schedule_;
  std::mutex mu_;
  std::vector<Pending> pending_;
  bool scheduled_ = false;  // a commit after the window is on its way
  bool urgent_ = false;     // an immediate commit (full batch) is on its way
};

}  // namespace rampart::core::archive
