#include <chrono>
#include <cstdlib>
#include <ctime>

#include "modules/offline/offline.h"
#include "rampart/core/stanza.h"

namespace rampart::modules::offline {
namespace {
constexpr std::string_view kNsDelay = "urn:xmpp:delay";
constexpr std::size_t kBatch = 500;

std::string utcStamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

void OfflineModule::start(core::ModuleContext& ctx) {
  ctx_ = &ctx;
  quota_ = ctx.optionInt("max_messages_per_user", 10000, 0, 10'000'000);
  ctx.addFeature("msgoffline");
  ctx.hook(core::events::kMessageOffline, 0,
           [this](core::StanzaEvent& ev) { return onMessage(ev); });
  // After archiving (priority 50), before delivery.
  ctx.hook(core::events::kMessageIn, 0, [this](core::StanzaEvent& ev) { return onIncoming(ev); });
  // After the presence module (priority 0) has broadcast the initial presence.
  ctx.hook(core::events::kPresenceBroadcast, -10,
           [this](core::StanzaEvent& ev) { return onPresence(ev); });
}

bool OfflineModule::onMessage(core::StanzaEvent& ev) {
  core::Element msg = ev.stanza;
  auto to = core::Jid::parse(msg.attrOr("to"));
  if (!to) {
    return false;
  }
  // Only messages with content worth keeping (XEP-0160): a body, or anything but bare
  // chat-state notifications.
  if (msg.childElements().empty()) {
    return true;
  }
  msg.removeChildren("delay", std::string(kNsDelay));
  msg.addChild("delay", std::string(kNsDelay))
      .setAttr("from", ctx_->host())
      .setAttr("stamp", utcStamp())
      .addText("Offline Storage");
  std::string xml = msg.str();
  const core::Jid user = to->bare();
  const std::int64_t quota = quota_;
  auto original = std::make_shared<core::Element>(ev.stanza);
  ctx_->query<std::string>(
      [user, xml = std::move(xml), quota](storage::Storage& s) -> std::string {
        auto ex = s.accounts().exists(user.domain(), user.local());
        if (!ex.isOk()) {
          return "internal-server-error";
        }
        if (!ex.value()) {
          return "service-unavailable";
        }
        auto n = s.offline().count(user.domain(), user.local());
        if (n.isOk() && static_cast<std::int64_t>(n.value()) >= quota) {
          return "resource-constraint";
        }
        return s.offline().push(user.domain(), user.local(), xml).isOk()
                   ? std::string()
                   : std::string("internal-server-error");
      },
      [this, original, user](std::string condition) {
        if (condition.empty()) {
          // Stored. The account may have become available while this message was on its way
          // to storage, after its initial presence fetched the queue: deliver it now.
          for (const auto& s : ctx_->router().sessionsOf(user)) {
            // Only a resource that takes bare-JID messages (RFC 6121 section 8.5.2.1.1).
            if (s->available() && s->priority() >= 0 && !s->detached()) {
              deliverBatch(s->jid());
              break;
            }
          }
          return;
        }
        if (original->attrOr("type") != "error") {
          ctx_->router().route(core::makeErrorReply(*original, core::defaultErrorType(condition),
                                                    condition));
        }
      });
  return true;
}

bool OfflineModule::onIncoming(core::StanzaEvent& ev) {
  const std::string_view type = ev.stanza.attrOr("type", "normal");
  auto to = core::Jid::parse(ev.stanza.attrOr("to"));
  if ((type != "chat" && type != "normal") || !to) {
    return false;
  }
  const auto sessions = ctx_->router().sessionsOf(to->bare());
  if (sessions.empty()) {
    return false;  // the router stores it
  }
  bool anyAvailable = false;
  bool bound = false;
  for (const auto& s : sessions) {
    anyAvailable = anyAvailable || s->available();
    bound = bound || (!s->detached() && (to->isBare() || s->jid() == *to));
  }
  if (!anyAvailable) {
    if (to->isFull() && bound) {
      return false;  // addressed to that very resource: the router hands it over
    }
    // A resource that is bound but not yet available may send its initial presence, and so
    // start the delivery of stored messages and become available, between this check and the
    // router's decision; stored now, the message keeps its place behind the stored ones and
    // the store's completion delivers it if the account became available meanwhile.
    return bound ? onMessage(ev) : false;
  }
  // Some resource is available: its initial presence registered any delivery of stored
  // messages before it became available, so the counter read now is current. Almost always
  // none is running: no lock (and no work) on the message path then.
  if (deliveries_.load() == 0) {
    return false;
  }
  std::string full;
  {
    std::lock_guard lock(mu_);
    auto it = inFlight_.find(to->bareStr());
    if (it == inFlight_.end()) {
      return false;
    }
    full = it->second.full;
  }
  if (to->isFull() && to->str() != full) {
    return false;
  }
  // Only while that session is the account's one available resource; otherwise the usual
  // delivery rules (and carbons) apply.
  for (const auto& s : sessions) {
    if (s->available() && s->jid().str() != full) {
      return false;
    }
  }
  {
    // The running delivery takes it after the messages stored before it.
    std::lock_guard lock(mu_);
    auto it = inFlight_.find(to->bareStr());
    if (it == inFlight_.end()) {
      return false;  // just finished: the usual delivery keeps the order
    }
    it->second.again = true;
  }
  return onMessage(ev);
}

bool OfflineModule::onPresence(core::StanzaEvent& ev) {
  const bool initial = ev.origin != nullptr && !ev.origin->available() &&
                       ev.stanza.attrOr("type").empty();
  // A negative priority means "never send me messages for my bare JID" (RFC 6121 4.7.2.3).
  const bool takesBare =
      std::atoi(ev.stanza.childText("priority", core::kNsClient).c_str()) >= 0;
  if (initial && takesBare) {
    deliverBatch(ev.origin->jid());
  }
  return false;
}

void OfflineModule::finishBatch(const core::Jid& full) {
  const std::string key = full.bareStr();
  {
    std::lock_guard lock(mu_);
    auto it = inFlight_.find(key);
    if (it == inFlight_.end()) {
      return;
    }
    if (!it->second.again) {
      inFlight_.erase(it);
      deliveries_.fetch_sub(1);
      return;
    }
    // Still this delivery (no gap in which a live message could overtake): once more.
    it->second.again = false;
  }
  fetchBatch(full);
}

void OfflineModule::deliverBatch(const core::Jid& full) {
  const core::Jid user = full.bare();
  {
    // One fetch-deliver-remove cycle per account at a time, or a message could be delivered
    // twice; a request during one makes it run again afterwards.
    std::lock_guard lock(mu_);
    auto [it, inserted] = inFlight_.try_emplace(user.str(), Delivery{false, full.str()});
    if (!inserted) {
      it->second.again = true;
      return;
    }
    deliveries_.fetch_add(1);
  }
  fetchBatch(full);
}

void OfflineModule::fetchBatch(const core::Jid& full) {
  const core::Jid user = full.bare();
  ctx_->query<core::Result<std::vector<storage::OfflineMessage>>>(
      [user](storage::Storage& s) { return s.offline().fetch(user.domain(), user.local(), kBatch); },
      [this, full, user](core::Result<std::vector<storage::OfflineMessage>> r) {
        if (!r.isOk() || r.value().empty()) {
          finishBatch(full);
          return;
        }
        core::Router& router = ctx_->router();
        // Only remove what reached a live session; otherwise it stays for the next login.
        bool live = false;
        for (const auto& s : router.sessionsOf(user)) {
          live = live || s->jid() == full;
        }
        if (!live) {
          finishBatch(full);
          return;
        }
        std::int64_t last = 0;
        for (const auto& m : r.value()) {
          auto el = core::parseElement(m.stanza);
          if (el) {
            el->setAttr("to", full.str());
            router.deliverTo(full, std::make_shared<const core::Element>(std::move(*el)));
          }
          last = m.id;
        }
        const bool more = r.value().size() == kBatch;
        ctx_->query<bool>(
            [user, last](storage::Storage& s) {
              return s.offline().removeUpTo(user.domain(), user.local(), last).isOk();
            },
            [this, full, more](bool ok) {
              if (ok && more) {
                // The next batch: still this delivery (marked to run again).
                std::lock_guard lock(mu_);
                inFlight_[full.bareStr()].again = true;
              }
              finishBatch(full);
            });
      });
}

}  // namespace rampart::modules::offline
