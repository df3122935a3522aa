#pragma once
// Incremental XMPP stream parser on expat: reports the stream header, each top-level
// element (stanza) as a tree, and the stream end. Enforces size, depth and attribute limits
// and refuses the XML that RFC 6120 section 11.1 restricts (DOCTYPE, entity declarations,
// processing instructions, comments). One parser per connection; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "rampart/core/element.h"

struct XML_ParserStruct;

namespace rampart::xml {

struct ParserLimits {
  std::size_t maxStanzaBytes = 256 * 1024;
  std::size_t maxDepth = 32;
  std::size_t maxAttributes = 64;
  std::size_t maxHeaderBytes = 4096;
};

// Which stream error a parse failure maps to (RFC 6120 section 4.9.3).
enum class ParseError {
  kNone,
  kNotWellFormed,    // <not-well-formed/>
  kRestrictedXml,    // <restricted-xml/>
  kPolicyViolation,  // <policy-violation/> (size/depth/attribute limits)
  kInvalidNamespace, // <invalid-namespace/>
  kBadFormat,        // <bad-format/>
  kUnsupportedEncoding,
};
std::string_view parseErrorCondition(ParseError e);

class StreamParser {
 public:
  struct Callbacks {
    // Stream header: attributes by local name (xml:lang as "xml:lang") and the default ns.
    std::function<void(const std::map<std::string, std::string>& attrs, const std::string& ns)>
        onStreamOpen;
    std::function<void(core::Element&& stanza)> onStanza;
    std::function<void()> onStreamClose;
  };

  StreamParser(ParserLimits limits, Callbacks callbacks);
  ~StreamParser();
  StreamParser(const StreamParser&) = delete;
  StreamParser& operator=(const StreamParser&) = delete;

  // Feeds bytes. Returns the error that ended the stream, or kNone. In pause mode the parser
  // suspends after every top-level element (paused() is true) until resume() or restart().
  ParseError feed(std::string_view data);

  // Stream negotiation handles one element at a time, some of them asynchronously.
  void setPauseAfterEachElement(bool on) { pauseMode_ = on; }
  bool paused() const { return paused_; }
  // Continues with the bytes already fed.
  ParseError resume();
  // Starts a fresh document (after STARTTLS or SASL success, RFC 6120 sections 5.4.3.3 and
  // 6.4.6) and returns the bytes that followed the paused element; the caller feeds them,
  // or must discard them (plaintext after <proceed/>).
  std::string restart();

  // Between stanzas, with nothing buffered, the expat parser can be freed and re-created on
  // the next feed() (about 7 KiB per idle connection). Not from inside a callback.
  bool canHibernate() const;
  // Inside an unfinished element (below the stream's top level).
  bool midElement() const { return depth_ > 1; }
  void hibernate();
  bool hibernating() const { return parser_ == nullptr; }

  // Stops parsing from inside a callback (the connection is closing).
  void stop();

  std::string_view errorDetail() const { return detail_; }

 private:
  static void onStart(void* self, const char* name, const char** attrs);
  static void onEnd(void* self, const char* name);
  static void onText(void* self, const char* text, int len);
  static void onDoctype(void* self, const char*, const char*, const char*, int);
  static void onEntityDecl(void* self, const char*, int, const char*, int, const char*,
                           const char*, const char*, const char*);
  static void onPi(void* self, const char*, const char*);
  static void onComment(void* self, const char*);
  static void onNsStart(void* self, const char* prefix, const char* uri);
  void fail(ParseError e, std::string_view detail);
  void install();
  bool checkSize();
  bool wake();
  ParseError afterParse(int status);  // an XML_Status

  ParserLimits limits_;
  Callbacks cb_;
  XML_ParserStruct* parser_ = nullptr;
  std::size_t depth_ = 0;
  std::vector<core::Element*> stack_;
  core::Element current_;
  std::int64_t stanzaStart_ = 0;  // byte index of current top-level element
  std::int64_t fed_ = 0;          // bytes fed to this document
  std::int64_t lastEvent_ = 0;    // byte index of the last callback
  std::int64_t consumedAt_ = -1;  // byte index after the paused element
  ParseError error_ = ParseError::kNone;
  std::string detail_;
  bool pauseMode_ = false;
  bool paused_ = false;
  std::string chunk_;  // copy of the chunk being parsed while paused
  std::int64_t chunkBase_ = 0;
  bool streamOpen_ = false;
  bool stopped_ = false;
  bool waking_ = false;
  std::int64_t boundary_ = 0;  // byte index after the last complete top-level item
  std::vector<std::pair<std::string, std::string>> rootNs_;  // (prefix, uri) on the header
  std::string defaultNs_;
};

}  // namespace rampart::xml
