#pragma once
// What of a message content security can read: its bodies, subject, the XHTML-IM copy, the
// URLs and file names it carries (XEP-0066 OOB, XEP-0447 stateless file sharing, XEP-0385
// SIMS), and then the bodies, URLs and file names of messages forwarded inside it (XEP-0297),
// in that order; whether it is end-to-end encrypted (nothing to read); and the text a client
// sets in its profile (vCards) or a room's configuration. Pure functions.

#include <vector>

#include "rampart/core/element.h"
#include "rampart/security/content_inspector.h"

namespace rampart::security {

std::vector<ContentField> contentFieldsOf(const core::Element& message);
// Messages forwarded inside `message` (<forwarded><message/></forwarded>, XEP-0297), nested
// ones after the one that holds them, in document order: their <body/> and <subject/> elements
// are the "forwarded" fields, in that order, and their XHTML-IM copies "forwarded-html".
std::vector<const core::Element*> forwardedMessages(const core::Element& message);
std::vector<core::Element*> forwardedMessages(core::Element& message);

// Text a client stores for others to see: the fields of a vCard it sets (XEP-0054 vcard-temp,
// or a XEP-0292 vCard4 it publishes), or the name and description of a room it configures
// (XEP-0045 owner form). `kind` is "vcard" or "room", empty when the stanza sets neither.
struct ProfileText {
  std::string kind;
  std::vector<core::Element*> elements;  // each with text of its own, in document order
  bool complete = true;  // false: too many or too deeply nested to read (refuse it)
};
ProfileText profileTextOf(core::Element& iq);
// OMEMO (both namespaces), OpenPGP for XMPP (XEP-0373) or legacy OpenPGP (XEP-0027).
bool endToEndEncrypted(const core::Element& message);

}  // namespace rampart::security
