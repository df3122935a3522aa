#pragma once
// The narrow interface between the XMPP core and feature modules. A module registers IQ
// handlers, event hooks and disco features during start(); the core records them and drops
// them when the module stops. Registration happens before network threads run; handlers are
// then called concurrently from any network thread and must guard their own state.

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rampart/core/element.h"
#include "rampart/core/jid.h"
#include "rampart/core/metrics.h"
#include "rampart/core/router.h"
#include "rampart/core/session.h"
#include "rampart/http/router.h"
#include "rampart/core/retention.h"
#include "rampart/storage/stores.h"

namespace rampart::security {
class AccountService;
class ContentService;
}  // namespace rampart::security

namespace rampart::core {

enum class IqType { kGet, kSet };

// Where an IQ is addressed: to the server domain, or to a user's own account (bare JID or
// no 'to', as for roster queries).
enum class IqScope { kHost, kAccount };

// What a hook sees. `origin` is the sending session when the stanza came from a local client
// on this call path, else null. Hooks return true when they consumed the stanza.
struct StanzaEvent {
  Element& stanza;
  Session* origin;
  // message/delivered only: the sessions the message was handed to.
  const std::vector<SessionPtr>* recipients = nullptr;
};
using Hook = std::function<bool(StanzaEvent&)>;
using IqHandler = std::function<void(const Element& iq, Session* origin)>;
// Takes every stanza addressed to a component's domain (after tenant isolation).
using ComponentHandler = std::function<void(Element& stanza, Session* origin)>;

// Named events fired by the core (see docs/modules.md).
namespace events {
// A local client's presence without 'to' (broadcast), before the core delivers it to the
// user's own resources.
inline constexpr std::string_view kPresenceBroadcast = "presence/broadcast";
// A local client's subscription request/answer (subscribe, subscribed, unsubscribe,
// unsubscribed) on its way out.
inline constexpr std::string_view kSubscriptionOut = "presence/subscription-out";
// A subscription stanza arriving for a local user.
inline constexpr std::string_view kSubscriptionIn = "presence/subscription-in";
// A presence probe arriving for a local user.
inline constexpr std::string_view kProbe = "presence/probe";
// A message for a local user that no available resource can take.
inline constexpr std::string_view kMessageOffline = "message/offline";
// A session sent unavailable presence or went away (stanza is the unavailable presence).
inline constexpr std::string_view kSessionUnavailable = "session/unavailable";
// Any stanza with a resolved recipient on a local host, before the routing rules; fired on
// the recipient's host and then on the sender's (when local and different). Consuming it
// drops the stanza (the hook sends any error). Used for policy such as blocking.
inline constexpr std::string_view kStanzaFilter = "stanza/filter";
// An IQ result or error addressed to the host: the answer to a request a module sent from the
// host's JID. Hooks consume the ones whose id they issued.
inline constexpr std::string_view kIqResponse = "iq/response";
// A local client sent a message (fired on the sender's host before routing; 'from' stamped).
// Consuming it stops routing.
inline constexpr std::string_view kMessageOut = "message/out";
// A message is about to be delivered to a local account (fired on the recipient's host,
// before the delivery rules). Hooks may add to the stanza; consuming it stops delivery.
inline constexpr std::string_view kMessageIn = "message/in";
// A message was handed to `recipients`, sessions of a local account. Read-only: other threads
// may be serializing the stanza already.
inline constexpr std::string_view kMessageDelivered = "message/delivered";
}  // namespace events

// What a host advertises through service discovery, filled by modules at start-up and read
// (never changed) while the server runs.
struct DiscoRegistry {
  struct Item {
    std::string jid;
    std::string name;
  };
  std::vector<std::string> hostFeatures;
  std::vector<std::string> accountFeatures;
  std::vector<Item> items;
  std::vector<Element> hostForms;  // XEP-0128 extended information of the host
};

class ModuleContext {
 public:
  virtual ~ModuleContext() = default;

  virtual const std::string& host() const = 0;

