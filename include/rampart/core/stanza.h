#pragma once
// Helpers for the three stanza kinds (RFC 6120 section 8) and their errors (section 8.3).
// Stateless functions; safe from any thread.

#include <string>
#include <string_view>

#include "rampart/core/element.h"
#include "rampart/core/jid.h"

namespace rampart::core {

enum class ErrorType { kAuth, kCancel, kContinue, kModify, kWait };

// Builds the error reply to `stanza`: to/from swapped, type='error', the original payload
// kept for messages and presence (RFC 6120 section 8.3.1), and <error/> appended.
Element makeErrorReply(const Element& stanza, ErrorType type, std::string_view condition,
                       std::string_view text = {});

// Default error type for a defined condition (RFC 6120 section 8.3.3).
ErrorType defaultErrorType(std::string_view condition);

// A notice from the server to a person: <message type='normal'/> with a fresh id, a subject
// and a body (security notices, content-policy outcomes, alerts).
Element makeNotice(std::string_view from, std::string_view to, std::string_view subject,
                   std::string_view body);

// Builds <iq type='result'/> answering `iq`.
Element makeIqResult(const Element& iq);

bool isStanza(const Element& e);  // message, presence or iq in jabber:client

// True when a request is about the sender's own account: no 'to', or 'to' is the sender's
// bare JID (RFC 6120 section 10.3.3).
bool isOwnAccountRequest(const Element& stanza);

}  // namespace rampart::core
