#pragma once
// Stanza routing between sessions and modules (RFC 6120 section 10, RFC 6121 section 8).
// All methods are thread-safe and never block on I/O.

#include <functional>
#include <vector>

#include "rampart/core/element.h"
#include "rampart/core/jid.h"
#include "rampart/core/session.h"

namespace rampart::core {

class Router {
 public:
  virtual ~Router() = default;

  // Routes a stanza whose 'from' is already trusted (stamped by the core or a module).
  virtual void route(Element stanza) = 0;

  // Delivers directly to one session's client, bypassing routing rules.
  virtual void deliverTo(const Jid& fullJid, ElementPtr stanza) = 0;
  // The same for a stanza shared by many recipients (see Session::deliverStamped); false when
  // no session has that JID.
  virtual bool deliverStamped(const Jid& fullJid, const ElementPtr& stanza) = 0;

  // A message a session took but could not hand over (XEP-0198: unacknowledged when the
  // session ended): delivered to the account's other available resources, else stored
  // offline, without running the incoming hooks (archive, carbons) a second time. `except`:
  // a session that must not take it (the one giving it up).
  virtual void redeliver(Element stanza, const Session* except = nullptr) = 0;

  // Snapshot of the sessions bound for a bare JID.
  virtual std::vector<SessionPtr> sessionsOf(const Jid& bare) const = 0;

  // True when `domain` is one of this server's virtual hosts.
  virtual bool isLocalHost(std::string_view domain) const = 0;
};

}  // namespace rampart::core
