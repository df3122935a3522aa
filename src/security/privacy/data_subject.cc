#include "security/privacy/data_subject.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "rampart/core/datetime.h"
#include "rampart/core/element.h"
#include "security/dlp/evidence.h"
#include "security/privacy/consent.h"

namespace rampart::security::privacy {

namespace json = boost::json;

namespace {

constexpr std::string_view kUploads = "uploads";      // the upload module's host-level records
constexpr std::string_view kUploadUsage = "upload_usage";
constexpr std::size_t kPage = 500;

std::string iso(std::int64_t ms) { return ms > 0 ? core::formatDateTime(ms * 1000) : ""; }

// The bare part of a JID as the server stamps it on what it routes.
std::string_view bareOf(std::string_view jid) { return jid.substr(0, jid.find('/')); }
json::value isoOrNull(std::int64_t ms) {
  return ms > 0 ? json::value(core::formatDateTime(ms * 1000)) : json::value(nullptr);
}

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_write_free(a); }
};

class Zip {
 public:
  explicit Zip(const std::string& path) : a_(archive_write_new()) {
    ok_ = a_ && archive_write_set_format_zip(a_.get()) == ARCHIVE_OK &&
          archive_write_open_filename(a_.get(), path.c_str()) == ARCHIVE_OK;
  }
  bool ok() const { return ok_; }
  std::string error() const {
    const char* e = a_ ? archive_error_string(a_.get()) : nullptr;
    return e ? e : "cannot write the archive";
  }
  bool add(const std::string& name, std::string_view data) {
    if (!begin(name, data.size())) return false;
    ok_ = archive_write_data(a_.get(), data.data(), data.size()) ==
          static_cast<la_ssize_t>(data.size());
    return ok_;
  }
  bool addJson(const std::string& name, const json::value& v) {
    return add(name, json::serialize(v) + "\n");
  }
  bool addSource(const std::string& name, core::ByteSource& src) {
    if (!begin(name, src.size())) return false;
    char buf[64 * 1024];
    bool failed = false;
    for (std::size_t n; (n = src.read(buf, sizeof buf, failed)) > 0;) {
      if (archive_write_data(a_.get(), buf, n) != static_cast<la_ssize_t>(n)) {
        ok_ = false;
        return false;
      }
    }
    ok_ = !failed;
    return ok_;
  }
  bool close() {
    ok_ = ok_ && archive_write_close(a_.get()) == ARCHIVE_OK;
    return ok_;
  }

 private:
  bool begin(const std::string& name, std::uint64_t size) {
    if (!ok_) return false;
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname_utf8(e.get(), name.c_str());
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0600);
    ok_ = archive_write_header(a_.get(), e.get()) == ARCHIVE_OK;
    return ok_;
  }
  std::unique_ptr<struct archive, ArchiveFree> a_;
  bool ok_ = false;
};

// Every item of one archive, oldest first.
core::Result<std::vector<storage::ArchiveItem>> wholeArchive(storage::Storage& s,
                                                             std::string_view host,
                                                             std::string_view owner) {
  std::vector<storage::ArchiveItem> out;
  storage::ArchiveQuery q;
  q.max = kPage;
  while (true) {
    auto page = s.archive().query(host, owner, q);
    if (!page.isOk()) return page.status();
    for (auto& it : page.value().items) out.push_back(std::move(it));
    if (page.value().complete || page.value().items.empty()) break;
    q.afterId = out.back().id;
  }
  return out;
}

// The upload records (token, metadata) of files the account uploaded.
core::Result<std::vector<std::pair<std::string, core::Element>>> filesOf(storage::Storage& s,
                                                                         std::string_view host,
                                                                         std::string_view user) {
  auto all = s.keyValue().list(host, "", kUploads);
  if (!all.isOk()) return all.status();
  std::vector<std::pair<std::string, core::Element>> out;
  for (const auto& kv : all.value()) {
    auto meta = core::parseElement(kv.value);
    if (meta && meta->attrOr("owner") == user) out.emplace_back(kv.key, std::move(*meta));
  }
  return out;
}

// The account's own documents, and the host-level ones kept under its JID (blocking list,
// archive preferences, push registrations).
core::Result<std::vector<storage::StoredDocument>> documentsAbout(storage::Storage& s,
                                                                 std::string_view host,
                                                                 std::string_view user) {
  auto own = s.keyValue().documentsOf(host, user);
  if (!own.isOk()) return own.status();
  auto hostLevel = s.keyValue().documentsOf(host, "");
  if (!hostLevel.isOk()) return hostLevel.status();
  const std::string jid = std::string(user) + "@" + std::string(host);
  std::vector<storage::StoredDocument> out = std::move(own).value();
  for (auto& d : hostLevel.value()) {
    if (d.key == jid) out.push_back(std::move(d));
  }
  return out;
}

