#pragma once
// XEP-0054 (vcard-temp): each account's vCard, readable by anyone who can address the
// account, writable by its owner. Stateless between requests; thread-safe.
#include "rampart/core/module_context.h"

namespace rampart::modules::vcard {
inline constexpr std::string_view kNs = "vcard-temp";

class VcardModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  void handleGet(const core::Element& iq);
  void handleSet(const core::Element& iq);
  core::ModuleContext* ctx_ = nullptr;
  std::size_t maxBytes_ = 0;
};
}  // namespace rampart::modules::vcard