  virtual void addFeature(std::string_view var) = 0;
  // A disco#info feature of every account of this host (e.g. PEP, MAM).
  virtual void addAccountFeature(std::string_view var) = 0;
  // A disco#items entry of the host (a component such as the MUC service).
  virtual void addDiscoItem(std::string_view jid, std::string_view name) = 0;
  // A service on its own domain under this host (e.g. "conference.example.com" for group
  // chat): the router hands it every stanza addressed to that domain or its JIDs. Users of
  // this host reach it; other hosts' users only with cross_host_traffic.
  virtual void addComponent(std::string domain, ComponentHandler handler) = 0;
  // An XEP-0128 form in the host's disco#info (e.g. the upload size limit).
  virtual void addDiscoForm(Element form) = 0;
  // The HTTPS listener's routes (shared by every host; register paths under the host name).
  virtual http::Router& http() = 0;
  // The server's data directory (files a module keeps outside the database).
  virtual const std::string& dataDir() const = 0;
  // The base URL clients use for the HTTPS listener, e.g. "https://example.com:5281" (known
  // once listeners are bound; read it when handling requests, not at start()).
  virtual std::string httpsBaseUrl() const = 0;
  // Account security for protocol modules (password changes under the tenant's policy); null
  // when the server runs without it. Its methods run on the storage thread only.
  virtual security::AccountService* accountService() = 0;
  // Content security (DLP, quarantine, E2EE policy) for the message path; null when the server
  // runs without it. See rampart/security/content_service.h for which methods run where.
  virtual security::ContentService* contentService() = 0;
  // A per-session flag bit shared by name across modules and hosts (at most 32 names).
  virtual unsigned sessionFlag(std::string_view name) = 0;
  virtual void onIq(IqScope scope, IqType type, std::string_view ns, IqHandler handler) = 0;
  virtual void hook(std::string_view event, int priority, Hook hook) = 0;
  // For stanzas a module hands to sessions itself (not through the router): true when this
  // host's policy filters (stanza/filter: blocking, ...) drop it.
  virtual bool filtered(Element& stanza) = 0;

  virtual Router& router() = 0;
  virtual Metrics& metrics() = 0;

  // Option lookup from the module's config table; out-of-range values fail start-up.
  virtual bool optionBool(std::string_view name, bool fallback) const = 0;
  virtual std::int64_t optionInt(std::string_view name, std::int64_t fallback, std::int64_t min,
                                 std::int64_t max) const = 0;
  virtual std::string optionString(std::string_view name, std::string_view fallback) const = 0;

  // Registers how this module deletes expired `kind` data kept at `where` (the host, or a
  // service domain of it); the retention scheduler decides when and what has expired
  // (rampart/core/retention.h). The purger runs on the storage thread.
  virtual void addRetention(DataKind kind, std::string where, Purger purger) = 0;
  // Registers how to list the files this module keeps at rest, so that the re-encryption after
  // a key rotation seals them again too (storage/encrypted/reencryption.h).
  virtual void addKeptFiles(storage::KeptFiles lister) = 0;
  // Data residency: whether personal data of `subject` (an account of this host) may be sent to
  // `destination` (a JID) for `purpose` (e.g. "push"). Within the subject's region: yes.
  // Elsewhere (another region, or outside this server): as [residency] cross_region says, and
  // audited either way (data.transfer). Any thread.
  virtual bool allowTransfer(std::string_view purpose, const std::string& subject,
                             const std::string& destination) = 0;
  // Runs `fn` on a network thread every `interval` until the module stops (housekeeping).
  virtual void every(std::chrono::seconds interval, std::function<void()> fn) = 0;

  // Runs `work` on the storage pool (never on a network thread).
  virtual void runStorage(std::function<void(storage::Storage&)> work) = 0;
  // Runs `work` on the storage pool after `delay` (for writes that gather into batches).
  virtual void runStorageAfter(std::chrono::milliseconds delay,
                               std::function<void(storage::Storage&)> work) = 0;
  // Start-up only: `hook` writes what the module gathered for a group commit; it runs on the
  // storage thread whenever the core needs everything handed to storage to be durable (before
  // acknowledging stanzas with XEP-0198).
  virtual void addStorageSyncHook(std::function<void(storage::Storage&)> hook) = 0;
  // Returns a function that posts a callback back to the calling network thread.
  virtual std::function<void(std::function<void()>)> currentThreadPoster() = 0;

  // Start-up only (inside Module::start, before any network thread serves): runs `work` on
  // the storage pool and waits for its result.
  template <typename R>
  R queryNow(std::function<R(storage::Storage&)> work) {
    std::promise<R> done;
    auto result = done.get_future();
    runStorage([&done, &work](storage::Storage& s) { done.set_value(work(s)); });
    return result.get();
  }

  // Storage work whose result comes back to the calling thread.
  template <typename R>
  void query(std::function<R(storage::Storage&)> work, std::function<void(R)> done) {
    auto back = currentThreadPoster();
    runStorage([work = std::move(work), done = std::move(done),
                back = std::move(back)](storage::Storage& s) mutable {
      auto r = std::make_shared<R>(work(s));
      back([done = std::move(done), r]() mutable { done(std::move(*r)); });
    });
  }
};

class Module {
 public:
  virtual ~Module() = default;
  // Registers everything through ctx; ctx outlives the module.
  virtual void start(ModuleContext& ctx) = 0;
  virtual void stop() {}
  // Stored data was rewritten behind the module's back (an account erased: its messages in
  // archives became tombstones): copies the module keeps in memory are refreshed. Any thread.
  virtual void storedDataChanged() {}
};

}  // namespace rampart::core
