#pragma once
// The server's ContentInspector: per tenant, one Matcher (built-ins and the tenant's custom
// rules) and the actions its [content_security] options give each rule. Built once at start-up
// (rampartd) or for one command (rampartctl dlp test); immutable and thread-safe afterwards.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "rampart/core/status.h"
#include "rampart/security/content_inspector.h"
#include "security/dlp/matcher.h"
#include "security/links/blocklist.h"

namespace rampart::security::dlp {

class Inspector final : public ContentInspector {
 public:
  // InvalidArgument (naming the tenant, rule and pattern) when a tenant's rules do not compile.
  static core::Result<std::unique_ptr<Inspector>> build(const core::Config& config);

  bool enabled(std::string_view tenant) const override;
  ContentVerdict inspect(std::string_view tenant,
                         const std::vector<ContentField>& fields) const override;
  std::string masked(std::string_view text, const std::vector<ContentFinding>& findings,
                     std::size_t index) const override;
  E2eePolicy e2ee(std::string_view tenant) const override;
  std::optional<std::string> blockedLink(std::string_view tenant,
                                         std::string_view url) const override;

  // The link rules' names (actions as for the detectors).
  static constexpr std::string_view kLinkBlocklist = "link_blocklist";
  static constexpr std::string_view kFraudLink = "fraud_link";

  // The default action of each built-in detector, and the action when context words are near.
  static ContentAction defaultAction(std::string_view rule, bool context);

 private:
  struct Tenant {
    bool enabled = true;
    E2eePolicy e2ee = E2eePolicy::kAllow;
    std::shared_ptr<const Matcher> matcher;
    std::map<std::string, ContentAction, std::less<>> actions;
    std::map<std::string, ContentAction, std::less<>> contextActions;
    std::map<std::string, bool, std::less<>> off;  // rules switched off
    std::map<std::string, bool, std::less<>> contextOff;  // off when context words are near
    std::shared_ptr<const links::Blocklist> blocklist;
    std::vector<std::string> allow;      // domains never flagged
    std::vector<std::string> fraudCues;  // lower case
  };
  // Link findings of field `index` (URLs written in it, or the whole field for "url").
  void inspectLinks(const Tenant& t, const std::vector<ContentField>& fields, std::size_t index,
                    bool fraudText, ContentVerdict& v) const;
  static void decide(ContentFinding f, ContentVerdict& v);
  // Blocklists already loaded, by their files: tenants sharing lists share one copy.
  using ListCache = std::map<std::string, std::shared_ptr<const links::Blocklist>>;
  static core::Result<Tenant> tenantFrom(const core::ContentSecurityOptions& o, ListCache& lists);
  const Tenant& tenant(std::string_view name) const;
  std::map<std::string, Tenant, std::less<>> tenants_;
  Tenant server_;
};

}  // namespace rampart::security::dlp
