// XEP-0313 Message Archive Management 1.1 (urn:xmpp:mam:2, with #extended for ids and
// before-id/after-id) for user archives, paged with XEP-0059 Result Set Management.
#include <stdexcept>

#include "modules/xep0313_mam/mam.h"
#include "rampart/core/dataform.h"
#include "rampart/core/datetime.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::mam {
using core::archive::newStanzaId;
using core::archive::parseQuery;
using core::archive::queryForm;
using core::archive::QueryRequest;
using core::archive::sendResults;
namespace {
constexpr std::string_view kPrefsStore = "mam_prefs";
constexpr std::string_view kNsHints = "urn:xmpp:hints";

std::string policyName(Prefs::Default d) {
  return d == Prefs::Default::kAlways ? "always" : d == Prefs::Default::kNever ? "never" : "roster";
}

std::optional<Prefs::Default> parsePolicy(std::string_view s) {
  if (s == "always") return Prefs::Default::kAlways;
  if (s == "never") return Prefs::Default::kNever;
  if (s == "roster") return Prefs::Default::kRoster;
  return std::nullopt;
}

core::Element prefsElement(const Prefs& p) {
  core::Element e("prefs", std::string(kNs));
  e.setAttr("default", policyName(p.def));
  core::Element& always = e.addChild("always", std::string(kNs));
  for (const auto& j : p.always) {
    always.addChild("jid", std::string(kNs)).addText(j);
  }
  core::Element& never = e.addChild("never", std::string(kNs));
  for (const auto& j : p.never) {
    never.addChild("jid", std::string(kNs)).addText(j);
  }
  return e;
}

// Parses a stored or submitted <prefs/>; nullopt when malformed.
std::optional<Prefs> parsePrefs(const core::Element& e) {
  auto def = parsePolicy(e.attrOr("default"));
  if (!def) {
    return std::nullopt;
  }
  Prefs p;
  p.def = *def;
  for (auto [name, set] : {std::pair{"always", &p.always}, std::pair{"never", &p.never}}) {
    if (const core::Element* list = e.child(name, kNs)) {
      for (const auto* j : list->childElements()) {
        auto jid = core::Jid::parse(j->text());
        if (!jid || set->size() >= 1000) {
          return std::nullopt;
        }
        set->insert(jid->bareStr());
      }
    }
  }
  return p;
}
}  // namespace

bool archivable(const core::Element& m) {
  std::string_view type = m.attrOr("type", "normal");
  if (type == "error" || type == "headline" || type == "groupchat") {
    return false;
  }
  if (m.child("no-store", kNsHints) != nullptr || m.child("no-permanent-store", kNsHints) != nullptr) {
    return false;
  }
  if (m.child("received", "urn:xmpp:carbons:2") != nullptr ||
      m.child("sent", "urn:xmpp:carbons:2") != nullptr) {
    return false;
  }
  // A body, an explicit store hint, or end-to-end encrypted content (OMEMO, OpenPGP).
  return m.child("body", core::kNsClient) != nullptr || m.child("store", kNsHints) != nullptr ||
         m.child("encrypted", "urn:xmpp:omemo:2") != nullptr ||
         m.child("encrypted", "eu.siacs.conversations.axolotl") != nullptr ||
         m.child("openpgp", "urn:xmpp:openpgp:0") != nullptr;
}

MamModule::MamModule() = default;
MamModule::~MamModule() = default;

void MamModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  auto def = parsePolicy(ctx.optionString("default", "always"));
  if (!def) {
    throw std::runtime_error("modules.mam.default must be always, never or roster");
  }
  defaultPolicy_ = *def;
  maxPage_ = static_cast<std::size_t>(ctx.optionInt("max_page", 250, 10, 5000));
  (void)ctx.optionInt("retention_days", 365, 0, 36500);  // checked here; [retention] applies it
  writer_ = std::make_shared<core::archive::ArchiveWriter>(
      [&ctx](std::chrono::milliseconds delay, core::archive::ArchiveWriter::Job job) {
        ctx.runStorageAfter(delay, std::move(job));
      });
  // Acknowledged stanzas are archived ones (XEP-0198 <a/> waits for this).
  ctx.addStorageSyncHook([writer = writer_](storage::Storage& s) { writer->commit(s); });

  const std::string host = ctx.host();
  auto all = ctx.queryNow<core::Result<std::vector<storage::KeyValue>>>(
      [host](storage::Storage& s) { return s.keyValue().list(host, "", kPrefsStore); });
  if (!all.isOk()) {
    throw std::runtime_error("cannot load archive preferences: " + all.status().message());
  }
  for (const auto& kv : all.value()) {
    if (auto el = core::parseElement(kv.value)) {
      if (auto p = parsePrefs(*el)) {
        prefs_[kv.key] = std::make_shared<const Prefs>(std::move(*p));
      }
    }
  }

  ctx.addAccountFeature(kNs);
  ctx.addAccountFeature(kNsExtended);
  ctx.addAccountFeature(core::archive::kNsFulltext);
  ctx.addFeature(kNs);
  ctx.onIq(core::IqScope::kAccount, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session*) {
             const std::string& name = iq.firstChild()->name();
             if (name == "query") {
               handleQuery(iq);
             } else if (name == "prefs") {
               handlePrefsSet(iq);
             } else {
               ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kCancel,
                                                         "feature-not-implemented"));
             }
           });
  ctx.onIq(core::IqScope::kAccount, core::IqType::kGet, kNs,
           [this](const core::Element& iq, core::Session*) {
             const std::string& name = iq.firstChild()->name();
             if (!core::isOwnAccountRequest(iq)) {
               ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden"));
             } else if (name == "query") {
               ctx_->router().route(queryForm(iq));
             } else if (name == "prefs") {
               handlePrefsGet(iq);
             } else {
               ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kCancel,
                                                         "feature-not-implemented"));
             }
           });
  // Archiving runs before carbons and delivery so that every copy carries the stanza-id.
  ctx.hook(core::events::kMessageIn, 50, [this](core::StanzaEvent& ev) { return onIncoming(ev); });
  ctx.hook(core::events::kMessageOut, 50, [this](core::StanzaEvent& ev) { return onOutgoing(ev); });

  // Retention (security/retention decides when): after the queued messages are written.
  ctx.addRetention(core::DataKind::kArchive, host,
                   [host, writer = writer_](storage::Storage& s, const core::RetentionCutoff& c) {
                     writer->commit(s);
                     auto n = s.archive().removeOlderThan(host, c.beforeUs);
                     return n.isOk() ? n.value() : std::size_t{0};
                   });
}

MamModule::Decision MamModule::decide(const std::string& owner, const core::Jid& other) const {
  std::shared_ptr<const Prefs> p;
  {
    std::shared_lock lock(mu_);
    auto it = prefs_.find(owner);
    if (it != prefs_.end()) {
      p = it->second;
    }
  }
  const std::string otherBare = other.bareStr();
  Prefs::Default def = defaultPolicy_;
  if (p) {
    if (p->never.count(otherBare) != 0) {
      return Decision::kNo;
    }
    if (p->always.count(otherBare) != 0) {
      return Decision::kYes;
    }
    def = p->def;
  }
  switch (def) {
    case Prefs::Default::kAlways:
      return Decision::kYes;
    case Prefs::Default::kNever:
      return Decision::kNo;
    case Prefs::Default::kRoster:
      return Decision::kIfInRoster;
  }
  return Decision::kNo;
}

void MamModule::archive(const core::Jid& owner, const core::Jid& other,
                        const core::Element& message, std::string id, Decision d) {
  storage::ArchiveAppend a;
  a.host = owner.domain();
  a.owner = owner.local();
  a.item.id = std::move(id);
  a.item.timestampUs = core::nowMicros();
  a.item.withBare = other.bareStr();
  a.item.withFull = other.str();
  a.item.stanza = message.str("");
  if (const core::Element* body = message.child("body", "jabber:client")) {
    a.searchText = body->text();
  }
  writer_->add(std::move(a), d == Decision::kIfInRoster
                                 ? core::archive::ArchiveWriter::Keep::kIfInRoster
                                 : core::archive::ArchiveWriter::Keep::kIfAccount);
}

