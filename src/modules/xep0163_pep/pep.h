#pragma once
// XEP-0163 Personal Eventing Protocol: a publish-subscribe service on every account (the
// XEP-0060 subset clients use for OMEMO device lists and bundles, avatars, bookmarks),
// with notifications driven by XEP-0115 entity capabilities ("+notify"). Nodes and items are
// stored per account; caps are held in memory. Thread-safe (one mutex for the caps tables).
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "rampart/core/module_context.h"

namespace rampart::modules::pep {
inline constexpr std::string_view kNsPubsub = "http://jabber.org/protocol/pubsub";
inline constexpr std::string_view kNsOwner = "http://jabber.org/protocol/pubsub#owner";
inline constexpr std::string_view kNsEvent = "http://jabber.org/protocol/pubsub#event";
inline constexpr std::string_view kNsErrors = "http://jabber.org/protocol/pubsub#errors";

// One node of one account.
struct Node {
  struct Item {
    std::string id;
    std::string payload;  // serialized payload element
  };
  std::string access = "presence";  // open, presence, roster, whitelist
  std::size_t maxItems = 1;
  std::vector<Item> items;  // oldest first
};
std::string serializeNode(const Node& node);
std::optional<Node> parseNode(std::string_view xml);

class PepModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

  struct Limits {
    std::size_t maxNodes = 256;
    std::size_t maxItems = 256;
    std::size_t maxItemBytes = 262144;
  };

 private:
  void handlePubsub(const core::Element& iq, bool set);
  void handleOwner(const core::Element& iq, bool set);
  void publish(const core::Element& iq, const core::Element& publish,
               const core::Element* options);
  void retract(const core::Element& iq, const core::Element& retract);
  void items(const core::Element& iq, const core::Element& items);
  bool onPresence(core::StanzaEvent& ev);
  bool onIqResponse(core::StanzaEvent& ev);
  void setSessionNotify(const std::string& full, std::shared_ptr<const std::set<std::string>> n,
                        bool initial);
  void sendLastItems(const core::Jid& full);
  // Sends <event/> with `payload` about owner's `node` to the owner's and the subscribers'
  // sessions that want notifications for it.
  void notify(const core::Jid& owner, const std::string& node, const std::string& access,
              const core::Element& payload, const std::vector<std::string>& subscribers);
  bool wants(const std::string& full, const std::string& node) const;
  void fail(const core::Element& iq, std::string_view condition,
            std::string_view pubsubCondition = {}, std::string_view text = {});

  core::ModuleContext* ctx_ = nullptr;
  Limits limits_;
  mutable std::mutex mu_;
  // Verified caps: ver -> nodes with +notify.
  std::unordered_map<std::string, std::shared_ptr<const std::set<std::string>>> capsByVer_;
  // Per available session (full JID) -> nodes with +notify.
  std::unordered_map<std::string, std::shared_ptr<const std::set<std::string>>> sessionNotify_;
  struct PendingDisco {
    std::string full;
    std::string ver;
    std::string hash;
    bool initial = false;
  };
  std::unordered_map<std::string, PendingDisco> pending_;  // by IQ id
};
}  // namespace rampart::modules::pep
