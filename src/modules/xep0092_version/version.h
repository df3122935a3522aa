#pragma once
// XEP-0092 (Software Version). Off by default: revealing the exact version helps attackers.
#include "rampart/core/module_context.h"

namespace rampart::modules::version {
inline constexpr std::string_view kNs = "jabber:iq:version";
class VersionModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;
};
}  // namespace rampart::modules::version
