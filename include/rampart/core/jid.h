#pragma once
// An XMPP address (RFC 7622), always held in its normalized form.
// Immutable value type; safe to share between threads once constructed.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::core {

class Jid {
 public:
  Jid() = default;

  // Parses and normalizes "[local@]domain[/resource]". Returns nullopt when the string is not
  // a valid JID (RFC 7622 section 3, enforced with the PRECIS profiles); callers answer with
  // <jid-malformed/>.
  static std::optional<Jid> parse(std::string_view text);

  // Builds a JID from parts, preparing each one. Empty local/resource mean "absent".
  static std::optional<Jid> make(std::string_view local, std::string_view domain,
                                 std::string_view resource = {});

  const std::string& local() const { return local_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }

  bool empty() const { return domain_.empty(); }
  bool isBare() const { return resource_.empty(); }
  bool isFull() const { return !resource_.empty(); }
  bool isDomain() const { return local_.empty() && resource_.empty(); }

  Jid bare() const;
  Jid withResource(std::string_view preparedResource) const;

  // "local@domain/resource" with absent parts omitted.
  std::string str() const;
  // "local@domain" (or "domain").
  std::string bareStr() const;

  friend bool operator==(const Jid&, const Jid&) = default;

 private:
  std::string local_;
  std::string domain_;
  std::string resource_;
};

// Individual part preparation; each returns nullopt on a prohibited or over-long part
// (1023 octets max per part after preparation, RFC 7622 section 3.1).
std::optional<std::string> prepareLocalpart(std::string_view in);   // PRECIS UsernameCaseMapped
std::optional<std::string> prepareDomainpart(std::string_view in);  // IDNA2008 U-label form
std::optional<std::string> prepareResourcepart(std::string_view in);  // PRECIS OpaqueString

}  // namespace rampart::core

template <>
struct std::hash<rampart::core::Jid> {
  std::size_t operator()(const rampart::core::Jid& j) const noexcept {
    std::size_t h = std::hash<std::string>{}(j.local());
    h = h * 31 + std::hash<std::string>{}(j.domain());
    return h * 31 + std::hash<std::string>{}(j.resource());
  }
};
