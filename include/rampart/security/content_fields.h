#pragma once
// What of a message content security can read: its bodies, subject, and the URLs and file
// names it carries (XEP-0066 OOB, XEP-0447 stateless file sharing, XEP-0385 SIMS), in that
// order; and whether it is end-to-end encrypted (nothing to read). Pure functions.

#include <vector>

#include "rampart/core/element.h"
#include "rampart/security/content_inspector.h"

namespace rampart::security {

std::vector<ContentField> contentFieldsOf(const core::Element& message);
// OMEMO (both namespaces), OpenPGP for XMPP (XEP-0373) or legacy OpenPGP (XEP-0027).
bool endToEndEncrypted(const core::Element& message);

}  // namespace rampart::security
