#pragma once
// Incremental XMPP stream reader on expat (namespace-aware): collects each top-level stanza
// (depth 1 under <stream:stream>) into a small Element tree. One per connection; not
// thread-safe (the load generator is single-threaded).
#include <expat.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace loadgen {

inline constexpr std::string_view kNsClient = "jabber:client";
inline constexpr std::string_view kNsStream = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsTls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";

struct Element {
  std::string ns;
  std::string name;  // local name
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string text;
  std::vector<Element> children;

  const Element* child(std::string_view local) const;
  std::string_view attr(std::string_view key) const;
  bool is(std::string_view nsv, std::string_view local) const { return ns == nsv && name == local; }
};

class XmlStream {
 public:
  XmlStream();
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;

  // Starts a new stream (after STARTTLS or SASL success).
  void reset();
  // Parses bytes; completed stanzas are appended to the queue. Returns false on an XML error.
  bool feed(const char* data, std::size_t len);
  // Frees the expat parser; further input is ignored (idle connections need no parsing).
  void release();

  bool headerSeen() const { return headerSeen_; }
  bool closed() const { return closed_; }
  bool hasStanza() const { return head_ < queue_.size(); }
  Element pop();
  std::string error() const;

 private:
  static void onStart(void* self, const char* name, const char** attrs);
  static void onEnd(void* self, const char* name);
  static void onText(void* self, const char* s, int len);
  void install();

  XML_Parser parser_ = nullptr;
  int depth_ = 0;
  bool headerSeen_ = false;
  bool closed_ = false;
  std::vector<Element*> stack_;  // open elements at depth >= 1; stack_[0] is current_
  Element current_;
  std::vector<Element> queue_;
  std::size_t head_ = 0;
};

}  // namespace loadgen
