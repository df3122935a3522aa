#pragma once
// XEP-0045 Multi-User Chat as a component on its own domain under each host (by default
// "conference.HOST"). Rooms live in memory; persistent rooms (configuration, affiliations,
// subject) are stored and reloaded at start-up, and room messages go to a per-room archive
// (XEP-0313) from which joiners get their history. Thread-safe: the room table has its own
// mutex and each room one more; fan-out happens outside the locks with one shared stanza.
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "rampart/core/archive_query.h"
#include "rampart/core/dataform.h"
#include "rampart/core/module_context.h"

namespace rampart::modules::muc {
inline constexpr std::string_view kNsMuc = "http://jabber.org/protocol/muc";
inline constexpr std::string_view kNsUser = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view kNsAdmin = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view kNsOwner = "http://jabber.org/protocol/muc#owner";

enum class Affiliation { kOutcast, kNone, kMember, kAdmin, kOwner };
enum class Role { kNone, kVisitor, kParticipant, kModerator };
std::string_view affiliationName(Affiliation a);
std::string_view roleName(Role r);
std::optional<Affiliation> parseAffiliation(std::string_view s);
std::optional<Role> parseRole(std::string_view s);

struct RoomConfig {
  std::string title;
  std::string description;
  bool persistent = false;
  bool publicRoom = true;
  bool membersOnly = false;
  bool moderated = false;
  bool nonAnonymous = false;  // whois: anyone sees real JIDs (else moderators only)
  bool changeSubject = false;  // participants may change the subject
  bool allowInvites = false;   // participants may invite to a members-only room
  bool archive = true;
  std::string password;  // empty: none
  std::size_t maxUsers = 200;
  std::size_t historyLength = 20;
};

// XEP-0045 permission rules (sections 5, 8, 9, 10), pure functions for the handlers and tests.
Role defaultRole(Affiliation a, bool moderated);
// May an occupant with (actorAff, actorRole) give `target` (affiliation targetAff) role `r`?
bool mayChangeRole(Affiliation actorAff, Role actorRole, Affiliation targetAff, Role r);
// May `actor` change someone's affiliation from `from` to `to`?
bool mayChangeAffiliation(Affiliation actor, Affiliation from, Affiliation to);
// The stanza error condition refusing such a change, or empty when it is allowed: forbidden
// when the actor lacks the privilege (sections 8, 9, 10.5, 10.8), not-allowed when the target's
// affiliation protects it (sections 8.2, 9.1).
std::string_view roleChangeError(Affiliation actorAff, Role actorRole, Affiliation targetAff,
                                 Role r);
std::string_view affiliationChangeError(Affiliation actor, Affiliation from, Affiliation to);

struct Occupant {
  std::string nick;
  core::Jid bare;                   // real bare JID
  std::vector<core::Jid> sessions;  // real full JIDs joined under this nick
  Role role = Role::kParticipant;
  core::Element presence;           // last presence sent to the room (payload children)
};

struct Room {
  std::mutex mu;
  std::string name;  // localpart
  RoomConfig cfg;
  std::map<std::string, Affiliation> affiliations;  // bare JID -> affiliation (not kNone)
  std::map<std::string, Occupant> occupants;        // by nick
  std::string subject;
  std::string subjectFrom;  // nick, or empty for the room
  std::deque<core::ElementPtr> history;  // broadcast messages with <delay/>, oldest first
  bool destroyed = false;
  bool historyLoaded = false;

  Affiliation affiliationOf(const std::string& bare) const;
  Occupant* occupantBySession(const core::Jid& full);
};

class MucModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
  // Room history kept for joins takes the archive's tombstones of erased messages.
  void storedDataChanged() override;
  const std::string& domain() const { return domain_; }

 private:
  void onStanza(core::Element& st, core::Session* origin);
  void onServiceIq(const core::Element& iq);
  void onPresence(const std::shared_ptr<Room>& room, const std::string& roomName,
                  const core::Element& st);
  void join(const std::shared_ptr<Room>& room, const core::Element& st, const core::Jid& from,
            const std::string& nick, bool created);
  void leave(Room& room, const core::Jid& from, const core::Element& st);
  void onGroupchat(const std::shared_ptr<Room>& room, core::Element& st, const core::Jid& from);
  void onPrivate(const std::shared_ptr<Room>& room, const core::Element& st,
                 const core::Jid& from, const std::string& nick);
  void onInvite(const std::shared_ptr<Room>& room, const core::Element& st,
                const core::Jid& from);
  void onRoomIq(const std::shared_ptr<Room>& room, const core::Element& iq,
                const core::Jid& from);
  void onAdmin(const std::shared_ptr<Room>& room, const core::Element& iq, const core::Jid& from,
               bool set);
  void onOwner(const std::shared_ptr<Room>& room, const core::Element& iq, const core::Jid& from,
               bool set);
  void onArchiveQuery(const std::shared_ptr<Room>& room, const core::Element& iq,
                      const core::Jid& from);
  void destroy(const std::shared_ptr<Room>& room, const std::string& reason);

  // Fan-out helpers; call without the room lock held, with snapshots taken under it.
  struct Target {
    core::Jid full;
    bool seesJids;
  };
  void broadcastPresence(const std::vector<Target>& targets, const Occupant& who,
                         Affiliation aff, const std::string& roomJid,
                         const std::vector<int>& codes, bool unavailable,
                         const std::vector<core::Jid>& self, const core::Element* extra = nullptr);
  std::vector<Target> targetsOf(const Room& room) const;
  core::Element roomConfigForm(const Room& room) const;
  bool applyConfig(Room& room, const core::DataForm& form, std::string& error);
  void persist(Room& room);  // with the room lock held
  void sendError(const core::Element& st, std::string_view condition, std::string_view text = {});
  std::shared_ptr<Room> findRoom(const std::string& name);
  std::shared_ptr<Room> createRoom(const std::string& name);
  void dropRoomIfEmpty(const std::shared_ptr<Room>& room);
  // Removes a room's archive on the storage pool, after the queued messages are written.
  void removeArchive(const std::string& name);
  std::string roomJid(const std::string& name) const { return name + "@" + domain_; }

  core::ModuleContext* ctx_ = nullptr;
  std::string domain_;
  std::string parentHost_;
  std::size_t maxRooms_ = 0;
  std::size_t maxHistory_ = 0;
  std::shared_ptr<core::archive::ArchiveWriter> writer_;
  std::mutex roomsMu_;
  std::unordered_map<std::string, std::shared_ptr<Room>> rooms_;
};
}  // namespace rampart::modules::muc
