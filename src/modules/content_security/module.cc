#include <boost/json.hpp>

#include "modules/content_security/content_security.h"
#include "rampart/core/datetime.h"
#include "rampart/core/random.h"
#include "rampart/core/stanza.h"
#include "rampart/security/content_fields.h"

namespace rampart::modules::content {
namespace {
constexpr std::string_view kNsDelay = "urn:xmpp:delay";
constexpr std::size_t kMaxJustification = 1000;

std::string findingsJson(const security::ContentVerdict& v) {
  boost::json::array a;
  for (const auto& f : v.findings) {
    a.push_back(boost::json::object{{"field", f.field},
                                    {"index", f.index},
                                    {"rule", f.rule},
                                    {"type", f.type},
                                    {"begin", f.begin},
                                    {"end", f.end},
                                    {"confidence", f.confidence},
                                    {"action", security::contentActionName(f.action)}});
  }
  return boost::json::serialize(a);
}

void stripServerElements(core::Element& e, int depth) {
  for (const char* name : {"link-warning", "held", "approved", "rejected", "upload-refused",
                           "warning", "blocked", "e2ee-refused"}) {
    e.removeChildren(name, kNs);
  }
  if (depth < 64) {
    for (core::Element* c : e.childElements()) {
      stripServerElements(*c, depth + 1);
    }
  }
}

// Every rule that matched, once each, in the order of the findings.
std::vector<std::string> rulesOf(const security::ContentVerdict& v) {
  std::vector<std::string> rules;
  for (const auto& f : v.findings) {
    if (std::find(rules.begin(), rules.end(), f.rule) == rules.end()) {
      rules.push_back(f.rule);
    }
  }
  return rules;
}

std::string stamp(std::int64_t ms) {
  return core::formatDateTime(ms * 1000);
}
}  // namespace

void ContentModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  service_ = ctx.contentService();
  if (service_ == nullptr) {
    return;
  }
  ctx.addFeature(kNs);
  findings_ = &ctx.metrics().counter("rampart_content_findings_total", "",
                                     "DLP findings in messages sent by local clients");
  // After blocking (priority 100): a blocked contact's message is dropped without inspection.
  ctx.hook(core::events::kStanzaFilter, 50,
           [this](core::StanzaEvent& ev) { return onMessage(ev); });
  ctx.onIq(core::IqScope::kHost, core::IqType::kSet, kNs,
           [this](const core::Element& iq, core::Session* origin) { onReport(iq, origin); });
  // Decisions taken by reviewers (admin API, console, rampartctl) are carried out here.
  ctx.every(std::chrono::seconds(1), [this] { settle(); });
  ctx.every(std::chrono::seconds(60), [this] {
    const std::string host = ctx_->host();
    ctx_->runStorage([svc = service_, host](storage::Storage&) { svc->housekeeping(host); });
  });
}

bool ContentModule::onMessage(core::StanzaEvent& ev) {
  // Only what a client of this host sends; each host's hook sees stanzas of both ends.
  if (ev.origin == nullptr || ev.origin->jid().domain() != ctx_->host()) {
    return false;
  }
  if (ev.stanza.name() == "iq") {
    return ev.stanza.attrOr("type") == "set" && inspectProfile(ev);
  }
  if (ev.stanza.name() != "message") {
    return false;
  }
  // What only the server may say (a recipient's client trusts a <link-warning/> or a notice
  // element to come from the server): never taken from a sender, at any depth (inside
  // forwarded messages too), error messages included.
  stripServerElements(ev.stanza, 0);
  if (ev.stanza.attrOr("type") == "error") {
    return false;
  }
  const security::ContentInspector& inspector = service_->inspector();
  const std::string& host = ctx_->host();
  const std::string sender = ev.origin->jid().str();
  if (security::endToEndEncrypted(ev.stanza)) {
    // The encrypted payload cannot be read; what is in clear beside it (the fallback body, a
    // subject, links) is still inspected below.
    const auto policy = inspector.e2ee(host);
    auto to = core::Jid::parse(ev.stanza.attrOr("to"));
    const bool internal = to && (to->domain() == host || to->domain().ends_with("." + host));
    if (policy == security::E2eePolicy::kAllow ||
        (policy == security::E2eePolicy::kInternal && internal)) {
      return inspectClear(ev);
    }
    const std::string text =
        policy == security::E2eePolicy::kRefuse
            ? "End-to-end encrypted messages are not allowed by the content policy of " + host
            : "End-to-end encrypted messages are allowed only between users of " + host;
    refuse(ev.stanza, core::ErrorType::kCancel, "e2ee-refused", "e2ee", text);
    audit({host, sender, std::string(ev.stanza.attrOr("to")), "e2ee", "e2ee-refused", {}, {}});
    return true;
  }
  return inspectClear(ev);
}

