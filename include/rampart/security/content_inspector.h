#pragma once
// Content security for protocol modules: what the tenant's DLP policy makes of a message's
// text (findings and the action to take), the masked form of that text, and the tenant's
// end-to-end encryption policy. Built at start-up from [content_security]; immutable and
// thread-safe, cheap enough to call on a network thread for every message.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::security {

// In increasing order of severity: the strongest action of a message's findings applies.
enum class ContentAction { kAllow, kMask, kWarn, kQuarantine, kBlock };
std::string_view contentActionName(ContentAction a);
std::optional<ContentAction> parseContentAction(std::string_view name);

// Whether OMEMO/OpenPGP messages (which cannot be inspected) may pass: from anyone, only
// between the tenant's own users, or never.
enum class E2eePolicy { kAllow, kInternal, kRefuse };

// One piece of inspectable text of a stanza: "body", "subject", "url", "file", "vcard", ...
struct ContentField {
  std::string name;
  std::string text;
};

struct ContentFinding {
  std::string field;       // the ContentField's name
  std::size_t index = 0;   // which ContentField
  std::string rule;        // built-in detector or custom rule name
  std::string type;        // data type (masking): a built-in name, "keyword" or "pattern"
  std::size_t begin = 0;   // byte span in the field's text
  std::size_t end = 0;
  std::string confidence;  // "low", "medium" or "high"
  ContentAction action = ContentAction::kAllow;
  std::string detail;      // links: the list's threat ("phishing") or "fraud-cues"
};

struct ContentVerdict {
  ContentAction action = ContentAction::kAllow;
  std::string rule;  // the rule whose finding decided the action (empty: nothing found)
  std::vector<ContentFinding> findings;
};

class ContentInspector {
 public:
  virtual ~ContentInspector() = default;
  // Whether the tenant inspects content at all.
  virtual bool enabled(std::string_view tenant) const = 0;
  // Findings in `fields` under the tenant's rules and the action they call for.
  virtual ContentVerdict inspect(std::string_view tenant,
                                 const std::vector<ContentField>& fields) const = 0;
  // `text` (field `index` of an inspected message) with every finding of that field masked.
  virtual std::string masked(std::string_view text, const std::vector<ContentFinding>& findings,
                             std::size_t index) const = 0;
  virtual E2eePolicy e2ee(std::string_view tenant) const = 0;
  // A URL (from a QR code, say) on the tenant's link blocklists and not allow-listed: the
  // list's threat; nullopt otherwise.
  virtual std::optional<std::string> blockedLink(std::string_view tenant,
                                                 std::string_view url) const = 0;
};

}  // namespace rampart::security
