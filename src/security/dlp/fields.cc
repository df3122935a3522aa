#include "rampart/security/content_fields.h"

namespace rampart::security {
namespace {
constexpr std::string_view kNsOob = "jabber:x:oob";

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
  return out;
}

bool endToEndEncrypted(const core::Element& m) {
  return m.child("encrypted", "eu.siacs.conversations.axolotl") != nullptr ||
         m.child("encrypted", "urn:xmpp:omemo:2") != nullptr ||
         m.child("openpgp", "urn:xmpp:openpgp:0") != nullptr ||
         m.child("x", "jabber:x:encrypted") != nullptr;
}

}  // namespace rampart::security