bool ContentModule::inspectClear(core::StanzaEvent& ev) {
  const security::ContentInspector& inspector = service_->inspector();
  const std::string& host = ctx_->host();
  const std::string sender = ev.origin->jid().str();
  if (!inspector.enabled(host)) {
    return false;
  }
  auto fields = security::contentFieldsOf(ev.stanza);
  if (fields.empty()) {
    return false;
  }
  const security::ContentVerdict v = inspector.inspect(host, fields);
  if (v.findings.empty()) {
    return false;
  }
  findings_->fetch_add(static_cast<std::int64_t>(v.findings.size()), std::memory_order_relaxed);
  const std::string to(ev.stanza.attrOr("to"));
  const std::vector<std::string> rules = rulesOf(v);
  auto applyMask = [&] { deliverable(ev.stanza, inspector, fields, v); };
  switch (v.action) {
    case security::ContentAction::kAllow:
    case security::ContentAction::kMask:
      applyMask();
      return false;
    case security::ContentAction::kWarn: {
      const core::Element* j = ev.stanza.child("justification", kNs);
      std::string why = j != nullptr ? j->text() : std::string();
      if (!why.empty() && why.size() <= kMaxJustification) {
        ev.stanza.removeChildren("justification", kNs);
        applyMask();
        audit({host, sender, to, v.rule, "override", why, rules});
        return false;
      }
      refuse(ev.stanza, core::ErrorType::kModify, "warning", v.rule,
             "The content policy (rule " + v.rule +
                 ") advises against sending this; send it again with a justification to "
                 "send it anyway");
      audit({host, sender, to, v.rule, "warn", {}, rules});
      return true;
    }
    case security::ContentAction::kBlock:
      refuse(ev.stanza, core::ErrorType::kCancel, "blocked", v.rule,
             "Blocked by the content policy (rule " + v.rule + ")");
      audit({host, sender, to, v.rule, "block", {}, rules});
      return true;
    case security::ContentAction::kQuarantine:
      hold(ev.stanza, v, sender);
      return true;
  }
  return false;
}

bool ContentModule::inspectProfile(core::StanzaEvent& ev) {
  const security::ContentInspector& inspector = service_->inspector();
  const std::string& host = ctx_->host();
  if (!inspector.enabled(host)) {
    return false;
  }
  security::ProfileText profile = security::profileTextOf(ev.stanza);
  const std::string sender = ev.origin->jid().str();
  const std::string to(ev.stanza.attrOr("to"));
  const std::string what = profile.kind == "room" ? "this room configuration" : "this profile";
  const std::string whatAudited = profile.kind == "room" ? "room configuration" : "vCard";
  if (!profile.complete) {
    // Too many fields, or too deeply nested, to read them all: not stored unread.
    refuse(ev.stanza, core::ErrorType::kModify, "blocked", "unreadable",
           "The content policy cannot check " + what + ": too many or too deeply nested fields");
    audit({host, sender, to.empty() ? ev.origin->jid().bareStr() : to, "unreadable", "block",
           whatAudited, {}});
    return true;
  }
  if (profile.elements.empty()) {
    return false;
  }
  std::vector<security::ContentField> fields;
  fields.reserve(profile.elements.size());
  for (const core::Element* e : profile.elements) {
    fields.push_back({profile.kind, e->text()});
  }
  const security::ContentVerdict v = inspector.inspect(host, fields);
  if (v.findings.empty()) {
    return false;
  }
  findings_->fetch_add(static_cast<std::int64_t>(v.findings.size()), std::memory_order_relaxed);
  auto action = v.action;
  if (action == security::ContentAction::kAllow || action == security::ContentAction::kMask) {
    // Stored, and shown to others, masked. A value beside child elements (mixed content, which
    // vCards do not use) cannot be rewritten without losing them: refused instead.
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < profile.elements.size(); ++i) {
      texts.push_back(inspector.masked(fields[i].text, v.findings, i));
      if (texts.back() != fields[i].text && !profile.elements[i]->childElements().empty()) {
        action = security::ContentAction::kBlock;
      }
    }
    if (action != security::ContentAction::kBlock) {
      for (std::size_t i = 0; i < profile.elements.size(); ++i) {
        if (texts[i] != fields[i].text) {
          profile.elements[i]->clearChildren();
          profile.elements[i]->addText(texts[i]);
        }
      }
      return false;
    }
  }
  // A profile or a room's description cannot wait for review or carry a justification: what
  // would be warned about, blocked or held is refused.
  const std::vector<std::string> rules = rulesOf(v);
  refuse(ev.stanza, core::ErrorType::kModify, "blocked", v.rule,
         "The content policy (rule " + v.rule + ") does not allow " + what);
  audit({host, sender, to.empty() ? ev.origin->jid().bareStr() : to, v.rule, "block",
         whatAudited, rules});
  return true;
}

