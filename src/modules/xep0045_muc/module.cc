// XEP-0045 Multi-User Chat 1.34 service: rooms, joining with history and subject, presence,
// group and private messages, invitations, moderation (roles and affiliations), room
// configuration by XEP-0004 forms, persistence, room archives (XEP-0313) and XEP-0410 self-ping.
#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "modules/xep0045_muc/muc.h"
#include "rampart/core/datetime.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::muc {
namespace {
constexpr std::string_view kStore = "muc_rooms";
constexpr std::string_view kNsInternal = "urn:rampart:muc:0";
constexpr std::string_view kNsInfo = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kNsItems = "http://jabber.org/protocol/disco#items";
constexpr std::string_view kNsPing = "urn:xmpp:ping";
constexpr std::string_view kNsConfig = "http://jabber.org/protocol/muc#roomconfig";
constexpr std::string_view kNsRoomInfo = "http://jabber.org/protocol/muc#roominfo";
constexpr std::string_view kNsHints = "urn:xmpp:hints";
using core::Element;
using core::Jid;

std::string nextId() {
  static std::atomic<std::uint64_t> n{0};
  return "muc-" + std::to_string(++n);
}

bool truthy(std::string_view v) { return v == "1" || v == "true"; }

bool archivable(const Element& m) {
  if (m.child("no-store", kNsHints) != nullptr || m.child("no-permanent-store", kNsHints)) {
    return false;
  }
  return m.child("body", core::kNsClient) != nullptr || m.child("store", kNsHints) != nullptr ||
         m.child("encrypted", "urn:xmpp:omemo:2") != nullptr ||
         m.child("encrypted", "eu.siacs.conversations.axolotl") != nullptr;
}

// XEP-0045 section 7.2.1: a nick is a resourcepart; it must not be empty.
std::optional<std::string> validNick(std::string_view nick) {
  if (nick.empty() || nick.size() > 1023) {
    return std::nullopt;
  }
  return core::prepareResourcepart(nick);
}

std::string serializeRoom(const Room& r) {
  Element e("room", std::string(kNsInternal));
  const RoomConfig& c = r.cfg;
  e.setAttr("title", c.title).setAttr("desc", c.description);
  e.setAttr("public", c.publicRoom ? "1" : "0").setAttr("members", c.membersOnly ? "1" : "0");
  e.setAttr("moderated", c.moderated ? "1" : "0").setAttr("nonanon", c.nonAnonymous ? "1" : "0");
  e.setAttr("subjectchange", c.changeSubject ? "1" : "0");
  e.setAttr("invites", c.allowInvites ? "1" : "0").setAttr("archive", c.archive ? "1" : "0");
  e.setAttr("password", c.password).setAttr("maxusers", std::to_string(c.maxUsers));
  e.setAttr("history", std::to_string(c.historyLength));
  e.setAttr("subject", r.subject).setAttr("subjectfrom", r.subjectFrom);
  for (const auto& [jid, a] : r.affiliations) {
    e.addChild("aff", std::string(kNsInternal))
        .setAttr("jid", jid)
        .setAttr("a", affiliationName(a));
  }
  return e.str("");
}

bool parseRoom(std::string_view xml, Room& r) {
  auto e = core::parseElement(xml);
  if (!e || !e->is("room", kNsInternal)) {
    return false;
  }
  RoomConfig& c = r.cfg;
  c.persistent = true;
  c.title = std::string(e->attrOr("title"));
  c.description = std::string(e->attrOr("desc"));
  c.publicRoom = truthy(e->attrOr("public"));
  c.membersOnly = truthy(e->attrOr("members"));
  c.moderated = truthy(e->attrOr("moderated"));
  c.nonAnonymous = truthy(e->attrOr("nonanon"));
  c.changeSubject = truthy(e->attrOr("subjectchange"));
  c.allowInvites = truthy(e->attrOr("invites"));
  c.archive = truthy(e->attrOr("archive"));
  c.password = std::string(e->attrOr("password"));
  c.maxUsers = std::strtoul(std::string(e->attrOr("maxusers", "200")).c_str(), nullptr, 10);
  c.historyLength = std::strtoul(std::string(e->attrOr("history", "20")).c_str(), nullptr, 10);
  r.subject = std::string(e->attrOr("subject"));
  r.subjectFrom = std::string(e->attrOr("subjectfrom"));
  for (const auto* a : e->childElements()) {
    if (auto aff = parseAffiliation(a->attrOr("a"))) {
      r.affiliations[std::string(a->attrOr("jid"))] = *aff;
    }
  }
  return true;
}

// XEP-0313 business rules, MUC archives: an archived room message as one requester may see it.
// The service's <x xmlns='muc#user'><item jid/></x> names the real sender and stays only for
// those who may see real JIDs; any other muc#user element (stored before clients' were
// stripped) goes.
std::string presentArchived(const storage::ArchiveItem& item, bool seesJids) {
  auto m = core::parseElement(item.stanza);
  if (!m) {
    return item.stanza;
  }
  std::optional<Element> ours;
  for (const auto* x : m->childElements()) {
    const Element* it = x->is("x", kNsUser) ? x->child("item", kNsUser) : nullptr;
    auto real = it != nullptr ? Jid::parse(it->attrOr("jid")) : std::nullopt;
    if (real && !item.withBare.empty() && real->bareStr() == item.withBare) {
      ours = *x;
    }
  }
  m->removeChildren("x", kNsUser);
  if (seesJids && ours) {
    m->addChild(*ours);
  }
  return m->str("");
}

Element errorPresence(const Element& st, std::string_view condition) {
  Element e = core::makeErrorReply(st, core::defaultErrorType(condition), condition);
  e.removeChildren("x", std::string(kNsMuc));
  e.addChild("x", std::string(kNsMuc));
  return e;
}
}  // namespace

void MucModule::storedDataChanged() {
  if (ctx_ == nullptr) return;
  std::vector<std::pair<std::string, std::shared_ptr<Room>>> rooms;
  {
    std::lock_guard lock(roomsMu_);
    for (const auto& [name, room] : rooms_) rooms.emplace_back(name, room);
  }
  ctx_->runStorage([this, rooms = std::move(rooms)](storage::Storage& s) {
    writer_->commit(s);
    for (const auto& [name, room] : rooms) {
      storage::ArchiveQuery q;
      q.lastPage = true;
      q.max = maxHistory_;
      auto page = s.archive().query(domain_, name, q);
      if (!page.isOk()) continue;
      // The archive's tombstones (an erased person's messages), by stanza-id.
      std::map<std::string, core::Element> tombstones;
      for (const auto& item : page.value().items) {
        auto m = core::parseElement(item.stanza);
        if (m && m->child("retracted", "urn:xmpp:message-retract:1") != nullptr) {
          m->removeChildren("x", kNsUser);
          tombstones.emplace(item.id, std::move(*m));
        }
      }
      if (tombstones.empty()) continue;
      std::lock_guard lock(room->mu);
      for (auto& h : room->history) {
        std::string id;
        if (const Element* sid = h->child("stanza-id", core::archive::kNsSid)) {
          id = std::string(sid->attrOr("id"));
        }
        auto t = tombstones.find(id);
        if (id.empty() || t == tombstones.end()) continue;
        Element copy = t->second;
        if (const Element* d = h->child("delay", "urn:xmpp:delay")) copy.addChild(*d);
        h = std::make_shared<const Element>(std::move(copy));
      }
    }
  });
}

void MucModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  parentHost_ = ctx.host();
  domain_ = ctx.optionString("domain", "conference." + parentHost_);
  if (!core::prepareDomainpart(domain_) || domain_ == parentHost_) {
    throw std::runtime_error("modules.muc.domain must be a domain name other than the host");
  }
  maxRooms_ = static_cast<std::size_t>(ctx.optionInt("max_rooms", 10000, 1, 10000000));
  maxHistory_ = static_cast<std::size_t>(ctx.optionInt("max_history", 50, 0, 1000));
  writer_ = std::make_shared<core::archive::ArchiveWriter>(
      [&ctx](std::chrono::milliseconds delay, core::archive::ArchiveWriter::Job job) {
        ctx.runStorageAfter(delay, std::move(job));
      });
  // What the core makes durable on demand (an export or an erasure reading the archives)
  // includes the rooms' gathering batch.
  ctx.addStorageSyncHook([writer = writer_](storage::Storage& s) { writer->commit(s); });

  // Start-up only: stored rooms and their recent history, before any stanza is routed.
  struct Loaded {
    std::string name;
    std::string doc;
    std::vector<storage::ArchiveItem> history;
  };
  std::string domain = domain_;
  std::size_t maxHistory = maxHistory_;
  auto loaded = ctx.queryNow<std::vector<Loaded>>([domain, maxHistory](storage::Storage& s) {
    std::vector<Loaded> out;
    auto rooms = s.keyValue().list(domain, "", kStore);
    if (rooms.isOk()) {
      for (auto& kv : rooms.value()) {
        Loaded l{kv.key, kv.value, {}};
        storage::ArchiveQuery q;
        q.lastPage = true;
        q.max = maxHistory;
        if (auto page = s.archive().query(domain, kv.key, q); page.isOk()) {
          l.history = std::move(page.value().items);
        }
        out.push_back(std::move(l));
      }
    }
    return out;
  });
  for (auto& l : loaded) {
    auto room = std::make_shared<Room>();
    room->name = l.name;
    if (!parseRoom(l.doc, *room)) {
      continue;
    }
    for (const auto& item : l.history) {
      if (auto m = core::parseElement(item.stanza)) {
        m->removeChildren("x", kNsUser);  // the archive copy names the real sender
        m->addChild("delay", "urn:xmpp:delay")
            .setAttr("from", roomJid(l.name))
            .setAttr("stamp", core::formatDateTime(item.timestampUs));
        room->history.push_back(std::make_shared<const Element>(std::move(*m)));
      }
    }
    rooms_[l.name] = std::move(room);
  }

  // Room archives age out like accounts' (security/retention decides when), after the queued
  // messages; rooms with a retention of their own ([retention.rooms]) by theirs.
  (void)ctx.optionInt("retention_days", 365, 0, 36500);  // checked here; [retention] applies it
  ctx.addRetention(
      core::DataKind::kRoomArchive, domain_,
      [domain = domain_, writer = writer_](storage::Storage& s, const core::RetentionCutoff& c) {
        writer->commit(s);
        std::size_t n = 0;
        std::vector<std::string> own;
        for (const auto& [room, before] : c.owners) own.push_back(room);
        if (c.beforeUs != 0) {
          auto r = s.archive().removeOlderThan(domain, c.beforeUs, own);
          if (r.isOk()) n += r.value();
        }
        for (const auto& [room, before] : c.owners) {
          auto held = s.admin().holdOn(domain, room);
          if (before == 0 || !held.isOk() || held.value()) continue;  // kept, or under hold
          storage::ArchiveQuery expired;
          expired.endUs = before - 1;
          expired.max = 1;
          auto page = s.archive().query(domain, room, expired);
          if (!page.isOk() || page.value().count == 0) continue;
          if (s.archive().removeArchive(domain, room, before).isOk()) n += page.value().count;
        }
        return n;
      });

  ctx.addDiscoItem(domain_, "Chatrooms");
  ctx.addComponent(domain_, [this](Element& st, core::Session* origin) { onStanza(st, origin); });
}

void MucModule::sendError(const Element& st, std::string_view condition, std::string_view text) {
  std::string_view type = st.attrOr("type");
  if (type == "error" || type == "result") {
    return;
  }
  if (st.name() == "presence") {
    ctx_->router().route(errorPresence(st, condition));
  } else {
    ctx_->router().route(
        core::makeErrorReply(st, core::defaultErrorType(condition), condition, text));
  }
}

std::shared_ptr<Room> MucModule::findRoom(const std::string& name) {
  std::lock_guard lock(roomsMu_);
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second;
}

std::shared_ptr<Room> MucModule::createRoom(const std::string& name) {
  std::lock_guard lock(roomsMu_);
  auto it = rooms_.find(name);
  if (it != rooms_.end()) {
    return it->second;
  }
  if (rooms_.size() >= maxRooms_) {
    return nullptr;
  }
  auto room = std::make_shared<Room>();
  room->name = name;
  room->cfg.historyLength = std::min<std::size_t>(room->cfg.historyLength, maxHistory_);
  rooms_[name] = room;
  // Rooms that were not stored are new: an archive under this name is left over from a
  // temporary room that vanished with a restart, and is not the new room's.
  removeArchive(name);
  return room;
}

void MucModule::dropRoomIfEmpty(const std::shared_ptr<Room>& room) {
  bool vanished = false;  // a temporary room went away (destroy() removes its own archive)
  {
    std::lock_guard lock(roomsMu_);
    std::lock_guard rl(room->mu);
    if ((room->occupants.empty() && !room->cfg.persistent) || room->destroyed) {
      vanished = !room->destroyed;
      room->destroyed = true;
      auto it = rooms_.find(room->name);
      if (it != rooms_.end() && it->second == room) {
        rooms_.erase(it);
      }
    }
  }
  if (vanished) {
    // The archive goes with the room: whoever creates a room of that name later must not read
    // its messages.
    removeArchive(room->name);
  }
}

void MucModule::removeArchive(const std::string& name) {
  // What the room said up to now: queued messages are written first and go too, while a new
  // room of the same name (messages stamped from now on) keeps its own, however late the
  // storage thread runs this.
  const std::int64_t before = core::nowMicros();
  ctx_->runStorage([domain = domain_, name, before, writer = writer_](storage::Storage& s) {
    writer->commit(s);
    (void)s.archive().removeArchive(domain, name, before);
  });
}

void MucModule::persist(Room& room) {
  const std::string domain = domain_;
  const std::string name = room.name;
  if (room.cfg.persistent && !room.destroyed) {
    std::string doc = serializeRoom(room);
    ctx_->runStorage([domain, name, doc](storage::Storage& s) {
      (void)s.keyValue().put(domain, "", kStore, name, doc);
    });
  } else {
    ctx_->runStorage([domain, name](storage::Storage& s) {
      (void)s.keyValue().remove(domain, "", kStore, name);
    });
  }
}

std::vector<MucModule::Target> MucModule::targetsOf(const Room& room) const {
  std::vector<Target> out;
  for (const auto& [nick, o] : room.occupants) {
    const bool sees = room.cfg.nonAnonymous || o.role == Role::kModerator;
    for (const auto& s : o.sessions) {
      out.push_back(Target{s, sees});
    }
  }
  return out;
}

