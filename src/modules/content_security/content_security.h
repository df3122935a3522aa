#pragma once
// Content security on the message path: every message a local client sends is inspected by the
// tenant's DLP rules before it is routed (1:1, group chat, room subjects, the file names and
// URLs it carries), and the tenant's end-to-end encryption policy is applied. Actions: allow,
// mask in delivery, warn (sendable with a justification), block, or hold for review. Approved
// held messages are delivered with their original time; the sender hears of every outcome.
// Hooks run on network threads; storage work goes to the storage pool.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "rampart/core/module_context.h"
#include "rampart/core/stanza.h"
#include "rampart/security/content_service.h"

namespace rampart::modules::content {

inline constexpr std::string_view kNs = "urn:rampart:content:0";

// The message as it may be delivered under verdict `v`: masked spans replaced (and the
// XHTML-IM copy dropped when anything was masked), and a <link-warning/> for each flagged link.
void deliverable(core::Element& message, const security::ContentInspector& inspector,
                 const std::vector<security::ContentField>& fields,
                 const security::ContentVerdict& v);

class ContentModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  bool onMessage(core::StanzaEvent& ev);
  // DLP and link rules on what of the message is in clear.
  bool inspectClear(core::StanzaEvent& ev);
  // DLP and link rules on a vCard a client sets or a room configuration it submits.
  bool inspectProfile(core::StanzaEvent& ev);
  // Stanza error to the sender naming the policy.
  void refuse(const core::Element& message, core::ErrorType type, std::string_view element,
              const std::string& rule, const std::string& text);
  void hold(const core::Element& message, const security::ContentVerdict& verdict,
            const std::string& sender);
  void notice(const std::string& to, const std::string& body, core::Element extra);
  void settle();
  void onReport(const core::Element& iq, core::Session* origin);
  void audit(security::ContentEvent event);

  core::ModuleContext* ctx_ = nullptr;
  security::ContentService* service_ = nullptr;
  std::atomic<bool> settling_{false};
  std::atomic<std::int64_t>* findings_ = nullptr;
};

}  // namespace rampart::modules::content
