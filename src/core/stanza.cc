#include "rampart/core/stanza.h"

#include "rampart/core/random.h"

namespace rampart::core {
namespace {

std::string_view typeName(ErrorType t) {
  switch (t) {
    case ErrorType::kAuth: return "auth";
    case ErrorType::kCancel: return "cancel";
    case ErrorType::kContinue: return "continue";
    case ErrorType::kModify: return "modify";
    case ErrorType::kWait: return "wait";
  }
  return "cancel";
}

}  // namespace

ErrorType defaultErrorType(std::string_view c) {
  if (c == "bad-request" || c == "jid-malformed" || c == "not-acceptable" || c == "gone" ||
      c == "redirect" || c == "policy-violation") {
    return ErrorType::kModify;
  }
  if (c == "forbidden" || c == "not-authorized" || c == "registration-required" ||
      c == "subscription-required") {
    return ErrorType::kAuth;
  }
  if (c == "internal-server-error" || c == "recipient-unavailable" ||
      c == "remote-server-timeout" || c == "resource-constraint" ||
      c == "unexpected-request") {
    return ErrorType::kWait;
  }
  return ErrorType::kCancel;
}

Element makeErrorReply(const Element& stanza, ErrorType type, std::string_view condition,
                       std::string_view text) {
  Element reply(stanza.name(), std::string(kNsClient));
  if (stanza.name() != "iq") {
    reply = stanza;
    reply.removeChildren("error", std::string(kNsClient));
  } else if (const Element* payload = stanza.firstChild()) {
    // Echoing the request payload is optional for IQ; keep only its wrapper so a
    // large request is not reflected back at full size.
    reply.addChild(Element(payload->name(), payload->ns()));
  }
  for (auto& a : stanza.attrs()) {
    if (a.name == "id" || a.name == "xml:lang") {
      reply.setAttr(a.name, a.value);
    }
  }
  reply.removeAttr("to");
  reply.removeAttr("from");
  if (auto from = stanza.attr("from")) {
    reply.setAttr("to", *from);
  }
  if (auto to = stanza.attr("to")) {
    reply.setAttr("from", *to);
  }
  reply.setAttr("type", "error");
  Element& err = reply.addChild("error", std::string(kNsClient));
  err.setAttr("type", typeName(type));
  err.addChild(std::string(condition), std::string(kNsStanzas));
  if (!text.empty()) {
    Element& t = err.addChild("text", std::string(kNsStanzas));
    t.setAttr("xml:lang", "en");
    t.addText(text);
  }
  return reply;
}

Element makeNotice(std::string_view from, std::string_view to, std::string_view subject,
                   std::string_view body) {
  Element m("message", std::string(kNsClient));
  m.setAttr("from", from).setAttr("to", to).setAttr("type", "normal");
  m.setAttr("id", randomToken(9));
  m.addChild("subject", std::string(kNsClient)).addText(subject);
  m.addChild("body", std::string(kNsClient)).addText(body);
  return m;
}

Element makeIqResult(const Element& iq) {
  Element r("iq", std::string(kNsClient));
  r.setAttr("type", "result");
  if (auto id = iq.attr("id")) {
    r.setAttr("id", *id);
  }
  if (auto from = iq.attr("from")) {
    r.setAttr("to", *from);
  }
  if (auto to = iq.attr("to")) {
    r.setAttr("from", *to);
  }
  return r;
}

bool isOwnAccountRequest(const Element& stanza) {
  auto from = Jid::parse(stanza.attrOr("from"));
  if (!from) {
    return false;
  }
  auto to = stanza.attr("to");
  if (!to) {
    return true;
  }
  auto target = Jid::parse(*to);
  return target && target->isBare() && target->bare() == from->bare();
}

bool isStanza(const Element& e) {
  return e.ns() == kNsClient &&
         (e.name() == "message" || e.name() == "presence" || e.name() == "iq");
}

}  // namespace rampart::core
