#pragma once
// XEP-0313 (Message Archive Management) for accounts: archives one-to-one messages as they
// are routed, answers archive queries with XEP-0059 paging, keeps per-account preferences
// and deletes what is older than the retention period. Thread-safe: preferences sit behind a
// shared mutex, archive writes are queued and group-committed on the storage thread.
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "rampart/core/archive_query.h"
#include "rampart/core/module_context.h"

namespace rampart::modules::mam {
using core::archive::kNsSid;
inline constexpr std::string_view kNs = core::archive::kNsMam;
inline constexpr std::string_view kNsExtended = core::archive::kNsMamExtended;

// XEP-0313 section 5.1 with XEP-0334 hints: does this message belong in an archive?
bool archivable(const core::Element& message);


struct Prefs {
  enum class Default { kAlways, kNever, kRoster };
  Default def = Default::kAlways;
  std::unordered_set<std::string> always;  // bare JIDs
  std::unordered_set<std::string> never;
};

class MamModule final : public core::Module {
 public:
  MamModule();
  ~MamModule() override;
  void start(core::ModuleContext& ctx) override;

 private:
  bool onIncoming(core::StanzaEvent& ev);
  bool onOutgoing(core::StanzaEvent& ev);
  // Decides for the archive of `owner` (bare JID) and the other party; "roster" is decided
  // when the item is written.
  enum class Decision { kNo, kYes, kIfInRoster };
  Decision decide(const std::string& owner, const core::Jid& other) const;
  void archive(const core::Jid& owner, const core::Jid& other, const core::Element& message,
               std::string id, Decision d);
  void handleQuery(const core::Element& iq);
  void handlePrefsGet(const core::Element& iq);
  void handlePrefsSet(const core::Element& iq);

  core::ModuleContext* ctx_ = nullptr;
  std::shared_ptr<core::archive::ArchiveWriter> writer_;  // shared with storage jobs that may outlive a stop
  Prefs::Default defaultPolicy_ = Prefs::Default::kAlways;
  std::size_t maxPage_ = 0;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Prefs>> prefs_;  // by bare JID
};
}  // namespace rampart::modules::mam
