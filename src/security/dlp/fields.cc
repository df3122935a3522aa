#include "rampart/security/content_fields.h"

namespace rampart::security {
namespace {
constexpr std::string_view kNsOob = "jabber:x:oob";
constexpr std::string_view kNsForward = "urn:xmpp:forward:0";

bool isFileName(const core::Element& e) {
  return e.name() == "name" && (e.ns() == "urn:xmpp:file:metadata:0" ||
                                e.ns() == "urn:xmpp:jingle:apps:file-transfer:5");
}

// File names and URLs anywhere below an element (file sharing nests them a few levels deep).
void collect(const core::Element& e, std::vector<ContentField>& out, int depth) {
  if (depth > 6) {
    return;
  }
  for (const core::Element* c : e.childElements()) {
    if (isFileName(*c)) {
      out.push_back({"file", c->text()});
    } else if (c->name() == "url-data" && c->attr("target")) {
      out.push_back({"url", std::string(c->attrOr("target"))});
    } else if (c->is("url", kNsOob)) {
      out.push_back({"url", c->text()});
    } else if (c->is("reference", "urn:xmpp:reference:0") && c->attr("uri")) {
      out.push_back({"url", std::string(c->attrOr("uri"))});
      collect(*c, out, depth + 1);
    } else if (c->ns() != core::kNsClient && c->ns() != "http://jabber.org/protocol/xhtml-im") {
      collect(*c, out, depth + 1);
    }
  }
}

// Link targets in the XHTML-IM copy (<a href>, <img src>), which the text does not show.
void htmlLinks(const core::Element& e, std::vector<ContentField>& out, int depth) {
  if (depth > 16 || out.size() > 64) {
    return;
  }
  for (const core::Element* c : e.childElements()) {
    for (const char* attr : {"href", "src"}) {
      if (auto v = c->attr(attr)) {
        out.push_back({"url", std::string(*v)});
      }
    }
    htmlLinks(*c, out, depth + 1);
  }
}

}  // namespace

std::vector<ContentField> contentFieldsOf(const core::Element& message) {
  std::vector<ContentField> out;
  for (const core::Element* c : message.childElements()) {
    if (c->is("body", core::kNsClient)) {
      out.push_back({"body", c->text()});
    }
  }
  for (const core::Element* c : message.childElements()) {
    if (c->is("subject", core::kNsClient)) {
      out.push_back({"subject", c->text()});
    }
  }
  // The XHTML-IM copy of the body (XEP-0071): its text, so that it cannot carry what the
  // plain body may not.
  const core::Element* html = message.child("html", "http://jabber.org/protocol/xhtml-im");
  if (html != nullptr) {
    out.push_back({"html", html->deepText(65536)});
  }
  collect(message, out, 0);
  if (html != nullptr) {
    htmlLinks(*html, out, 0);
  }
  // Messages forwarded inside this one (XEP-0297), nested ones too: their texts, then their
  // links and files.
  for (const core::Element* inner : forwardedMessages(message)) {
    for (const core::Element* c : inner->childElements()) {
      if (c->name() == "body" || c->name() == "subject") {
        out.push_back({"forwarded", c->text()});
      }
    }
    if (const core::Element* h = inner->child("html", "http://jabber.org/protocol/xhtml-im")) {
      out.push_back({"forwarded-html", h->deepText(65536)});
      htmlLinks(*h, out, 0);
    }
    collect(*inner, out, 1);
  }
  return out;
}

namespace {

template <typename E>
void forwardedIn(E& message, std::vector<E*>& out, int depth) {
  if (depth > 16) {
    return;
  }
  for (E* fwd : message.childElements()) {
    if (fwd->name() != "forwarded") {
      continue;
    }
    // Whatever the namespaces: a client that shows a forwarded message reads it by its name.
    for (E* inner : fwd->childElements()) {
      if (inner->name() == "message") {
        out.push_back(inner);
        forwardedIn(*inner, out, depth + 1);
      }
    }
  }
}

}  // namespace

std::vector<const core::Element*> forwardedMessages(const core::Element& message) {
  std::vector<const core::Element*> out;
  forwardedIn(message, out, 0);
  return out;
}

std::vector<core::Element*> forwardedMessages(core::Element& message) {
  std::vector<core::Element*> out;
  forwardedIn(message, out, 0);
  return out;
}

namespace {

// Elements with text of their own below `e` (a vCard's fields), in document order, also those
// that have child elements besides their text. False when there are too many to read.
bool textElements(core::Element& e, std::vector<core::Element*>& out, int depth) {
  if (depth > 16) {
    return false;
  }
  for (core::Element* c : e.childElements()) {
    if (!c->text().empty()) {
      if (out.size() >= 512) {
        return false;
      }
      out.push_back(c);
    }
    if (!textElements(*c, out, depth + 1)) {
      return false;
    }
  }
  return true;
}

}  // namespace

ProfileText profileTextOf(core::Element& iq) {
  ProfileText out;
  if (iq.name() != "iq" || iq.attrOr("type") != "set") {
    return out;
  }
  if (core::Element* vcard = iq.child("vCard", "vcard-temp")) {
    out.kind = "vcard";
    out.complete = textElements(*vcard, out.elements, 0);
  } else if (core::Element* ps = iq.child("pubsub", "http://jabber.org/protocol/pubsub")) {
    // XEP-0292: the vCard4 is a PEP item.
    core::Element* pub = ps->child("publish", "http://jabber.org/protocol/pubsub");
    if (pub != nullptr && pub->attrOr("node") == "urn:xmpp:vcard4") {
      out.kind = "vcard";
      out.complete = textElements(*pub, out.elements, 0);
    }
  } else if (core::Element* q = iq.child("query", "http://jabber.org/protocol/muc#owner")) {
    // XEP-0045 §10.2: the room's name and description, as the configuration form submits them.
    core::Element* form = q->child("x", "jabber:x:data");
    if (form != nullptr && form->attrOr("type") == "submit") {
      out.kind = "room";
      for (core::Element* f : form->childElements()) {
        const auto var = f->attrOr("var");
        if (f->name() != "field" ||
            (var != "muc#roomconfig_roomname" && var != "muc#roomconfig_roomdesc")) {
          continue;
        }
        for (core::Element* v : f->childElements()) {
          if (v->name() == "value" && !v->text().empty()) {
            out.elements.push_back(v);
          }
        }
      }
    }
  }
  return out;
}

bool endToEndEncrypted(const core::Element& m) {
  return m.child("encrypted", "eu.siacs.conversations.axolotl") != nullptr ||
         m.child("encrypted", "urn:xmpp:omemo:2") != nullptr ||
         m.child("openpgp", "urn:xmpp:openpgp:0") != nullptr ||
         m.child("x", "jabber:x:encrypted") != nullptr;
}

}  // namespace rampart::security