void MucModule::broadcastPresence(const std::vector<Target>& targets, const Occupant& who,
                                  Affiliation aff, const std::string& jid,
                                  const std::vector<int>& codes, bool unavailable,
                                  const std::vector<Jid>& self, const Element* extra) {
  // At most four variants (with or without the real JID, for the occupant itself or not),
  // each built once and shared by every recipient.
  core::ElementPtr variants[2][2];
  auto build = [&](bool sees, bool isSelf) {
    Element p("presence", std::string(core::kNsClient));
    p.setAttr("from", jid + "/" + who.nick);
    if (unavailable) {
      p.setAttr("type", "unavailable");
    } else {
      for (const auto* c : who.presence.childElements()) {
        if (!(c->ns() == kNsMuc || c->ns() == kNsUser)) {
          p.addChild(*c);
        }
      }
    }
    Element& x = p.addChild("x", std::string(kNsUser));
    Element& item = x.addChild("item", std::string(kNsUser));
    item.setAttr("affiliation", affiliationName(aff)).setAttr("role", roleName(who.role));
    if ((sees || isSelf) && !who.sessions.empty()) {
      item.setAttr("jid", who.sessions.front().str());
    }
    if (extra != nullptr) {
      x.addChild(*extra);
    }
    std::vector<int> all = codes;
    if (isSelf) {
      all.insert(all.begin(), 110);
    }
    for (int c : all) {
      x.addChild("status", std::string(kNsUser)).setAttr("code", std::to_string(c));
    }
    return std::make_shared<const Element>(std::move(p));
  };
  for (const auto& t : targets) {
    const bool isSelf = std::find(self.begin(), self.end(), t.full) != self.end();
    auto& v = variants[t.seesJids ? 1 : 0][isSelf ? 1 : 0];
    if (!v) {
      v = build(t.seesJids, isSelf);
    }
    ctx_->router().deliverStamped(t.full, v);
  }
}

void MucModule::onStanza(Element& st, core::Session* /*origin*/) {
  auto to = Jid::parse(st.attrOr("to"));
  auto from = Jid::parse(st.attrOr("from"));
  if (!to || !from) {
    return;
  }
  if (to->local().empty()) {
    if (st.name() == "iq") {
      onServiceIq(st);
    } else if (st.name() == "message") {
      sendError(st, "service-unavailable");
    }
    return;
  }
  const std::string name(to->local());
  if (st.name() == "presence") {
    onPresence(findRoom(name), name, st);
    return;
  }
  auto room = findRoom(name);
  if (!room) {
    sendError(st, "item-not-found", "no such room");
    return;
  }
  if (st.name() == "message") {
    if (st.attrOr("type") == "error") {
      return;
    }
    if (!to->resource().empty()) {
      onPrivate(room, st, *from, std::string(to->resource()));
    } else if (const Element* x = st.child("x", kNsUser);
               x != nullptr && (x->child("invite", kNsUser) || x->child("decline", kNsUser))) {
      onInvite(room, st, *from);
    } else if (st.attrOr("type") == "groupchat") {
      onGroupchat(room, st, *from);
    } else {
      sendError(st, "bad-request", "messages to a room are of type groupchat");
    }
    return;
  }
  // iq
  std::string_view type = st.attrOr("type");
  if (type != "get" && type != "set") {
    return;
  }
  if (!to->resource().empty()) {
    // XEP-0410: a ping to an occupant answers whether the sender is still joined.
    const Element* payload = st.firstChild();
    bool joined = false;
    bool exists = false;
    {
      std::lock_guard lock(room->mu);
      joined = room->occupantBySession(*from) != nullptr;
      exists = room->occupants.count(std::string(to->resource())) != 0;
    }
    if (payload != nullptr && payload->is("ping", kNsPing)) {
      if (!joined) {
        sendError(st, "not-acceptable", "you are not joined to this room");
      } else if (!exists) {
        sendError(st, "item-not-found");
      } else {
        ctx_->router().route(core::makeIqResult(st));
      }
      return;
    }
    sendError(st, joined ? "service-unavailable" : "not-acceptable");
    return;
  }
  onRoomIq(room, st, *from);
}

void MucModule::onServiceIq(const Element& iq) {
  const Element* q = iq.firstChild();
  core::Router& router = ctx_->router();
  if (iq.attrOr("type") == "get" && q != nullptr && q->is("query", kNsInfo)) {
    Element r = core::makeIqResult(iq);
    Element& out = r.addChild("query", std::string(kNsInfo));
    out.addChild("identity", std::string(kNsInfo))
        .setAttr("category", "conference")
        .setAttr("type", "text")
        .setAttr("name", "Chatrooms");
    for (std::string_view f : {kNsInfo, kNsItems, kNsMuc, core::archive::kNsMam}) {
      out.addChild("feature", std::string(kNsInfo)).setAttr("var", f);
    }
    router.route(std::move(r));
  } else if (iq.attrOr("type") == "get" && q != nullptr && q->is("query", kNsItems)) {
    Element r = core::makeIqResult(iq);
    Element& out = r.addChild("query", std::string(kNsItems));
    std::vector<std::pair<std::string, std::string>> listed;
    {
      std::lock_guard lock(roomsMu_);
      for (const auto& [name, room] : rooms_) {
        std::lock_guard rl(room->mu);
        if (room->cfg.publicRoom) {
          listed.emplace_back(name, room->cfg.title.empty() ? name : room->cfg.title);
        }
      }
    }
    std::sort(listed.begin(), listed.end());
    for (const auto& [name, title] : listed) {
      out.addChild("item", std::string(kNsItems))
          .setAttr("jid", roomJid(name))
          .setAttr("name", title);
    }
    router.route(std::move(r));
  } else if (q != nullptr && q->is("ping", kNsPing)) {
    router.route(core::makeIqResult(iq));
  } else {
    sendError(iq, "service-unavailable");
  }
}

void MucModule::onPresence(const std::shared_ptr<Room>& existing, const std::string& name,
                           const Element& st) {
  auto from = Jid::parse(st.attrOr("from"));
  auto to = Jid::parse(st.attrOr("to"));
  std::string_view type = st.attrOr("type");
  if (type == "error" || !from->isFull()) {
    return;
  }
  if (type == "unavailable") {
    if (existing) {
      leave(*existing, *from, st);
      dropRoomIfEmpty(existing);
    }
    return;
  }
  if (!type.empty()) {
    return;  // subscription requests to rooms are not supported and go unanswered
  }
  auto nick = validNick(to->resource());
  if (!nick) {
    sendError(st, "jid-malformed", "a nickname is required");
    return;
  }
  if (!core::prepareLocalpart(name)) {
    sendError(st, "jid-malformed");
    return;
  }
  std::shared_ptr<Room> room = existing;
  bool created = false;
  if (!room) {
    if (from->domain() != parentHost_) {
      sendError(st, "not-allowed", "only local users create rooms");
      return;
    }
    room = createRoom(name);
    if (!room) {
      sendError(st, "resource-constraint", "too many rooms");
      return;
    }
    std::lock_guard lock(room->mu);
    if (room->occupants.empty() && room->affiliations.empty() && !room->cfg.persistent) {
      room->affiliations[from->bareStr()] = Affiliation::kOwner;
      created = true;
    }
  }
  join(room, st, *from, *nick, created);
}

