#pragma once
// XEP-0049 (Private XML Storage): one document per (account, element name, namespace).
// Stateless between requests; handlers are safe on any network thread.
#include "rampart/core/module_context.h"

namespace rampart::modules::privatexml {
inline constexpr std::string_view kNs = "jabber:iq:private";

class PrivateModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  void handleGet(const core::Element& iq);
  void handleSet(const core::Element& iq);
  core::ModuleContext* ctx_ = nullptr;
  std::size_t maxBytes_ = 0;
  std::size_t maxDocuments_ = 0;
};
}  // namespace rampart::modules::privatexml