void deliverable(core::Element& m, const security::ContentInspector& inspector,
                 const std::vector<security::ContentField>& fields,
                 const security::ContentVerdict& v) {
  // Field order: bodies, the subject, the XHTML-IM copy (security::contentFieldsOf).
  std::size_t index = 0;
  bool masked = false;
  for (const char* name : {"body", "subject"}) {
    for (core::Element* c : m.childElements()) {
      if (!c->is(name, core::kNsClient) || index >= fields.size()) {
        continue;
      }
      const std::string text = inspector.masked(fields[index].text, v.findings, index);
      if (text != fields[index].text) {
        c->clearChildren();
        c->addText(text);
        masked = true;
      }
      ++index;
    }
  }
  // Bodies and subjects of forwarded messages (XEP-0297), in the order of their fields.
  const auto inner = security::forwardedMessages(m);
  std::vector<core::Element*> texts;
  for (core::Element* fm : inner) {
    for (core::Element* c : fm->childElements()) {
      if (c->name() == "body" || c->name() == "subject") {
        texts.push_back(c);
      }
    }
  }
  std::size_t next = 0;
  bool forwardedMasked = false;
  for (std::size_t i = 0; i < fields.size() && next < texts.size(); ++i) {
    if (fields[i].name != "forwarded") {
      continue;
    }
    const std::string text = inspector.masked(fields[i].text, v.findings, i);
    if (text != fields[i].text) {
      texts[next]->clearChildren();
      texts[next]->addText(text);
      forwardedMasked = true;
    }
    ++next;
  }
  forwardedMasked =
      forwardedMasked || std::any_of(v.findings.begin(), v.findings.end(), [](const auto& f) {
        return f.field == "forwarded-html" && f.action == security::ContentAction::kMask;
      });
  if (forwardedMasked) {
    for (core::Element* fm : inner) {
      fm->removeChildren("html", "http://jabber.org/protocol/xhtml-im");
    }
  }
  const bool htmlMasked = std::any_of(v.findings.begin(), v.findings.end(), [](const auto& f) {
    return f.field == "html" && f.action == security::ContentAction::kMask;
  });
  if (masked || htmlMasked) {
    // The formatted copy would still hold the clear text: clients fall back to the body.
    m.removeChildren("html", "http://jabber.org/protocol/xhtml-im");
  }
  m.removeChildren("justification", std::string(kNs));
  // Links the recipient should be warned about (clients may show a banner); a masked link is
  // not repeated in clear.
  for (const auto& f : v.findings) {
    if (f.type == "url" && f.action != security::ContentAction::kMask &&
        f.index < fields.size() && f.end <= fields[f.index].text.size()) {
      m.addChild("link-warning", std::string(kNs))
          .setAttr("url", fields[f.index].text.substr(f.begin, f.end - f.begin))
          .setAttr("rule", f.rule)
          .setAttr("reason", f.detail);
    }
  }
}

void ContentModule::refuse(const core::Element& message, core::ErrorType type,
                           std::string_view element, const std::string& rule,
                           const std::string& text) {
  core::Element reply = core::makeErrorReply(message, type, "policy-violation", text);
  if (core::Element* e = reply.child("error", core::kNsClient)) {
    e->addChild(std::string(element), std::string(kNs)).setAttr("rule", rule);
  }
  ctx_->router().route(std::move(reply));
}

void ContentModule::audit(security::ContentEvent event) {
  ctx_->runStorage([svc = service_, event = std::move(event)](storage::Storage&) {
    (void)svc->record(event);
  });
}