void MucModule::join(const std::shared_ptr<Room>& room, const Element& st, const Jid& from,
                     const std::string& nick, bool created) {
  const std::string jid = roomJid(room->name);
  std::vector<Target> targets;
  std::vector<std::pair<Occupant, Affiliation>> others;
  Occupant me;
  Affiliation myAff;
  std::vector<core::ElementPtr> history;
  std::string subject, subjectFrom;
  enum class Kind { kUpdate, kNickChange, kNewOccupant, kExtraSession, kRejoin } kind =
      Kind::kNewOccupant;
  std::string oldNick;
  bool sees = false;
  std::vector<int> selfCodes;
  {
    std::lock_guard lock(room->mu);
    if (room->destroyed) {
      sendError(st, "item-not-found", "the room was destroyed");
      return;
    }
    myAff = room->affiliationOf(from.bareStr());
    Occupant* current = room->occupantBySession(from);
    if (current != nullptr && current->nick != nick) {
      // Section 7.6: a nickname change.
      if (room->occupants.count(nick) != 0) {
        sendError(st, "conflict", "that nickname is in use");
        return;
      }
      kind = Kind::kNickChange;
      oldNick = current->nick;
    } else if (current != nullptr) {
      // A presence update (status, show) of a joined occupant, or, with <x xmlns='muc'/>, a
      // client that joins again without having left (section 7.2 business rules: it gets the
      // whole room state again).
      kind = st.child("x", kNsMuc) != nullptr ? Kind::kRejoin : Kind::kUpdate;
      current->presence = st;
      me = *current;
      targets = targetsOf(*room);
    } else {
      if (myAff == Affiliation::kOutcast) {
        sendError(st, "forbidden", "you are banned from this room");
        return;
      }
      if (room->cfg.membersOnly && myAff < Affiliation::kMember) {
        sendError(st, "registration-required", "this room is for members only");
        return;
      }
      if (!room->cfg.password.empty() && myAff < Affiliation::kAdmin) {
        const Element* x = st.child("x", kNsMuc);
        if (x == nullptr || x->childText("password", kNsMuc) != room->cfg.password) {
          sendError(st, "not-authorized", "a password is required");
          return;
        }
      }
      auto taken = room->occupants.find(nick);
      if (taken != room->occupants.end() && !(taken->second.bare == from.bare())) {
        sendError(st, "conflict", "that nickname is in use");
        return;
      }
      if (taken == room->occupants.end() && room->cfg.maxUsers > 0 &&
          room->occupants.size() >= room->cfg.maxUsers && myAff < Affiliation::kAdmin) {
        sendError(st, "service-unavailable", "the room is full");
        return;
      }
      if (taken != room->occupants.end()) {
        taken->second.sessions.push_back(from);  // one more device under the same nick
        kind = Kind::kExtraSession;
        me = taken->second;
      } else {
        Occupant o;
        o.nick = nick;
        o.bare = from.bare();
        o.sessions.push_back(from);
        o.role = defaultRole(myAff, room->cfg.moderated);
        o.presence = st;
        room->occupants[nick] = o;
        me = o;
      }
    }
    if (kind == Kind::kNewOccupant || kind == Kind::kExtraSession || kind == Kind::kRejoin) {
      sees = room->cfg.nonAnonymous || me.role == Role::kModerator;
      for (const auto& [n, o] : room->occupants) {
        if (n != nick) {
          others.emplace_back(o, room->affiliationOf(o.bare.str()));
        }
      }
      targets = targetsOf(*room);
      // History on join (section 7.2.14), limited by the client's <history/>.
      std::size_t maxStanzas = room->cfg.historyLength;
      std::optional<std::int64_t> since;
      if (const Element* x = st.child("x", kNsMuc)) {
        if (const Element* h = x->child("history", kNsMuc)) {
          if (auto m = h->attr("maxstanzas")) {
            maxStanzas = std::min<std::size_t>(maxStanzas,
                                               std::strtoul(std::string(*m).c_str(), nullptr, 10));
          }
          if (auto c = h->attr("maxchars"); c && *c == "0") {
            maxStanzas = 0;
          }
          if (auto s = h->attr("seconds")) {
            since = core::nowMicros() -
                    static_cast<std::int64_t>(std::strtoul(std::string(*s).c_str(), nullptr, 10)) *
                        1000000;
          }
          if (auto s = h->attr("since")) {
            since = core::parseDateTime(*s);
          }
        }
      }
      std::size_t first = room->history.size() > maxStanzas ? room->history.size() - maxStanzas : 0;
      for (std::size_t i = first; i < room->history.size(); ++i) {
        if (since) {
          const Element* d = room->history[i]->child("delay", "urn:xmpp:delay");
          auto t = d ? core::parseDateTime(d->attrOr("stamp")) : std::nullopt;
          if (t && *t < *since) {
            continue;
          }
        }
        history.push_back(room->history[i]);
      }
      subject = room->subject;
      subjectFrom = room->subjectFrom;
      if (room->cfg.nonAnonymous) {
        selfCodes.push_back(100);
      }
      if (room->cfg.archive) {
        selfCodes.push_back(170);
      }
      if (created) {
        selfCodes.push_back(201);  // a new room is temporary: nothing to store yet
      }
    }
    if (kind == Kind::kNickChange) {
      Occupant moved = room->occupants[oldNick];
      room->occupants.erase(oldNick);
      moved.nick = nick;
      moved.presence = st;
      room->occupants[nick] = moved;
      me = moved;
      targets = targetsOf(*room);
    }
  }
  const Affiliation aff = myAff;
  if (kind == Kind::kUpdate) {
    broadcastPresence(targets, me, aff, jid, {}, false, me.sessions);
    return;
  }
  if (kind == Kind::kNickChange) {
    // Section 7.6: unavailable under the old nick with 303 and the new nick, then available
    // under the new one.
    Element p("presence", std::string(core::kNsClient));
    p.setAttr("from", jid + "/" + oldNick).setAttr("type", "unavailable");
    Element& x = p.addChild("x", std::string(kNsUser));
    x.addChild("item", std::string(kNsUser))
        .setAttr("affiliation", affiliationName(aff))
        .setAttr("role", roleName(me.role))
        .setAttr("nick", nick);
    x.addChild("status", std::string(kNsUser)).setAttr("code", "303");
    Element self = p;
    self.child("x", kNsUser)->addChild("status", std::string(kNsUser)).setAttr("code", "110");
    auto shared = std::make_shared<const Element>(std::move(p));
    auto selfShared = std::make_shared<const Element>(std::move(self));
    for (const auto& target : targets) {
      const bool isSelf = std::find(me.sessions.begin(), me.sessions.end(), target.full) !=
                          me.sessions.end();
      ctx_->router().deliverStamped(target.full, isSelf ? selfShared : shared);
    }
    broadcastPresence(targets, me, aff, jid, {}, false, me.sessions);
    return;
  }
  // 1. The occupants already there, to the new session.
  for (const auto& [o, a] : others) {
    std::vector<Target> one{Target{from, sees}};
    broadcastPresence(one, o, a, jid, {}, false, {});
  }
  // 2. The new occupant, to everyone (only to the new session for an extra device; a client
  // joining again is shown to everyone with its presence as it is now).
  if (kind == Kind::kExtraSession) {
    broadcastPresence({Target{from, true}}, me, aff, jid, selfCodes, false, {from});
  } else {
    broadcastPresence(targets, me, aff, jid, selfCodes, false, me.sessions);
  }
  // 3. History, then 4. the subject (section 7.2.15: always, even when empty).
  for (const auto& h : history) {
    ctx_->router().deliverStamped(from, h);
  }
  Element subj("message", std::string(core::kNsClient));
  subj.setAttr("type", "groupchat").setAttr("id", nextId());
  subj.setAttr("from", subjectFrom.empty() ? jid : jid + "/" + subjectFrom);
  subj.addChild("subject", std::string(core::kNsClient)).addText(subject);
  ctx_->router().deliverStamped(from, std::make_shared<const Element>(std::move(subj)));
}