std::string uploadPath(const Where& w, std::string_view host, std::string_view token) {
  return w.dataDir + "/uploads/" + std::string(host) + "/" + std::string(token);
}

std::string subscriptionName(storage::Subscription s) {
  switch (s) {
    case storage::Subscription::kTo: return "to";
    case storage::Subscription::kFrom: return "from";
    case storage::Subscription::kBoth: return "both";
    default: return "none";
  }
}

// A safe file name inside the archive.
std::string entryName(std::string_view token, std::string_view name) {
  std::string out(token);
  out += '-';
  for (char c : name) out += (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  return out;
}

}  // namespace

core::Result<json::object> exportAccount(storage::Storage& s, std::string_view host,
                                         std::string_view user, const Where& w,
                                         const std::string& outFile) {
  auto exists = s.accounts().exists(host, user);
  if (!exists.isOk()) return exists.status();
  if (!exists.value()) return core::Status::notFound("no such account");
  const std::string jid = std::string(user) + "@" + std::string(host);
  json::object counts;

  // account.json
  auto state = s.accountSecurity().accountState(host, user);
  if (!state.isOk()) return state.status();
  auto role = s.admin().roleOf(host, user);
  if (!role.isOk()) return role.status();
  const auto& st = state.value();
  json::array questions;
  for (const auto& [q, h] : st.securityQuestions) questions.push_back(json::value(q));
  json::object account{
      {"jid", jid},
      {"role", role.value() ? json::value(role.value()->role) : json::value(nullptr)},
      {"frozen", st.freezeMode.empty() ? json::value(nullptr) : json::value(st.freezeMode)},
      {"frozen_until", isoOrNull(st.frozenUntilMs)},
      {"freeze_reason", st.freezeReason},
      {"password_changed", isoOrNull(st.passwordChangedMs)},
      {"phone", st.phone},
      {"phone_added", isoOrNull(st.phoneAddedMs)},
      {"security_questions", std::move(questions)},
      {"second_factor_required", isoOrNull(st.secondFactorRequiredMs)}};

  auto roster = s.roster().roster(host, user);
  if (!roster.isOk()) return roster.status();
  json::array rosterJson;
  for (const auto& it : roster.value()) {
    json::array groups;
    for (const auto& g : it.groups) groups.push_back(json::value(g));
    rosterJson.push_back(json::object{{"jid", it.jid}, {"name", it.name},
                                      {"subscription", subscriptionName(it.subscription)},
                                      {"groups", std::move(groups)},
                                      {"pending_in", it.pendingIn}, {"ask_out", it.askOut}});
  }
  counts["roster_items"] = rosterJson.size();

  auto docs = documentsAbout(s, host, user);
  if (!docs.isOk()) return docs.status();
  json::array docsJson;
  for (const auto& d : docs.value()) {
    docsJson.push_back(json::object{{"store", d.store}, {"key", d.key}, {"value", d.value}});
  }
  counts["documents"] = docsJson.size();

  auto archive = wholeArchive(s, host, user);
  if (!archive.isOk()) return archive.status();
  json::array archiveJson;
  for (const auto& it : archive.value()) {
    archiveJson.push_back(json::object{{"id", it.id}, {"time", iso(it.timestampUs / 1000)},
                                       {"with", it.withBare}, {"with_full", it.withFull},
                                       {"stanza", it.stanza}});
  }
  counts["archived_messages"] = archiveJson.size();

  json::array roomJson;
  for (const auto& service : w.roomServices) {
    auto items = s.archive().itemsWith(service, jid);
    if (!items.isOk()) return items.status();
    for (const auto& a : items.value()) {
      roomJson.push_back(json::object{{"room", a.owner + "@" + service}, {"id", a.item.id},
                                      {"time", iso(a.item.timestampUs / 1000)},
                                      {"stanza", a.item.stanza}});
    }
  }
  counts["room_messages"] = roomJson.size();

  auto offline = s.offline().fetch(host, user, 100000);
  if (!offline.isOk()) return offline.status();
  json::array offlineJson;
  for (const auto& m : offline.value()) offlineJson.push_back(json::object{{"stanza", m.stanza}});
  counts["offline_messages"] = offlineJson.size();

  json::array loginsJson;
  for (std::int64_t before = 0;;) {
    auto page = s.accountSecurity().logins(host, user, before, kPage);
    if (!page.isOk()) return page.status();
    for (const auto& l : page.value()) {
      loginsJson.push_back(json::object{
          {"time", iso(l.timeMs)}, {"protocol", l.protocol}, {"source", l.source},
          {"port", l.port}, {"client", l.client}, {"resource", l.resource},
          {"credential", l.credential}, {"country", l.country}, {"city", l.city},
          {"result", l.success ? "success" : "failure"}, {"reason", l.reason}});
    }
    if (page.value().size() < kPage) break;
    before = page.value().back().id;
  }
  counts["login_records"] = loginsJson.size();

  auto devices = s.accountSecurity().devices(host, user);
  auto passkeys = s.accountSecurity().passkeys(host, user);
  if (!devices.isOk()) return devices.status();
  if (!passkeys.isOk()) return passkeys.status();
  json::array devicesJson;
  for (const auto& d : devices.value()) {
    devicesJson.push_back(json::object{{"kind", d.kind}, {"name", d.name}, {"client", d.client},
                                       {"created", iso(d.createdMs)},
                                       {"last_used", isoOrNull(d.lastUsedMs)},
                                       {"last_address", d.lastAddress},
                                       {"expires", isoOrNull(d.expiresMs)}});
  }
  for (const auto& p : passkeys.value()) {
    devicesJson.push_back(json::object{{"kind", "passkey"}, {"name", p.name},
                                       {"created", iso(p.createdMs)},
                                       {"last_used", isoOrNull(p.lastUsedMs)}});
  }
  counts["devices"] = devicesJson.size();

  auto accepted = acceptances(s, host, user);
  if (!accepted.isOk()) return accepted.status();
  json::array consentsJson;
  for (const auto& a : accepted.value()) {
    consentsJson.push_back(
        json::object{{"notice_version", a.version}, {"accepted", iso(a.timeMs)}, {"channel", a.channel}});
  }
  counts["consents"] = consentsJson.size();

  auto files = filesOf(s, host, user);
  if (!files.isOk()) return files.status();

  // Written to a temporary name, then renamed: never a half-written export under its name.
  const std::string tmp = outFile + ".partial";
  Zip zip(tmp);
  if (!zip.ok()) return core::Status::ioError("cannot write " + tmp + ": " + zip.error());
  ::chmod(tmp.c_str(), 0600);
  json::array filesJson;
  std::uint64_t fileBytes = 0;
  for (const auto& [token, meta] : files.value()) {
    const std::string name = "files/" + entryName(token, meta.attrOr("name"));
    auto src = s.files().readFile(host, user, token, uploadPath(w, host, token));
    json::object f{{"name", meta.attrOr("name")}, {"type", meta.attrOr("type")},
                   {"size", meta.attrOr("size")}, {"uploaded", meta.attrOr("created")}};
    if (src.isOk()) {
      fileBytes += src.value()->size();
      if (!zip.addSource(name, *src.value())) {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        return core::Status::ioError("cannot write a file into the export: " + zip.error());
      }
      f["file"] = name;
    } else {
      f["file"] = nullptr;
      f["unavailable"] = src.status().message();
    }
    filesJson.push_back(std::move(f));
  }
  counts["files"] = filesJson.size();
  counts["file_bytes"] = fileBytes;

  json::object manifest{
      {"format", "rampart-personal-data-export"},
      {"version", 1},
      {"account", jid},
      {"exported", iso(w.nowMs)},
      {"contents",
       json::object{
           {"account.json", "the account: role, freeze state, password age, phone number, "
                            "security questions (not their answers)"},
           {"roster.json", "the contact list: contacts, names, groups, subscriptions"},
           {"documents.json", "stored documents by feature: vCard, private XML, PEP items "
                              "(avatars, bookmarks, OMEMO keys), blocking list, archive "
                              "preferences; values as stored (XML)"},
           {"archive.json", "the message archive (XEP-0313), oldest first; stanza as XML"},
           {"room-messages.json", "messages the account sent to group chats, from the rooms' "
                                  "archives"},
           {"offline.json", "messages waiting for delivery"},
           {"logins.json", "sign-in records, newest first"},
           {"devices.json", "app passwords, FAST tokens and passkeys (names and use; never "
                            "secrets)"},
           {"consents.json", "acceptances of the service's privacy notice: version, time and "
                             "where (account center, web client)"},
           {"files.json", "uploaded files, with their names inside files/"}}},
      {"counts", counts}};
  bool ok = zip.addJson("manifest.json", manifest) && zip.addJson("account.json", account) &&
            zip.addJson("roster.json", rosterJson) && zip.addJson("documents.json", docsJson) &&
            zip.addJson("archive.json", archiveJson) &&
            zip.addJson("room-messages.json", roomJson) &&
            zip.addJson("offline.json", offlineJson) && zip.addJson("logins.json", loginsJson) &&
            zip.addJson("devices.json", devicesJson) &&
            zip.addJson("consents.json", consentsJson) && zip.addJson("files.json", filesJson) &&
            zip.close();
  std::error_code ec;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return core::Status::ioError("cannot write the export: " + zip.error());
  }
  std::filesystem::rename(tmp, outFile, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return core::Status::ioError("cannot write " + outFile + ": " + ec.message());
  }
  return manifest;
}

