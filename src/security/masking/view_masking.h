#pragma once
// Masking where personal data leaves through the administration plane: admin API and console
// views (accounts, sessions, devices, sign-in records, locks, the audit log, alerts), the audit
// log's export, and alerts sent to webhooks and XMPP. One policy per request: client addresses
// partly masked unless the caller's role needs them (`address.read`), other personal data in
// free text masked unless a role that may (`personal.reveal`) asked for the clear values, which
// is audited per use by the caller. Stateless; thread-safe.

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security::masking {

struct ViewPolicy {
  bool addresses = true;  // mask client IP addresses
  bool personal = true;   // mask numbers, e-mail addresses and the like in free text
  // This server's domains (any letter case): account JIDs in them are identifiers, never masked.
  std::vector<std::string> accountDomains;

  bool masksNothing() const { return !addresses && !personal; }
};

// One free-text value.
std::string maskText(std::string_view text, const ViewPolicy& policy);

// Every string of a JSON document, in place. Fields holding a client address ("source",
// "address", "last_address", "peer") are masked as addresses; identifiers (ids, times, hashes,
// rule and action names) are left alone; fields naming an account ("jid", "account", "actor",
// ...) keep an account of this server whole and mask anything else in them (a resource, a
// name typed into a sign-in form); other strings as free text. True when something changed.
bool maskJson(boost::json::value& doc, const ViewPolicy& policy);

// A JSON document to mask: `body` parsed leniently (invalid UTF-8 allowed). nullopt when it is
// no JSON at all, which the caller must not pass on unmasked.
std::optional<boost::json::value> parseForMasking(std::string_view body);

// JSON Lines (the audit export): a line with nothing to mask stays byte for byte as it was
// (so it still matches its Merkle leaf); a masked line is re-written with "masked": true.
std::string maskJsonLines(std::string_view lines, const ViewPolicy& policy);

}  // namespace rampart::security::masking