void MucModule::leave(Room& room, const Jid& from, const Element& st) {
  const std::string jid = roomJid(room.name);
  std::vector<Target> targets;
  Occupant me;
  Affiliation aff;
  bool last = false;
  {
    std::lock_guard lock(room.mu);
    Occupant* o = room.occupantBySession(from);
    if (o == nullptr) {
      return;
    }
    std::erase(o->sessions, from);
    me = *o;
    aff = room.affiliationOf(o->bare.str());
    if (o->sessions.empty()) {
      last = true;
      const Element* status = st.child("status", core::kNsClient);
      me.presence = Element("presence", std::string(core::kNsClient));
      if (status != nullptr) {
        me.presence.addChild(*status);
      }
      room.occupants.erase(me.nick);
      targets = targetsOf(room);
    }
  }
  me.role = Role::kNone;
  if (last) {
    targets.push_back(Target{from, true});
    me.sessions = {from};
    broadcastPresence(targets, me, aff, jid, {}, true, {from});
  } else {
    Occupant gone = me;
    gone.sessions = {from};
    broadcastPresence({Target{from, true}}, gone, aff, jid, {}, true, {from});
  }
}

void MucModule::onGroupchat(const std::shared_ptr<Room>& room, Element& st, const Jid& from) {
  const std::string jid = roomJid(room->name);
  std::vector<Target> targets;
  core::ElementPtr out;
  bool store = false;
  std::string id;
  std::string nick;
  Jid realBare;
  {
    std::lock_guard lock(room->mu);
    Occupant* o = room->occupantBySession(from);
    if (o == nullptr) {
      sendError(st, "not-acceptable", "only occupants may send messages to the room");
      return;
    }
    if (o->role == Role::kVisitor || o->role == Role::kNone) {
      sendError(st, "forbidden", "visitors may not speak in a moderated room");
      return;
    }
    nick = o->nick;
    realBare = o->bare;
    Element m = st;
    m.setAttr("from", jid + "/" + nick);
    m.removeAttr("to");
    // XEP-0313 security considerations, MUC message spoofing: whatever muc#user data a client
    // put in its message would pass for the room's own, in the room and in the archive.
    m.removeChildren("x", kNsUser);
    if (const Element* subj = st.child("subject", core::kNsClient);
        subj != nullptr && st.child("body", core::kNsClient) == nullptr) {
      if (!(o->role == Role::kModerator || room->cfg.changeSubject)) {
        sendError(st, "forbidden", "you may not change the subject");
        return;
      }
      room->subject = subj->text();
      room->subjectFrom = nick;
      persist(*room);
    } else {
      // XEP-0359: the room's own stanza-id, and none claiming to be the room's.
      core::archive::stripForgedStanzaIds(m, jid);
      store = archivable(m);
      if (store) {
        id = core::archive::newStanzaId();
        m.addChild("stanza-id", std::string(core::archive::kNsSid))
            .setAttr("id", id)
            .setAttr("by", jid);
      }
    }
    out = std::make_shared<const Element>(std::move(m));
    if (store) {
      Element h = *out;
      h.addChild("delay", "urn:xmpp:delay")
          .setAttr("from", jid)
          .setAttr("stamp", core::formatDateTime(core::nowMicros()));
      room->history.push_back(std::make_shared<const Element>(std::move(h)));
      while (room->history.size() > maxHistory_) {
        room->history.pop_front();
      }
      if (room->cfg.archive) {
        storage::ArchiveAppend a;
        a.host = domain_;
        a.owner = room->name;
        a.item.id = id;
        a.item.timestampUs = core::nowMicros();
        a.item.withBare = realBare.str();
        a.item.withFull = jid + "/" + nick;
        // The real sender for those who may see it (added to the results, not the room).
        Element archived = *out;
        archived.addChild("x", std::string(kNsUser))
            .addChild("item", std::string(kNsUser))
            .setAttr("affiliation", affiliationName(room->affiliationOf(realBare.str())))
            .setAttr("role", roleName(o->role))
            .setAttr("jid", from.str());
        a.item.stanza = archived.str("");
        if (const Element* body = out->child("body", "jabber:client")) {
          a.searchText = body->text();
        }
        writer_->add(std::move(a));
      }
    }
    targets = targetsOf(*room);
  }
  // One stanza for the whole room: each copy is addressed as it is written.
  for (const auto& t : targets) {
    ctx_->router().deliverStamped(t.full, out);
  }
}

void MucModule::onPrivate(const std::shared_ptr<Room>& room, const Element& st, const Jid& from,
                          const std::string& nick) {
  if (st.attrOr("type") == "groupchat") {
    sendError(st, "bad-request", "private messages are not of type groupchat");
    return;
  }
  std::vector<Jid> targets;
  std::string senderNick;
  {
    std::lock_guard lock(room->mu);
    Occupant* o = room->occupantBySession(from);
    if (o == nullptr) {
      sendError(st, "not-acceptable", "only occupants may send private messages");
      return;
    }
    auto it = room->occupants.find(nick);
    if (it == room->occupants.end()) {
      sendError(st, "item-not-found", "no occupant with that nickname");
      return;
    }
    senderNick = o->nick;
    targets = it->second.sessions;
  }
  Element m = st;
  m.setAttr("from", roomJid(room->name) + "/" + senderNick);
  m.removeAttr("to");
  m.removeChildren("x", kNsUser);  // the client's own could claim a real JID or status codes
  m.addChild("x", std::string(kNsUser));
  auto shared = std::make_shared<const Element>(std::move(m));
  for (const auto& t : targets) {
    ctx_->router().deliverStamped(t, shared);
  }
}

void MucModule::onInvite(const std::shared_ptr<Room>& room, const Element& st, const Jid& from) {
  const Element* x = st.child("x", kNsUser);
  const std::string jid = roomJid(room->name);
  if (const Element* decline = x->child("decline", kNsUser)) {
    auto to = Jid::parse(decline->attrOr("to"));
    if (!to) {
      sendError(st, "jid-malformed");
      return;
    }
    Element m("message", std::string(core::kNsClient));
    m.setAttr("from", jid).setAttr("to", to->str());
    m.addChild("x", std::string(kNsUser))
        .addChild("decline", std::string(kNsUser))
        .setAttr("from", from.bareStr());
    ctx_->router().route(std::move(m));
    return;
  }
  std::vector<Jid> invitees;
  std::string password;
  {
    std::lock_guard lock(room->mu);
    Occupant* o = room->occupantBySession(from);
    Affiliation a = room->affiliationOf(from.bareStr());
    if (o == nullptr) {
      sendError(st, "not-acceptable", "only occupants may invite");
      return;
    }
    const bool privileged = a >= Affiliation::kAdmin || o->role == Role::kModerator;
    if (room->cfg.membersOnly && !privileged && !room->cfg.allowInvites) {
      sendError(st, "forbidden", "only admins may invite to this room");
      return;
    }
    for (const auto* inv : x->childElements()) {
      if (!inv->is("invite", kNsUser)) {
        continue;
      }
      auto to = Jid::parse(inv->attrOr("to"));
      if (!to) {
        sendError(st, "jid-malformed");
        return;
      }
      invitees.push_back(to->bare());
      // Section 7.8.2: an invitation to a members-only room makes the invitee a member.
      if (room->cfg.membersOnly && room->affiliationOf(to->bareStr()) == Affiliation::kNone) {
        room->affiliations[to->bareStr()] = Affiliation::kMember;
      }
    }
    if (room->cfg.membersOnly) {
      persist(*room);
    }
    password = room->cfg.password;
  }
  std::string reason;
  if (const Element* inv = x->child("invite", kNsUser)) {
    reason = inv->childText("reason", kNsUser);
  }
  for (const auto& to : invitees) {
    Element m("message", std::string(core::kNsClient));
    m.setAttr("from", jid).setAttr("to", to.str()).setAttr("id", nextId());
    Element& ux = m.addChild("x", std::string(kNsUser));
    Element& inv = ux.addChild("invite", std::string(kNsUser));
    inv.setAttr("from", from.bareStr());
    if (!reason.empty()) {
      inv.addChild("reason", std::string(kNsUser)).addText(reason);
    }
    if (!password.empty()) {
      ux.addChild("password", std::string(kNsUser)).addText(password);
    }
    m.addChild("body", std::string(core::kNsClient))
        .addText(from.bareStr() + " invites you to the room " + jid +
                 (reason.empty() ? "" : ": " + reason));
    ctx_->router().route(std::move(m));
  }
}

