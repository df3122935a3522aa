// XEP-0313 Message Archive Management 1.1 (urn:xmpp:mam:2, with #extended for ids and
// before-id/after-id) for user archives, paged with XEP-0059 Result Set Management.
#include <openssl/rand.h>

#include <future>
#include <stdexcept>

#include "modules/xep0313_mam/mam.h"
#include "rampart/core/dataform.h"
#include "rampart/core/datetime.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::mam {
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

std::string newStanzaId() {
  unsigned char raw[12];
  RAND_bytes(raw, sizeof raw);
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (std::size_t i = 0; i < sizeof raw; i += 3) {
    std::uint32_t v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
    for (int k = 18; k >= 0; k -= 6) {
      out += kAlphabet[(v >> k) & 63];
    }
  }
  return out;
}

// Queued archive writes, committed in one transaction per storage-thread turn. Lives as long
// as the last storage job that refers to it.
class ArchiveWriter : public std::enable_shared_from_this<ArchiveWriter> {
 public:
  explicit ArchiveWriter(core::ModuleContext& ctx) : ctx_(ctx) {}
  void add(storage::ArchiveAppend item, bool ifInRoster, std::string ownerBare) {
    std::lock_guard lock(mu_);
    pending_.push_back(Pending{std::move(item), ifInRoster, std::move(ownerBare)});
    if (scheduled_) {
      return;
    }
    scheduled_ = true;
    ctx_.runStorage([self = shared_from_this()](storage::Storage& s) { self->flush(s); });
  }

 private:
  struct Pending {
    storage::ArchiveAppend item;
    bool ifInRoster;
    std::string owner;
  };
  void flush(storage::Storage& s) {
    std::vector<Pending> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
      scheduled_ = false;
    }
    std::vector<storage::ArchiveAppend> items;
    items.reserve(batch.size());
    for (auto& p : batch) {
      if (p.ifInRoster) {
        auto it = s.roster().item(p.item.host, p.item.owner, p.item.item.withBare);
        if (!it.isOk() || !it.value() || !it.value()->inRoster) {
          continue;
        }
      }
      items.push_back(std::move(p.item));
    }
    // A failed commit leaves the messages delivered but unarchived; it is logged by the
    // storage runner's error metric.
    (void)s.archive().append(items);
  }
  core::ModuleContext& ctx_;
  std::mutex mu_;
  std::vector<Pending> pending_;
  bool scheduled_ = false;
};

std::optional<QueryRequest> parseQuery(const core::Element& q, std::size_t maxPage,
                                       std::string& condition, std::string& text) {
  QueryRequest req;
  req.queryId = std::string(q.attrOr("queryid"));
  req.query.max = std::min<std::size_t>(maxPage, 50);
  auto fail = [&](std::string_view c, std::string_view t) {
    condition = c;
    text = t;
    return std::nullopt;
  };
  if (req.queryId.size() > 256) {
    return fail("bad-request", "queryid is too long");
  }
  if (const core::Element* x = q.child("x", core::kNsDataForms)) {
    auto form = core::parseDataForm(*x);
    if (!form || form->type != "submit") {
      return fail("bad-request", "the search form is malformed");
    }
    if (!form->formType().empty() && form->formType() != kNs) {
      return fail("bad-request", "FORM_TYPE must be urn:xmpp:mam:2");
    }
    for (const auto& f : form->fields) {
      if (f.var == "FORM_TYPE" || f.values.empty() || f.value().empty()) {
        continue;
      }
      if (f.var == "with") {
        auto j = core::Jid::parse(f.value());
        if (!j) {
          return fail("jid-malformed", "'with' is not a valid JID");
        }
        req.query.with = j->str();
      } else if (f.var == "start" || f.var == "end") {
        auto t = core::parseDateTime(f.value());
        if (!t) {
          return fail("bad-request", "'start' and 'end' must be XEP-0082 date-times");
        }
        (f.var == "start" ? req.query.startUs : req.query.endUs) = *t;
      } else if (f.var == "after-id") {
        req.query.afterId = f.value();
      } else if (f.var == "before-id") {
        req.query.beforeId = f.value();
      } else if (f.var == "ids") {
        if (f.values.size() > maxPage) {
          return fail("policy-violation", "too many ids");
        }
        req.query.ids = f.values;
      } else {
        return fail("bad-request", "unsupported search field '" + f.var + "'");
      }
    }
  }
  if (const core::Element* set = q.child("set", kNsRsm)) {
    if (const core::Element* max = set->child("max", kNsRsm)) {
      std::string v = max->text();
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
        return fail("bad-request", "RSM <max/> must be a number");
      }
      req.query.max = std::min<std::size_t>(std::stoul(v), maxPage);
    }
    if (const core::Element* after = set->child("after", kNsRsm)) {
      req.query.afterId = after->text();
    }
    if (const core::Element* before = set->child("before", kNsRsm)) {
      std::string b = before->text();
      if (b.empty()) {
        req.query.lastPage = true;
      } else {
        req.query.beforeId = b;
      }
    }
    if (set->child("index", kNsRsm) != nullptr) {
      return fail("feature-not-implemented", "RSM <index/> is not supported");
    }
  }
  return req;
}

