#pragma once
// XEP-0030 (Service Discovery): disco#info and disco#items for the host and for accounts.
// Reads the host's feature list, which is fixed after start-up; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::disco {
inline constexpr std::string_view kNsInfo = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view kNsItems = "http://jabber.org/protocol/disco#items";
class DiscoModule final : public core::Module {
 public:
  // features: the host's feature list, owned by the core; read at query time.
  explicit DiscoModule(const core::DiscoRegistry& registry) : registry_(registry) {}
  void start(core::ModuleContext& ctx) override;

 private:
  const core::DiscoRegistry& registry_;
};
}  // namespace rampart::modules::disco
