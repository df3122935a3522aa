#pragma once
// A parsed or constructed XML element (namespace-aware) and its escaping serializer.
// Plain value type: not thread-safe to mutate; share immutable stanzas via
// std::shared_ptr<const Element> across threads.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rampart::core {

inline constexpr std::string_view kNsClient = "jabber:client";
inline constexpr std::string_view kNsStream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view kNsStreams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";

class Element {
 public:
  struct Attr {
    std::string name;  // "xml:lang" for the xml namespace; other prefixes are not kept
    std::string value;
  };

  Element() = default;
  explicit Element(std::string name, std::string ns = {}) : name_(std::move(name)), ns_(std::move(ns)) {}
  Element(const Element& other);
  Element& operator=(const Element& other);
  Element(Element&&) noexcept = default;
  Element& operator=(Element&&) noexcept = default;
  ~Element() = default;

  const std::string& name() const { return name_; }
  const std::string& ns() const { return ns_; }
  void setNs(std::string ns) { ns_ = std::move(ns); }
  bool is(std::string_view name, std::string_view ns) const { return name_ == name && ns_ == ns; }

  // Attributes.
  const std::vector<Attr>& attrs() const { return attrs_; }
  std::optional<std::string_view> attr(std::string_view name) const;
  std::string_view attrOr(std::string_view name, std::string_view fallback = {}) const;
  Element& setAttr(std::string_view name, std::string_view value);
  void removeAttr(std::string_view name);

  // Children: elements and text, in document order.
  Element& addChild(Element child);  // returns the stored child
  Element& addChild(std::string name, std::string ns);
  Element& addText(std::string_view text);
  void clearChildren() { children_.clear(); }
  // Removes direct child elements matching name/ns.
  void removeChildren(std::string_view name, std::string_view ns);

  const Element* child(std::string_view name, std::string_view ns) const;
  Element* child(std::string_view name, std::string_view ns);
  // First child element whatever its name.
  const Element* firstChild() const;
  std::vector<const Element*> childElements() const;
  std::vector<Element*> childElements();
  std::size_t childCount() const { return children_.size(); }
  // Concatenated direct text children.
  std::string text() const;
  // All text below this element in document order (at most `limit` bytes), as a reader sees
  // it: formatting elements do not split a word (or a number).
  std::string deepText(std::size_t limit) const;
  // Text of a direct child element, or empty.
  std::string childText(std::string_view name, std::string_view ns) const;

  // Serializes with correct escaping. parentNs is the default namespace in scope; an xmlns
  // attribute is written only when this element's namespace differs from it.
  void serialize(std::string& out, std::string_view parentNs = kNsClient) const;
  std::string str(std::string_view parentNs = kNsClient) const;
  // Serializes with this element's 'to' attribute written as `to` (replaced or added): one
  // stanza shared by many recipients (room fan-out) is addressed to each as it is written.
  void serializeAddressed(std::string& out, std::string_view parentNs, std::string_view to) const;

 private:
  void serializeImpl(std::string& out, std::string_view parentNs, const std::string_view* to) const;
  struct Node {
    std::unique_ptr<Element> element;  // null for text
    std::string text;
  };
  std::string name_;
  std::string ns_;
  std::vector<Attr> attrs_;
  std::vector<Node> children_;
};

// Appends text escaped for element content / attribute values.
void appendEscaped(std::string& out, std::string_view text);
void appendEscapedAttr(std::string& out, std::string_view text);

using ElementPtr = std::shared_ptr<const Element>;

// Parses one serialized element in the jabber:client context (e.g. a stored stanza).
std::optional<Element> parseElement(std::string_view xml);

}  // namespace rampart::core