void ContentModule::hold(const core::Element& message, const security::ContentVerdict& v,
                         const std::string& sender) {
  storage::QuarantineItem item;
  item.tenant = ctx_->host();
  item.sender = sender;
  item.recipient = std::string(message.attrOr("to"));
  core::Element copy = message;
  copy.setAttr("from", sender);
  item.stanza = copy.str();
  item.rule = v.rule;
  item.findings = findingsJson(v);
  item.createdMs = core::nowMicros() / 1000;
  const std::string messageId(message.attrOr("id"));
  auto original = std::make_shared<core::Element>(message);
  ctx_->query<core::Result<std::int64_t>>(
      [svc = service_, item](storage::Storage&) { return svc->hold(item); },
      [this, sender, messageId, recipient = item.recipient, rule = item.rule,
       original](core::Result<std::int64_t> r) {
        if (!r.isOk()) {
          // Not held, so not sent: the sender must know.
          ctx_->router().route(core::makeErrorReply(*original, core::ErrorType::kWait,
                                                    "internal-server-error"));
          return;
        }
        core::Element held("held", std::string(kNs));
        held.setAttr("id", std::to_string(r.value())).setAttr("rule", rule);
        if (!messageId.empty()) {
          held.setAttr("message-id", messageId);
        }
        notice(sender,
               "Your message to " + recipient + " is held for review by the content policy "
               "(rule " + rule + ", reference " + std::to_string(r.value()) +
               "). It will be delivered if a reviewer approves it.",
               std::move(held));
      });
}

void ContentModule::notice(const std::string& to, const std::string& body, core::Element extra) {
  core::Element m = core::makeNotice(ctx_->host(), to, "Content policy", body);
  m.addChild(std::move(extra));
  ctx_->router().route(std::move(m));
}

void ContentModule::settle() {
  if (settling_.exchange(true)) {
    return;
  }
  const std::string host = ctx_->host();
  ctx_->query<core::Result<std::vector<storage::QuarantineItem>>>(
      [svc = service_, host](storage::Storage&) { return svc->unsettled(host); },
      [this](core::Result<std::vector<storage::QuarantineItem>> r) {
        if (!r.isOk() || r.value().empty()) {
          settling_ = false;
          return;
        }
        std::vector<std::int64_t> done;
        for (const auto& item : r.value()) {
          const std::string id = std::to_string(item.id);
          auto sender = core::Jid::parse(item.sender);
          const std::string senderBare = sender ? sender->bareStr() : item.sender;
          core::Element outcome(item.status, std::string(kNs));
          outcome.setAttr("id", id);
          if (item.status == "approved") {
            auto message = core::parseElement(item.stanza);
            if (message) {
              // Approval lifts the hold, not the masking rules.
              const auto fields = security::contentFieldsOf(*message);
              deliverable(*message, service_->inspector(), fields,
                          service_->inspector().inspect(ctx_->host(), fields));
              // Delivered now with its original time (XEP-0203).
              message->removeChildren("delay", std::string(kNsDelay));
              message->addChild("delay", std::string(kNsDelay))
                  .setAttr("from", ctx_->host())
                  .setAttr("stamp", stamp(item.createdMs))
                  .addText("Held for review");
              ctx_->router().route(std::move(*message));
            }
            notice(senderBare,
                   "Your message to " + item.recipient + " (reference " + id +
                       ") was approved by a reviewer and delivered.",
                   std::move(outcome));
          } else {
            outcome.setAttr("reason", item.reason);
            notice(senderBare,
                   "Your message to " + item.recipient + " (reference " + id +
                       ") was rejected by a reviewer and not delivered. Reason: " + item.reason,
                   std::move(outcome));
          }
          done.push_back(item.id);
        }
        ctx_->runStorage([this, svc = service_, done](storage::Storage&) {
          for (auto id : done) {
            (void)svc->settle(id);
          }
          settling_ = false;
        });
      });
}

void ContentModule::onReport(const core::Element& iq, core::Session* origin) {
  const core::Element* report = iq.child("report", kNs);
  if (origin == nullptr || report == nullptr) {
    ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request"));
    return;
  }
  char* end = nullptr;
  const std::string idText(report->attrOr("id"));
  const long long id = std::strtoll(idText.c_str(), &end, 10);
  const std::string text = report->text();
  if (idText.empty() || *end != 0 || id <= 0 || text.size() > kMaxJustification) {
    ctx_->router().route(core::makeErrorReply(iq, core::ErrorType::kModify, "bad-request",
                                              "report needs id='N' and at most 1000 bytes"));
    return;
  }
  const std::string bare = origin->jid().bareStr();
  auto request = std::make_shared<core::Element>(iq);
  ctx_->query<core::Status>(
      [svc = service_, id, bare, text](storage::Storage&) {
        return svc->report(id, bare, text.empty() ? std::string("false positive") : text);
      },
      [this, request](core::Status st) {
        if (st.isOk()) {
          ctx_->router().route(core::makeIqResult(*request));
        } else {
          ctx_->router().route(core::makeErrorReply(
              *request, core::ErrorType::kCancel,
              st.code() == core::Status::Code::kNotFound ? "item-not-found"
                                                       : "internal-server-error"));
        }
      });
}

}  // namespace rampart::modules::content