core::Result<json::object> eraseAccount(storage::Storage& s, std::string_view host,
                                        std::string_view user, const Where& w) {
  auto exists = s.accounts().exists(host, user);
  if (!exists.isOk()) return exists.status();
  if (!exists.value()) return core::Status::notFound("no such account");
  // Under legal hold nothing of the account is deleted: refused before anything is touched.
  auto hold = s.admin().holdOn(host, user);
  if (!hold.isOk()) return hold.status();
  if (hold.value() && hold.value()->kind == "account") {
    return core::Status::failedPrecondition("the account is under legal hold (set " +
                                            iso(hold.value()->setMs) +
                                            "); clear the hold before erasing it");
  }
  const std::string jid = std::string(user) + "@" + std::string(host);
  json::object removed;

  // What goes with the account row (counted first).
  auto roster = s.roster().roster(host, user);
  auto docs = documentsAbout(s, host, user);
  auto offline = s.offline().count(host, user);
  auto devices = s.accountSecurity().devices(host, user);
  auto passkeys = s.accountSecurity().passkeys(host, user);
  storage::ArchiveQuery all;
  all.max = 1;
  auto archive = s.archive().query(host, user, all);
  for (const core::Status& st : {roster.status(), docs.status(), offline.status(),
                                 devices.status(), passkeys.status(), archive.status()}) {
    if (!st.isOk()) return st;
  }
  removed["roster_items"] = roster.value().size();
  removed["documents"] = docs.value().size();
  // Host-level documents under its JID go now; its own go with the account.
  const std::string jidKey = std::string(user) + "@" + std::string(host);
  for (const auto& d : docs.value()) {
    if (d.key == jidKey) {
      if (auto st = s.keyValue().remove(host, "", d.store, d.key); !st.isOk()) return st;
    }
  }
  removed["offline_messages"] = offline.value();
  removed["devices"] = devices.value().size();
  removed["passkeys"] = passkeys.value().size();
  removed["archived_messages"] = archive.value().count;

  // Uploaded files and their records.
  auto files = filesOf(s, host, user);
  if (!files.isOk()) return files.status();
  std::uint64_t bytes = 0;
  for (const auto& [token, meta] : files.value()) {
    std::error_code ec;
    const std::string path = uploadPath(w, host, token);
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec) bytes += size;
    std::filesystem::remove(path, ec);
    if (auto st = s.keyValue().remove(host, "", kUploads, token); !st.isOk()) return st;
  }
  if (auto st = s.keyValue().remove(host, "", kUploadUsage, user); !st.isOk()) return st;
  removed["files"] = files.value().size();
  removed["file_bytes"] = bytes;

  // The account's messages in other accounts' archives (of every host) and in rooms'
  // archives: tombstones, as a redaction leaves them (the conversation keeps its shape, not
  // the content).
  std::size_t redacted = 0, roomRedacted = 0;
  struct Place {
    std::string name;
    bool room;
  };
  std::vector<Place> places{{std::string(host), false}};
  for (const auto& h : w.otherHosts) places.push_back({h, false});
  for (const auto& r : w.roomServices) places.push_back({r, true});
  for (const auto& place : places) {
    auto items = s.archive().itemsWith(place.name, jid);
    if (!items.isOk()) return items.status();
    for (const auto& a : items.value()) {
      if (!place.room && place.name == host && a.owner == user) continue;  // goes entirely
      auto orig = core::parseElement(a.item.stanza);
      // In another account's archive, only what this account wrote (not what was written to
      // it: that is the other person's own words).
      if (!place.room && bareOf(orig ? orig->attrOr("from") : std::string_view()) != jid) {
        continue;
      }
      core::Element tomb("message", "jabber:client");
      if (orig) {
        for (const char* attr : {"from", "to", "type", "id"}) {
          if (!orig->attrOr(attr).empty()) {
            // In rooms the sender is the occupant's room JID (room@service/nick): the nick
            // may name the person, so only the room stays.
            std::string v(orig->attrOr(attr));
            if (place.room && std::string_view(attr) == "from") v = v.substr(0, v.find('/'));
            tomb.setAttr(attr, v);
          }
        }
      }
      tomb.addChild("retracted", "urn:xmpp:message-retract:1")
          .setAttr("stamp", core::formatDateTime(w.nowMs * 1000));
      tomb.addChild("body", "jabber:client")
          .addText("This message was removed at its author's request.");
      if (auto st = s.archive().replaceItem(place.name, a.owner, a.item.id, tomb.str(""));
          !st.isOk()) {
        return st;
      }
      ++(place.room ? roomRedacted : redacted);
    }
  }
  removed["messages_redacted_in_other_archives"] = redacted;
  removed["room_messages_redacted"] = roomRedacted;

  // What it sent that still waits for other accounts (never delivered, so never seen): gone,
  // not delivered later.
  std::size_t undelivered = 0;
  for (const auto& place : places) {
    if (place.room) continue;
    std::int64_t after = 0;
    for (;;) {
      auto page = s.offline().offlineAfter(place.name, after, 512);
      if (!page.isOk()) return page.status();
      for (const auto& m : page.value()) {
        after = m.id;
        if (place.name == host && m.user == user) continue;  // its own queue goes entirely
        auto msg = core::parseElement(m.stanza);
        if (!msg || bareOf(msg->attrOr("from")) != jid) continue;
        if (auto st = s.offline().removeOffline(place.name, m.user, m.id); !st.isOk()) return st;
        ++undelivered;
      }
      if (page.value().size() < 512) break;
    }
  }
  removed["undelivered_messages_to_others"] = undelivered;

  auto logins = s.accountSecurity().removeLogins(host, user);
  if (!logins.isOk()) return logins.status();
  removed["login_records"] = logins.value();
  auto locks = s.accountSecurity().clearLocks(host, user);
  if (!locks.isOk()) return locks.status();
  removed["sign_in_locks"] = locks.value();
  auto held = s.content().removeQuarantineFrom(host, jid);
  if (!held.isOk()) return held.status();
  removed["held_messages"] = held.value();
  // Refused uploads kept as evidence, with the descriptions naming the person.
  removed["evidence_files"] = dlp::removeEvidence(
      w.dataDir, std::string(host),
      [&](const std::string& owner, std::int64_t) { return owner != jid; });

  // The account with its roster, offline messages, documents, archive, devices, passkeys,
  // roles and security state; with encryption, its keys are destroyed too.
  if (auto st = s.accounts().deleteAccount(host, user); !st.isOk()) return st;
  removed["account"] = 1;
  // Nothing of it left in the write-ahead log either.
  if (auto st = s.sealedCells().flushLog(); !st.isOk()) return st;

  json::array kept;
  kept.push_back(json::object{
      {"data", "audit log records naming the account"},
      {"why", "accountability and legal obligation (GB/T 22239 8.1.4.3; PIPL art. 47: "
              "retention required by law); tamper-evident, so not rewritten"},
      {"until", "[audit] retention_days"}});
  kept.push_back(json::object{
      {"data", "alerts naming the account"},
      {"why", "security incident records"},
      {"until", "pruned by an operator"}});
  return json::object{{"account", jid},
                      {"erased", iso(w.nowMs)},
                      {"removed", std::move(removed)},
                      {"keys", w.encrypted ? "destroyed (crypto-shredded: what is left in "
                                             "backups can no longer be read)"
                                           : "none (encryption is off)"},
                      {"kept", std::move(kept)}};
}

std::string reportText(const json::object& r) {
  std::string out = "erased " + json::value_to<std::string>(r.at("account")) + " at " +
                    json::value_to<std::string>(r.at("erased")) + "\nremoved:\n";
  for (const auto& [k, v] : r.at("removed").as_object()) {
    std::string name(k);
    for (char& c : name) c = c == '_' ? ' ' : c;
    out += "  " + name + ": " + json::serialize(v) + "\n";
  }
  out += "keys: " + json::value_to<std::string>(r.at("keys")) + "\nkept:\n";
  for (const auto& k : r.at("kept").as_array()) {
    out += "  " + json::value_to<std::string>(k.at("data")) + " (" +
           json::value_to<std::string>(k.at("why")) + "; until " +
           json::value_to<std::string>(k.at("until")) + ")\n";
  }
  return out;
}

}  // namespace rampart::security::privacy