bool MamModule::onIncoming(core::StanzaEvent& ev) {
  core::Element& m = ev.stanza;
  auto to = core::Jid::parse(m.attrOr("to"));
  auto from = core::Jid::parse(m.attrOr("from"));
  if (!to || !from || to->local().empty()) {
    return false;
  }
  const std::string owner = to->bareStr();
  core::archive::stripForgedStanzaIds(m, owner);
  if (!archivable(m) || from->bare() == to->bare()) {
    return false;
  }
  Decision d = decide(owner, *from);
  if (d == Decision::kNo) {
    return false;
  }
  std::string id = newStanzaId();
  m.addChild("stanza-id", std::string(kNsSid)).setAttr("id", id).setAttr("by", owner);
  archive(to->bare(), *from, m, std::move(id), d);
  return false;
}

bool MamModule::onOutgoing(core::StanzaEvent& ev) {
  const core::Element& m = ev.stanza;
  auto to = core::Jid::parse(m.attrOr("to"));
  if (ev.origin == nullptr || !to || !archivable(m)) {
    return false;
  }
  const core::Jid owner = ev.origin->jid().bare();
  if (to->bare() == owner) {
    return false;  // to oneself: archived once, as incoming
  }
  Decision d = decide(owner.str(), *to);
  if (d != Decision::kNo) {
    archive(owner, *to, m, newStanzaId(), d);
  }
  return false;
}

void MamModule::handleQuery(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden",
                                      "only the owner may search an archive"));
    return;
  }
  std::string condition, text;
  auto req = parseQuery(*iq.firstChild(), maxPage_, condition, text);
  if (!req) {
    router.route(core::makeErrorReply(iq, core::defaultErrorType(condition), condition, text));
    return;
  }
  auto owner = core::Jid::parse(iq.attrOr("from"))->bare();
  auto request = std::make_shared<core::Element>(iq);
  auto shared = std::make_shared<QueryRequest>(std::move(*req));
  ctx_->query<core::Result<storage::ArchivePage>>(
      [owner, shared, writer = writer_](storage::Storage& s) {
        writer->commit(s);
        return s.archive().query(owner.domain(), owner.local(), shared->query);
      },
      [this, request, shared, owner](core::Result<storage::ArchivePage> page) {
        core::Router& router = ctx_->router();
        if (!page.isOk()) {
          bool notFound = page.status().code() == core::Status::Code::kNotFound;
          router.route(core::makeErrorReply(
              *request, notFound ? core::ErrorType::kCancel : core::ErrorType::kWait,
              notFound ? "item-not-found" : "internal-server-error",
              notFound ? "no archived message has that id" : ""));
          return;
        }
        sendResults(router, *request, owner.str(), *shared, page.value());
      });
}

void MamModule::handlePrefsGet(const core::Element& iq) {
  auto owner = core::Jid::parse(iq.attrOr("from"))->bareStr();
  Prefs p;
  p.def = defaultPolicy_;
  {
    std::shared_lock lock(mu_);
    if (auto it = prefs_.find(owner); it != prefs_.end()) {
      p = *it->second;
    }
  }
  core::Element reply = core::makeIqResult(iq);
  reply.removeAttr("from");
  reply.addChild(prefsElement(p));
  ctx_->router().route(std::move(reply));
}

void MamModule::handlePrefsSet(const core::Element& iq) {
  core::Router& router = ctx_->router();
  if (!core::isOwnAccountRequest(iq)) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kAuth, "forbidden"));
    return;
  }
  auto p = parsePrefs(*iq.firstChild());
  if (!p) {
    router.route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                      "default must be always, never or roster; JIDs valid"));
    return;
  }
  auto owner = core::Jid::parse(iq.attrOr("from"))->bareStr();
  auto prefs = std::make_shared<const Prefs>(std::move(*p));
  std::string xml = prefsElement(*prefs).str("");
  auto request = std::make_shared<core::Element>(iq);
  const std::string host = ctx_->host();
  ctx_->query<bool>(
      [host, owner, xml](storage::Storage& s) {
        return s.keyValue().put(host, "", kPrefsStore, owner, xml).isOk();
      },
      [this, request, owner, prefs](bool ok) {
        if (!ok) {
          ctx_->router().route(core::makeErrorReply(*request, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        {
          std::unique_lock lock(mu_);
          prefs_[owner] = prefs;
        }
        core::Element reply = core::makeIqResult(*request);
        reply.removeAttr("from");
        reply.addChild(prefsElement(*prefs));
        ctx_->router().route(std::move(reply));
      });
}

}  // namespace rampart::modules::mam