Element MucModule::roomConfigForm(const Room& room) const {
  core::DataForm f;
  const RoomConfig& c = room.cfg;
  f.title = "Configuration of " + roomJid(room.name);
  f.add("FORM_TYPE", "hidden", {}, {std::string(kNsConfig)});
  f.add("muc#roomconfig_roomname", "text-single", "Name", {c.title});
  f.add("muc#roomconfig_roomdesc", "text-single", "Description", {c.description});
  auto b = [](bool v) { return std::vector<std::string>{v ? "1" : "0"}; };
  f.add("muc#roomconfig_persistentroom", "boolean", "Persistent", b(c.persistent));
  f.add("muc#roomconfig_publicroom", "boolean", "Listed in the directory", b(c.publicRoom));
  f.add("muc#roomconfig_membersonly", "boolean", "Members only", b(c.membersOnly));
  f.add("muc#roomconfig_moderatedroom", "boolean", "Moderated", b(c.moderated));
  auto& whois = f.add("muc#roomconfig_whois", "list-single", "Who may see real JIDs",
                      {c.nonAnonymous ? "anyone" : "moderators"});
  whois.options = {{"Moderators", "moderators"}, {"Anyone", "anyone"}};
  f.add("muc#roomconfig_changesubject", "boolean", "Occupants may change the subject",
        b(c.changeSubject));
  f.add("muc#roomconfig_allowinvites", "boolean", "Occupants may invite", b(c.allowInvites));
  f.add("muc#roomconfig_passwordprotectedroom", "boolean", "Password protected",
        b(!c.password.empty()));
  f.add("muc#roomconfig_roomsecret", "text-private", "Password", {c.password});
  f.add("muc#roomconfig_maxusers", "text-single", "Maximum occupants",
        {std::to_string(c.maxUsers)});
  f.add("muc#roomconfig_historylength", "text-single", "Messages of history on join",
        {std::to_string(c.historyLength)});
  f.add("mam", "boolean", "Archive messages", b(c.archive));
  return f.toElement();
}

bool MucModule::applyConfig(Room& room, const core::DataForm& form, std::string& error) {
  RoomConfig c = room.cfg;
  bool passwordProtected = !c.password.empty();
  for (const auto& f : form.fields) {
    const std::string& v = f.value();
    auto boolean = [&](bool& target) {
      if (v == "1" || v == "true") {
        target = true;
      } else if (v == "0" || v == "false") {
        target = false;
      } else {
        error = f.var + " must be a boolean";
      }
    };
    if (f.var == "muc#roomconfig_roomname") {
      c.title = v.substr(0, 256);
    } else if (f.var == "muc#roomconfig_roomdesc") {
      c.description = v.substr(0, 1024);
    } else if (f.var == "muc#roomconfig_persistentroom") {
      boolean(c.persistent);
    } else if (f.var == "muc#roomconfig_publicroom") {
      boolean(c.publicRoom);
    } else if (f.var == "muc#roomconfig_membersonly") {
      boolean(c.membersOnly);
    } else if (f.var == "muc#roomconfig_moderatedroom") {
      boolean(c.moderated);
    } else if (f.var == "muc#roomconfig_changesubject") {
      boolean(c.changeSubject);
    } else if (f.var == "muc#roomconfig_allowinvites") {
      boolean(c.allowInvites);
    } else if (f.var == "mam" || f.var == "muc#roomconfig_enablearchiving") {
      boolean(c.archive);
    } else if (f.var == "muc#roomconfig_passwordprotectedroom") {
      boolean(passwordProtected);
    } else if (f.var == "muc#roomconfig_roomsecret") {
      c.password = v.substr(0, 256);
    } else if (f.var == "muc#roomconfig_whois") {
      if (v != "anyone" && v != "moderators") {
        error = "muc#roomconfig_whois must be anyone or moderators";
      }
      c.nonAnonymous = v == "anyone";
    } else if (f.var == "muc#roomconfig_maxusers" || f.var == "muc#roomconfig_historylength") {
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
        if (!(v == "none" && f.var == "muc#roomconfig_maxusers")) {
          error = f.var + " must be a number";
          continue;
        }
      }
      std::size_t n = v == "none" ? 0 : std::stoul(v);
      if (f.var == "muc#roomconfig_maxusers") {
        c.maxUsers = n;
      } else {
        c.historyLength = std::min(n, maxHistory_);
      }
    }
    if (!error.empty()) {
      return false;
    }
  }
  if (!passwordProtected) {
    c.password.clear();
  } else if (c.password.empty()) {
    error = "a password protected room needs a password";
    return false;
  }
  room.cfg = c;
  return true;
}

void MucModule::onRoomIq(const std::shared_ptr<Room>& room, const Element& iq, const Jid& from) {
  const Element* q = iq.firstChild();
  const bool set = iq.attrOr("type") == "set";
  core::Router& router = ctx_->router();
  const std::string jid = roomJid(room->name);
  if (q == nullptr) {
    sendError(iq, "bad-request");
    return;
  }
  if (!set && q->is("query", kNsInfo)) {
    Element r = core::makeIqResult(iq);
    Element& out = r.addChild("query", std::string(kNsInfo));
    std::lock_guard lock(room->mu);
    const RoomConfig& c = room->cfg;
    out.addChild("identity", std::string(kNsInfo))
        .setAttr("category", "conference")
        .setAttr("type", "text")
        .setAttr("name", c.title.empty() ? room->name : c.title);
    std::vector<std::string> features = {
        std::string(kNsMuc),
        std::string(kNsInfo),
        c.persistent ? "muc_persistent" : "muc_temporary",
        c.membersOnly ? "muc_membersonly" : "muc_open",
        c.moderated ? "muc_moderated" : "muc_unmoderated",
        c.nonAnonymous ? "muc_nonanonymous" : "muc_semianonymous",
        c.password.empty() ? "muc_unsecured" : "muc_passwordprotected",
        c.publicRoom ? "muc_public" : "muc_hidden",
        "http://jabber.org/protocol/muc#stable_id",
        std::string(core::archive::kNsSid)};
    if (c.archive) {
      features.emplace_back(core::archive::kNsMam);
      features.emplace_back(core::archive::kNsFulltext);
    }
    for (const auto& f : features) {
      out.addChild("feature", std::string(kNsInfo)).setAttr("var", f);
    }
    core::DataForm info;
    info.type = "result";
    info.add("FORM_TYPE", "hidden", {}, {std::string(kNsRoomInfo)});
    info.add("muc#roominfo_description", "text-single", "Description", {c.description});
    info.add("muc#roominfo_occupants", "text-single", "Occupants",
             {std::to_string(room->occupants.size())});
    info.add("muc#roominfo_subject", "text-single", "Subject", {room->subject});
    info.add("muc#roomconfig_roomname", "text-single", "Name", {c.title});
    out.addChild(info.toElement());
    router.route(std::move(r));
    return;
  }
  if (!set && q->is("query", kNsItems)) {
    Element r = core::makeIqResult(iq);
    r.addChild("query", std::string(kNsItems));
    router.route(std::move(r));
    return;
  }
  if (q->ns() == kNsAdmin && q->name() == "query") {
    onAdmin(room, iq, from, set);
    return;
  }
  if (q->ns() == kNsOwner && q->name() == "query") {
    onOwner(room, iq, from, set);
    return;
  }
  if (q->ns() == core::archive::kNsMam && q->name() == "query") {
    if (set) {
      onArchiveQuery(room, iq, from);
    } else {
      Element form = core::archive::queryForm(iq);
      router.route(std::move(form));
    }
    return;
  }
  if (q->is("ping", kNsPing)) {
    router.route(core::makeIqResult(iq));
    return;
  }
  sendError(iq, "feature-not-implemented");
}

