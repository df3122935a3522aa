// The subscription state machine, free of I/O so it can be tested exhaustively.
#include "modules/rfc6121_im/im.h"

namespace rampart::modules::im {

std::string_view subscriptionName(Subscription s) {
  switch (s) {
    case Subscription::kNone: return "none";
    case Subscription::kTo: return "to";
    case Subscription::kFrom: return "from";
    case Subscription::kBoth: return "both";
    case Subscription::kRemove: return "remove";
  }
  return "none";
}

namespace {
bool hasTo(Subscription s) { return s == Subscription::kTo || s == Subscription::kBoth; }
bool hasFrom(Subscription s) { return s == Subscription::kFrom || s == Subscription::kBoth; }
Subscription make(bool to, bool from) {
  return to ? (from ? Subscription::kBoth : Subscription::kTo)
            : (from ? Subscription::kFrom : Subscription::kNone);
}
}  // namespace

Transition applySubscription(std::optional<RosterItem>& item, std::string_view contact,
                             std::string_view type, bool outbound) {
  Transition t;
  if (!item) {
    if ((outbound && type != "subscribe") || (!outbound && type != "subscribe")) {
      // Nothing to change; an unsolicited answer is not delivered (RFC 6121 3.1.6, 3.2.3).
      t.deliver = outbound && (type == "unsubscribe" || type == "unsubscribed");
      return t;
    }
    item = RosterItem{};
    item->jid.assign(contact);
    item->inRoster = outbound;
  }
  RosterItem& it = *item;
  const RosterItem before = it;
  bool to = hasTo(it.subscription);
  bool from = hasFrom(it.subscription);
  if (outbound) {
    if (type == "subscribe") {
      it.inRoster = true;
      if (!to) {
        it.askOut = true;
      }
      t.deliver = true;  // routed even when already subscribed; the contact's server decides
    } else if (type == "subscribed") {
      if (it.pendingIn && !from) {
        from = true;
        it.pendingIn = false;
        it.inRoster = true;  // approving adds the contact (RFC 6121 section 3.1.5)
        t.deliver = true;
      }
      // Pre-approval (RFC 6121 3.4) is not offered: without a pending request it is dropped.
    } else if (type == "unsubscribe") {
      to = false;
      it.askOut = false;
      t.deliver = true;
    } else if (type == "unsubscribed") {
      from = false;
      it.pendingIn = false;
      t.deliver = true;
    }
  } else {
    if (type == "subscribe") {
      if (from) {
        t.autoReply = true;  // already approved: answer for the user (RFC 6121 3.1.3)
      } else if (!it.pendingIn) {
        it.pendingIn = true;
        t.deliver = true;
      } else {
        t.deliver = true;  // a repeated request is shown again, state unchanged
      }
    } else if (type == "subscribed") {
      if (!to && it.askOut) {
        to = true;
        it.askOut = false;
        t.deliver = true;
      }
    } else if (type == "unsubscribe") {
      if (from || it.pendingIn) {
        from = false;
        it.pendingIn = false;
        t.deliver = true;
      }
    } else if (type == "unsubscribed") {
      if (to || it.askOut) {
        to = false;
        it.askOut = false;
        t.deliver = true;
      }
    }
  }
  it.subscription = make(to, from);
  t.changed = it.subscription != before.subscription || it.askOut != before.askOut ||
              it.pendingIn != before.pendingIn || it.inRoster != before.inRoster;
  return t;
}

}  // namespace rampart::modules::im