void sendResults(core::Router& router, const core::Element& iq, const std::string& archiveJid,
                 const QueryRequest& req, const storage::ArchivePage& page) {
  auto requester = core::Jid::parse(iq.attrOr("from"));
  for (const auto& item : page.items) {
    auto stored = core::parseElement(item.stanza);
    if (!stored) {
      continue;
    }
    core::Element m("message", std::string(core::kNsClient));
    m.setAttr("to", requester->str()).setAttr("from", archiveJid);
    core::Element& result = m.addChild("result", std::string(kNs));
    if (!req.queryId.empty()) {
      result.setAttr("queryid", req.queryId);
    }
    result.setAttr("id", item.id);
    core::Element& fwd = result.addChild("forwarded", std::string(kNsForward));
    fwd.addChild("delay", std::string(kNsDelay))
        .setAttr("stamp", core::formatDateTime(item.timestampUs));
    fwd.addChild(std::move(*stored));
    router.deliverTo(*requester, std::make_shared<const core::Element>(std::move(m)));
  }
  core::Element reply = core::makeIqResult(iq);
  core::Element& fin = reply.addChild("fin", std::string(kNs));
  if (page.complete) {
    fin.setAttr("complete", "true");
  }
  core::Element& set = fin.addChild("set", std::string(kNsRsm));
  if (!page.items.empty()) {
    set.addChild("first", std::string(kNsRsm)).addText(page.items.front().id);
    set.addChild("last", std::string(kNsRsm)).addText(page.items.back().id);
  }
  set.addChild("count", std::string(kNsRsm)).addText(std::to_string(page.count));
  router.route(std::move(reply));
}

core::Element queryForm(const core::Element& iq) {
  core::DataForm form;
  form.add("FORM_TYPE", "hidden", {}, {std::string(kNs)});
  form.add("with", "jid-single", "With");
  form.add("start", "text-single", "Start");
  form.add("end", "text-single", "End");
  form.add("before-id", "text-single", "Before ID");
  form.add("after-id", "text-single", "After ID");
  form.add("ids", "list-multi", "IDs");
  core::Element reply = core::makeIqResult(iq);
  reply.addChild("query", std::string(kNs)).addChild(form.toElement());
  return reply;
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
  retentionDays_ = ctx.optionInt("retention_days", 365, 0, 36500);
  writer_ = std::make_shared<ArchiveWriter>(ctx);

  std::promise<core::Result<std::vector<storage::KeyValue>>> loaded;
  auto future = loaded.get_future();
  std::string host = ctx.host();
  ctx.runStorage([&loaded, host](storage::Storage& s) {
    loaded.set_value(s.keyValue().list(host, "", kPrefsStore));
  });
  auto all = future.get();
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

  if (retentionDays_ > 0) {
    const std::int64_t days = retentionDays_;
    auto expire = [this, host, days] {
      const std::int64_t cutoff = core::nowMicros() - days * 86400LL * 1000000LL;
      ctx_->runStorage([host, cutoff](storage::Storage& s) {
        (void)s.archive().removeOlderThan(host, cutoff);
      });
    };
    expire();
    ctx.every(std::chrono::hours(1), expire);
  }
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
  writer_->add(std::move(a), d == Decision::kIfInRoster, owner.bareStr());
}

bool MamModule::onIncoming(core::StanzaEvent& ev) {
  core::Element& m = ev.stanza;
  auto to = core::Jid::parse(m.attrOr("to"));
  auto from = core::Jid::parse(m.attrOr("from"));
  if (!to || !from || to->local().empty()) {
    return false;
  }
  const std::string owner = to->bareStr();
  // Nobody else may claim to be this archive (XEP-0359 section 4).
  while (true) {
    bool removed = false;
    for (const auto* c : m.childElements()) {
      if (c->is("stanza-id", kNsSid) && c->attrOr("by") == owner) {
        m.removeChildren("stanza-id", std::string(kNsSid));
        removed = true;
        break;
      }
    }
    if (!removed) {
      break;
    }
  }
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
      [owner, shared](storage::Storage& s) {
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