void MucModule::onAdmin(const std::shared_ptr<Room>& room, const Element& iq, const Jid& from,
                        bool set) {
  const Element* q = iq.firstChild();
  const std::string jid = roomJid(room->name);
  auto items = q->childElements();
  if (items.empty()) {
    sendError(iq, "bad-request");
    return;
  }
  if (!set) {
    Element r = core::makeIqResult(iq);
    Element& out = r.addChild("query", std::string(kNsAdmin));
    std::lock_guard lock(room->mu);
    Affiliation mine = room->affiliationOf(from.bareStr());
    Occupant* me = room->occupantBySession(from);
    const Element* item = items[0];
    if (auto a = parseAffiliation(item->attrOr("affiliation"))) {
      // Admins see every list; in a non-anonymous room members and occupants see the
      // member, admin and owner lists (end-to-end encryption needs them).
      const bool allowed = mine >= Affiliation::kAdmin ||
                           (room->cfg.nonAnonymous && *a >= Affiliation::kMember &&
                            (mine >= Affiliation::kMember || me != nullptr));
      if (!allowed || *a == Affiliation::kNone) {
        sendError(iq, allowed ? "bad-request" : "forbidden");
        return;
      }
      for (const auto& [bare, aff] : room->affiliations) {
        if (aff == *a) {
          out.addChild("item", std::string(kNsAdmin))
              .setAttr("affiliation", affiliationName(aff))
              .setAttr("jid", bare);
        }
      }
    } else if (auto r2 = parseRole(item->attrOr("role"))) {
      if (me == nullptr || me->role != Role::kModerator) {
        sendError(iq, "forbidden");
        return;
      }
      for (const auto& [nick, o] : room->occupants) {
        if (o.role == *r2) {
          out.addChild("item", std::string(kNsAdmin))
              .setAttr("role", roleName(o.role))
              .setAttr("nick", nick)
              .setAttr("affiliation", affiliationName(room->affiliationOf(o.bare.str())))
              .setAttr("jid", o.bare.str());
        }
      }
    } else {
      sendError(iq, "bad-request");
      return;
    }
    ctx_->router().route(std::move(r));
    return;
  }

  // Changes: validate every item first, then apply, then announce.
  struct Change {
    std::optional<Role> role;
    std::string nick;
    std::optional<Affiliation> aff;
    std::string bare;
  };
  std::vector<Change> changes;
  for (const auto* item : items) {
    Change c;
    if (auto r = item->attr("role")) {
      c.role = parseRole(*r);
      c.nick = std::string(item->attrOr("nick"));
      if (!c.role || c.nick.empty()) {
        sendError(iq, "bad-request", "a role change needs a valid role and a nick");
        return;
      }
    } else if (auto a = item->attr("affiliation")) {
      c.aff = parseAffiliation(*a);
      auto j = Jid::parse(item->attrOr("jid"));
      if (!c.aff || !j) {
        sendError(iq, "bad-request", "an affiliation change needs a valid affiliation and JID");
        return;
      }
      c.bare = j->bareStr();
    } else {
      sendError(iq, "bad-request");
      return;
    }
    changes.push_back(std::move(c));
  }
  struct Announce {
    Occupant who;
    Affiliation aff;
    std::vector<int> codes;
    bool removed;
  };
  std::vector<Announce> announce;
  std::vector<Target> targets;
  {
    std::lock_guard lock(room->mu);
    Occupant* me = room->occupantBySession(from);
    Affiliation mine = room->affiliationOf(from.bareStr());
    Role myRole = me != nullptr ? me->role : Role::kNone;
    for (const auto& c : changes) {
      if (c.role) {
        auto it = room->occupants.find(c.nick);
        if (it == room->occupants.end()) {
          sendError(iq, "item-not-found", "no occupant with that nickname");
          return;
        }
        if (auto e =
                roleChangeError(mine, myRole, room->affiliationOf(it->second.bare.str()), *c.role);
            !e.empty()) {
          sendError(iq, e, "you may not change that occupant's role");
          return;
        }
      } else {
        Affiliation current = room->affiliationOf(c.bare);
        if (auto e = affiliationChangeError(mine, current, *c.aff); !e.empty()) {
          sendError(iq, e, "you may not change that affiliation");
          return;
        }
        if (current == Affiliation::kOwner && *c.aff != Affiliation::kOwner) {
          int owners = 0;
          for (const auto& [b, a] : room->affiliations) {
            owners += a == Affiliation::kOwner ? 1 : 0;
          }
          if (owners <= 1) {
            sendError(iq, "conflict", "a room keeps at least one owner");
            return;
          }
        }
      }
    }
    for (const auto& c : changes) {
      if (c.role) {
        Occupant& o = room->occupants[c.nick];
        Affiliation a = room->affiliationOf(o.bare.str());
        o.role = *c.role;
        if (*c.role == Role::kNone) {
          announce.push_back(Announce{o, a, {307}, true});  // kicked
          room->occupants.erase(c.nick);
        } else {
          announce.push_back(Announce{o, a, {}, false});
        }
      } else {
        if (*c.aff == Affiliation::kNone) {
          room->affiliations.erase(c.bare);
        } else {
          room->affiliations[c.bare] = *c.aff;
        }
        for (auto it = room->occupants.begin(); it != room->occupants.end();) {
          if (it->second.bare.str() != c.bare) {
            ++it;
            continue;
          }
          Occupant& o = it->second;
          if (*c.aff == Affiliation::kOutcast) {
            o.role = Role::kNone;
            announce.push_back(Announce{o, *c.aff, {301}, true});  // banned
            it = room->occupants.erase(it);
          } else if (room->cfg.membersOnly && *c.aff == Affiliation::kNone) {
            o.role = Role::kNone;
            announce.push_back(Announce{o, *c.aff, {321}, true});  // no longer a member
            it = room->occupants.erase(it);
          } else {
            o.role = defaultRole(*c.aff, room->cfg.moderated);
            announce.push_back(Announce{o, *c.aff, {}, false});
            ++it;
          }
        }
      }
    }
    persist(*room);
    targets = targetsOf(*room);
  }
  Element reply = core::makeIqResult(iq);
  ctx_->router().route(std::move(reply));
  for (const auto& a : announce) {
    std::vector<Target> t = targets;
    if (a.removed) {
      for (const auto& s : a.who.sessions) {
        t.push_back(Target{s, true});
      }
    }
    broadcastPresence(t, a.who, a.aff, jid, a.codes, a.removed, a.who.sessions);
  }
}

