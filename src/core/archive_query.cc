// XEP-0313 Message Archive Management 1.1 queries with XEP-0059 Result Set Management.
#include "rampart/core/archive_query.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_map>

#include "rampart/core/dataform.h"
#include "rampart/core/datetime.h"
#include "rampart/core/random.h"
#include "rampart/core/stanza.h"

namespace rampart::core::archive {

std::string newStanzaId() {
  // Nine characters of the time in microseconds, in an alphabet whose ASCII order is its
  // numeric order, so that ids sort by time: a new archive entry lands at the end of its
  // owner's index instead of on a random page. Then 72 random bits: ids stay unguessable.
  static constexpr char kSorted[] =
      "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  std::uint64_t t = static_cast<std::uint64_t>(std::max<std::int64_t>(0, nowMicros()));
  std::string id(9, '-');
  for (int i = 8; i >= 0; --i) {
    id[static_cast<std::size_t>(i)] = kSorted[t & 63];
    t >>= 6;
  }
  return id + randomToken(9);
}

void stripForgedStanzaIds(Element& message, std::string_view by) {
  for (const Element* c : message.childElements()) {
    if (c->is("stanza-id", kNsSid) && c->attrOr("by") == by) {
      message.removeChildren("stanza-id", std::string(kNsSid));
      return;
    }
  }
}

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
    if (!form->formType().empty() && form->formType() != kNsMam) {
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
      } else if (f.var == kFulltextField) {
        req.query.fulltext = f.value();
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
    core::Element& result = m.addChild("result", std::string(kNsMam));
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
  core::Element& fin = reply.addChild("fin", std::string(kNsMam));
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
  form.add("FORM_TYPE", "hidden", {}, {std::string(kNsMam)});
  form.add("with", "jid-single", "With");
  form.add("start", "text-single", "Start");
  form.add("end", "text-single", "End");
  form.add("before-id", "text-single", "Before ID");
  form.add("after-id", "text-single", "After ID");
  form.add("ids", "list-multi", "IDs");
  form.add(std::string(kFulltextField), "text-single", "Search the text");
  core::Element reply = core::makeIqResult(iq);
  reply.addChild("query", std::string(kNsMam)).addChild(form.toElement());
  return reply;
}

void ArchiveWriter::add(storage::ArchiveAppend item, Keep keep) {
  std::lock_guard lock(mu_);
  pending_.push_back(Pending{std::move(item), keep});
  if (pending_.size() >= kMaxBatch && !urgent_) {
    scheduleCommit(std::chrono::milliseconds(0), &ArchiveWriter::urgent_);
  }
  if (!scheduled_) {
    scheduleCommit(kWindow, &ArchiveWriter::scheduled_);
  }
}

void ArchiveWriter::scheduleCommit(std::chrono::milliseconds delay, bool ArchiveWriter::*onItsWay) {
  this->*onItsWay = true;
  schedule_(delay, [self = shared_from_this(), onItsWay](storage::Storage& s) {
    {
      std::lock_guard lock(self->mu_);
      (*self).*onItsWay = false;
    }
    self->commit(s);
  });
}

void ArchiveWriter::commit(storage::Storage& s) {
  std::vector<Pending> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) {
    return;
  }
  std::vector<storage::ArchiveAppend> items;
  items.reserve(batch.size());
  // Accounts looked up in this batch: "host/owner" -> exists.
  std::unordered_map<std::string, bool> accounts;
  for (auto& p : batch) {
    if (p.keep == Keep::kIfInRoster) {
      // Only an existing account has roster items.
      auto it = s.roster().item(p.item.host, p.item.owner, p.item.item.withBare);
      if (!it.isOk() || !it.value() || !it.value()->inRoster) {
        continue;
      }
    } else if (p.keep == Keep::kIfAccount) {
      auto [it, fresh] = accounts.try_emplace(p.item.host + "/" + p.item.owner, false);
      if (fresh) {
        auto ex = s.accounts().exists(p.item.host, p.item.owner);
        it->second = ex.isOk() && ex.value();
      }
      if (!it->second) {
        continue;  // no such account (any more): nobody may read this later
      }
    }
    items.push_back(std::move(p.item));
  }
  const std::size_t count = items.size();
  if (Status st = s.archive().append(std::move(items)); !st.isOk()) {
    // The messages were delivered; only their archive copies are lost.
    spdlog::error("event=archive_write_failed items={} reason=\"{}\"", count, st.message());
  }
}

}  // namespace rampart::core::archive