void MucModule::onOwner(const std::shared_ptr<Room>& room, const Element& iq, const Jid& from,
                        bool set) {
  const Element* q = iq.firstChild();
  const std::string jid = roomJid(room->name);
  {
    std::lock_guard lock(room->mu);
    if (room->affiliationOf(from.bareStr()) != Affiliation::kOwner) {
      sendError(iq, "forbidden", "only owners may configure the room");
      return;
    }
  }
  if (!set) {
    Element r = core::makeIqResult(iq);
    std::lock_guard lock(room->mu);
    r.addChild("query", std::string(kNsOwner)).addChild(roomConfigForm(*room));
    ctx_->router().route(std::move(r));
    return;
  }
  if (const Element* d = q->child("destroy", kNsOwner)) {
    ctx_->router().route(core::makeIqResult(iq));
    destroy(room, d->childText("reason", kNsOwner));
    return;
  }
  const Element* x = q->child("x", core::kNsDataForms);
  auto form = x ? core::parseDataForm(*x) : std::nullopt;
  if (!form) {
    sendError(iq, "bad-request", "submit the room configuration form");
    return;
  }
  if (form->type == "cancel") {
    ctx_->router().route(core::makeIqResult(iq));
    return;
  }
  // Section 10.2: the owner submits the room configuration form; anything else (a 'result'
  // echoed back, a form of another FORM_TYPE) changes nothing. A submitted form without
  // FORM_TYPE is taken as muc#roomconfig, and an empty one accepts the defaults: that is how
  // an instant room is created (section 10.1.2, Example 156; Converse.js, Smack).
  const std::string formType = form->formType();
  if (form->type != "submit" || (!formType.empty() && formType != kNsConfig)) {
    sendError(iq, "bad-request", "submit the muc#roomconfig form (type 'submit')");
    return;
  }
  if (form->fields.empty()) {
    ctx_->router().route(core::makeIqResult(iq));
    return;
  }
  std::vector<Target> targets;
  std::vector<std::pair<Occupant, Affiliation>> removed;
  std::vector<int> codes{104};
  {
    std::lock_guard lock(room->mu);
    std::string error;
    const bool wasNonAnonymous = room->cfg.nonAnonymous;
    const bool wasMembersOnly = room->cfg.membersOnly;
    if (!applyConfig(*room, *form, error)) {
      sendError(iq, "not-acceptable", error);
      return;
    }
    if (room->cfg.nonAnonymous != wasNonAnonymous) {
      codes.push_back(room->cfg.nonAnonymous ? 172 : 173);
    }
    if (room->cfg.membersOnly && !wasMembersOnly) {
      // Section 10.2: becoming members-only removes the occupants who are not members.
      for (auto it = room->occupants.begin(); it != room->occupants.end();) {
        Affiliation a = room->affiliationOf(it->second.bare.str());
        if (a < Affiliation::kMember) {
          it->second.role = Role::kNone;
          removed.emplace_back(it->second, a);
          it = room->occupants.erase(it);
        } else {
          ++it;
        }
      }
    }
    persist(*room);
    targets = targetsOf(*room);
  }
  ctx_->router().route(core::makeIqResult(iq));
  for (const auto& [o, a] : removed) {
    std::vector<Target> t = targets;
    for (const auto& s : o.sessions) {
      t.push_back(Target{s, true});
    }
    broadcastPresence(t, o, a, jid, {322}, true, o.sessions);
  }
  Element notice("message", std::string(core::kNsClient));
  notice.setAttr("from", jid).setAttr("type", "groupchat").setAttr("id", nextId());
  Element& ux = notice.addChild("x", std::string(kNsUser));
  for (int c : codes) {
    ux.addChild("status", std::string(kNsUser)).setAttr("code", std::to_string(c));
  }
  auto shared = std::make_shared<const Element>(std::move(notice));
  for (const auto& t : targets) {
    ctx_->router().deliverStamped(t.full, shared);
  }
  dropRoomIfEmpty(room);
}

void MucModule::destroy(const std::shared_ptr<Room>& room, const std::string& reason) {
  const std::string jid = roomJid(room->name);
  std::vector<std::pair<Occupant, Affiliation>> all;
  {
    std::lock_guard lock(room->mu);
    room->destroyed = true;
    for (auto& [nick, o] : room->occupants) {
      o.role = Role::kNone;
      all.emplace_back(o, Affiliation::kNone);
    }
    room->occupants.clear();
    room->cfg.persistent = false;
    persist(*room);
  }
  Element d("destroy", std::string(kNsUser));
  if (!reason.empty()) {
    d.addChild("reason", std::string(kNsUser)).addText(reason);
  }
  for (const auto& [o, a] : all) {
    std::vector<Target> t;
    for (const auto& s : o.sessions) {
      t.push_back(Target{s, true});
    }
    broadcastPresence(t, o, a, jid, {}, true, o.sessions, &d);
  }
  removeArchive(room->name);
  dropRoomIfEmpty(room);
}

void MucModule::onArchiveQuery(const std::shared_ptr<Room>& room, const Element& iq,
                               const Jid& from) {
  bool seesJids = false;
  {
    std::lock_guard lock(room->mu);
    const Occupant* me = room->occupantBySession(from);
    const Affiliation a = room->affiliationOf(from.bareStr());
    // XEP-0313 business rules, MUC archives: a room's archive is for those who may enter the
    // room at the time of the query: never outcasts; in a members-only room its members (or
    // occupants); in a password-protected room its occupants, members, admins and owners (who
    // entered, or may enter without being asked for the password again).
    const bool privileged = me != nullptr || a >= Affiliation::kMember;
    const bool restricted = room->cfg.membersOnly || !room->cfg.password.empty();
    if (a == Affiliation::kOutcast || (restricted && !privileged)) {
      sendError(iq, "forbidden", "you may not read this room's archive");
      return;
    }
    seesJids = room->cfg.nonAnonymous || a >= Affiliation::kAdmin ||
               (me != nullptr && me->role == Role::kModerator);
  }
  std::string condition, text;
  auto req = core::archive::parseQuery(*iq.firstChild(), 250, condition, text);
  if (!req) {
    sendError(iq, condition, text);
    return;
  }
  const std::string domain = domain_;
  const std::string name = room->name;
  const std::string jid = roomJid(name);
  // XEP-0313 section 4.1.1 (filtering by JID): 'with' matches the publisher only for those who
  // may know the publisher. Others match occupant JIDs (room@service/nick) alone; a bare JID
  // names no occupant, so it matches nothing rather than the real JIDs kept for moderators.
  const bool matchNothing =
      !seesJids && req->query.with && req->query.with->find('/') == std::string::npos;
  auto request = std::make_shared<Element>(iq);
  auto shared = std::make_shared<core::archive::QueryRequest>(std::move(*req));
  ctx_->query<core::Result<storage::ArchivePage>>(
      [domain, name, shared, matchNothing,
       writer = writer_](storage::Storage& s) -> core::Result<storage::ArchivePage> {
        writer->commit(s);
        if (matchNothing) {
          storage::ArchivePage empty;
          empty.complete = true;
          return empty;
        }
        return s.archive().query(domain, name, shared->query);
      },
      [this, request, shared, jid, seesJids](core::Result<storage::ArchivePage> page) {
        if (!page.isOk()) {
          const bool nf = page.status().code() == core::Status::Code::kNotFound;
          sendError(*request, nf ? "item-not-found" : "internal-server-error");
          return;
        }
        storage::ArchivePage& p = page.value();
        for (auto& item : p.items) {
          item.stanza = presentArchived(item, seesJids);
        }
        core::archive::sendResults(ctx_->router(), *request, jid, *shared, p);
      });
}

}  // namespace rampart::modules::muc
