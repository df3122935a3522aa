// expat-driven XMPP stream parser with RFC 6120 restricted-XML enforcement and limits.

#include "xml/stream_parser.h"

#include <expat.h>
#include <unicode/utf8.h>

#include <cstring>

namespace rampart::xml {
namespace {

constexpr char kSep = '\xFF';  // never appears in UTF-8, so "uri<sep>local" splits exactly

void splitName(const char* expatName, std::string& ns, std::string& local) {
  const char* sep = std::strrchr(expatName, kSep);
  if (sep == nullptr) {
    ns.clear();
    local.assign(expatName);
  } else {
    ns.assign(expatName, sep - expatName);
    local.assign(sep + 1);
  }
}

std::string attrName(const char* expatName) {
  std::string ns;
  std::string local;
  splitName(expatName, ns, local);
  if (ns.empty()) {
    return local;
  }
  if (ns == core::kNsXml) {
    return "xml:" + local;
  }
  return {};  // foreign-namespace attributes are dropped: XMPP defines none we must keep
}

// True when `s` holds a byte sequence that is not UTF-8 (a sequence cut off at the very end
// may continue in the next chunk and does not count).
bool hasInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  const auto len = static_cast<std::int32_t>(s.size());
  std::int32_t i = 0;
  while (i < len) {
    const std::int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, len, c);
    if (c < 0) {
      const std::uint8_t lead = p[start];
      const std::int32_t need = lead >= 0xF0 && lead <= 0xF4 ? 4
                                : lead >= 0xE0 && lead <= 0xEF ? 3
                                : lead >= 0xC2 && lead <= 0xDF ? 2
                                                              : 1;
      const bool cutOff = need > 1 && start + need > len && i == len;
      return !cutOff;
    }
  }
  return false;
}

}  // namespace

std::string_view parseErrorCondition(ParseError e) {
  switch (e) {
    case ParseError::kNone: return "";
    case ParseError::kNotWellFormed: return "not-well-formed";
    case ParseError::kRestrictedXml: return "restricted-xml";
    case ParseError::kPolicyViolation: return "policy-violation";
    case ParseError::kInvalidNamespace: return "invalid-namespace";
    case ParseError::kBadFormat: return "bad-format";
    case ParseError::kUnsupportedEncoding: return "unsupported-encoding";
  }
  return "undefined-condition";
}

StreamParser::StreamParser(ParserLimits limits, Callbacks callbacks)
    : limits_(limits), cb_(std::move(callbacks)) {
  parser_ = XML_ParserCreateNS("UTF-8", kSep);
  install();
}

StreamParser::~StreamParser() {
  if (parser_ != nullptr) {
    XML_ParserFree(parser_);
  }
}

void StreamParser::install() {
  XML_SetUserData(parser_, this);
  XML_SetElementHandler(parser_, &StreamParser::onStart, &StreamParser::onEnd);
  XML_SetCharacterDataHandler(parser_, &StreamParser::onText);
  XML_SetStartDoctypeDeclHandler(parser_, &StreamParser::onDoctype);
  XML_SetEntityDeclHandler(parser_, &StreamParser::onEntityDecl);
  XML_SetProcessingInstructionHandler(parser_, &StreamParser::onPi);
  XML_SetCommentHandler(parser_, &StreamParser::onComment);
  XML_SetStartNamespaceDeclHandler(parser_, &StreamParser::onNsStart);
  if (!waking_) {
    defaultNs_.clear();
    rootNs_.clear();
  }
  depth_ = 0;
  stack_.clear();
  current_ = core::Element();
  stanzaStart_ = 0;
  fed_ = 0;
  lastEvent_ = 0;
  consumedAt_ = -1;
  paused_ = false;
  chunk_.clear();
  streamOpen_ = false;
}

void StreamParser::fail(ParseError e, std::string_view detail) {
  if (error_ == ParseError::kNone) {
    error_ = e;
    detail_.assign(detail);
  }
  XML_StopParser(parser_, XML_FALSE);
}

void StreamParser::stop() {
  stopped_ = true;
  if (parser_ != nullptr) {
    XML_StopParser(parser_, XML_FALSE);
  }
}

bool StreamParser::checkSize() {
  lastEvent_ = XML_GetCurrentByteIndex(parser_);
  if (depth_ >= 2 &&
      static_cast<std::size_t>(lastEvent_ - stanzaStart_) > limits_.maxStanzaBytes) {
    fail(ParseError::kPolicyViolation, "stanza exceeds the size limit");
    return false;
  }
  return true;
}

void StreamParser::onStart(void* self, const char* name, const char** attrs) {
  auto* p = static_cast<StreamParser*>(self);
  if (p->error_ != ParseError::kNone || p->stopped_) {
    return;
  }
  if (!p->checkSize()) {
    return;
  }
  std::string ns;
  std::string local;
  splitName(name, ns, local);
  if (p->depth_ == 0) {
    if (local != "stream" || ns != core::kNsStream) {
      p->fail(ns != core::kNsStream ? ParseError::kInvalidNamespace : ParseError::kBadFormat,
              "the stream must open with <stream:stream>");
      return;
    }
    std::map<std::string, std::string> a;
    for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
      std::string n = attrName(attrs[i]);
      if (!n.empty()) {
        a.emplace(std::move(n), attrs[i + 1]);
      }
    }
    p->depth_ = 1;
    p->streamOpen_ = true;
    if (static_cast<std::size_t>(XML_GetCurrentByteIndex(p->parser_) +
                                 XML_GetCurrentByteCount(p->parser_)) >
        p->limits_.maxHeaderBytes + 1024) {
      p->fail(ParseError::kPolicyViolation, "stream header too large");
      return;
    }
    p->boundary_ = XML_GetCurrentByteIndex(p->parser_) + XML_GetCurrentByteCount(p->parser_);
    if (p->cb_.onStreamOpen && !p->waking_) {
      p->cb_.onStreamOpen(a, p->defaultNs_);
    }
    return;
  }
  if (p->depth_ >= p->limits_.maxDepth) {
    p->fail(ParseError::kPolicyViolation, "element nesting too deep");
    return;
  }
  std::size_t nattrs = 0;
  for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
    ++nattrs;
  }
  if (nattrs > p->limits_.maxAttributes) {
    p->fail(ParseError::kPolicyViolation, "too many attributes");
    return;
  }
  core::Element el(std::move(local), std::move(ns));
  for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
    std::string n = attrName(attrs[i]);
    if (!n.empty()) {
      el.setAttr(n, attrs[i + 1]);
    }
  }
  if (p->depth_ == 1) {
    p->stanzaStart_ = XML_GetCurrentByteIndex(p->parser_);
    p->current_ = std::move(el);
    p->stack_.assign(1, &p->current_);
  } else {
    core::Element& added = p->stack_.back()->addChild(std::move(el));
    p->stack_.push_back(&added);
  }
  ++p->depth_;
}

void StreamParser::onEnd(void* self, const char* /*name*/) {
  auto* p = static_cast<StreamParser*>(self);
  if (p->error_ != ParseError::kNone || p->stopped_) {
    return;
  }
  if (!p->checkSize()) {
    return;
  }
  if (p->depth_ == 1) {
    p->depth_ = 0;
    if (p->cb_.onStreamClose) {
      p->cb_.onStreamClose();
    }
    return;
  }
  --p->depth_;
  p->stack_.pop_back();
  if (p->depth_ == 1) {
    p->boundary_ = XML_GetCurrentByteIndex(p->parser_) + XML_GetCurrentByteCount(p->parser_);
    core::Element done = std::move(p->current_);
    p->current_ = core::Element();
    if (p->cb_.onStanza) {
      p->cb_.onStanza(std::move(done));
    }
    if (p->pauseMode_ && !p->stopped_ && p->error_ == ParseError::kNone) {
      p->consumedAt_ =
          XML_GetCurrentByteIndex(p->parser_) + XML_GetCurrentByteCount(p->parser_);
      p->paused_ = true;
      XML_StopParser(p->parser_, XML_TRUE);
    }
  }
}

void StreamParser::onText(void* self, const char* text, int len) {
  auto* p = static_cast<StreamParser*>(self);
  if (p->error_ != ParseError::kNone || p->stopped_) {
    return;
  }
  if (!p->checkSize()) {
    return;
  }
  if (p->depth_ >= 2) {
    p->stack_.back()->addText(std::string_view(text, static_cast<std::size_t>(len)));
    return;
  }
  for (int i = 0; i < len; ++i) {
    char c = text[i];
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      p->fail(ParseError::kBadFormat, "character data at stream level");
      return;
    }
  }
  p->boundary_ = XML_GetCurrentByteIndex(p->parser_) + len;
}

void StreamParser::onNsStart(void* self, const char* prefix, const char* uri) {
  auto* p = static_cast<StreamParser*>(self);
  if (p->depth_ == 0 && prefix == nullptr) {
    p->defaultNs_ = uri != nullptr ? uri : "";
  }
  if (p->depth_ == 0 && !p->waking_ && p->rootNs_.size() < 16) {
    p->rootNs_.emplace_back(prefix != nullptr ? prefix : "", uri != nullptr ? uri : "");
  }
}

void StreamParser::onDoctype(void* self, const char*, const char*, const char*, int) {
  static_cast<StreamParser*>(self)->fail(ParseError::kRestrictedXml, "DOCTYPE is not allowed");
}

void StreamParser::onEntityDecl(void* self, const char*, int, const char*, int, const char*,
                                const char*, const char*, const char*) {
  static_cast<StreamParser*>(self)->fail(ParseError::kRestrictedXml,
                                         "entity declarations are not allowed");
}

void StreamParser::onPi(void* self, const char*, const char*) {
  static_cast<StreamParser*>(self)->fail(ParseError::kRestrictedXml,
                                         "processing instructions are not allowed");
}

void StreamParser::onComment(void* self, const char*) {
  static_cast<StreamParser*>(self)->fail(ParseError::kRestrictedXml,
                                         "comments are not allowed");
}

ParseError StreamParser::feed(std::string_view data) {
  if (error_ != ParseError::kNone) {
    return error_;
  }
  if (stopped_ || paused_) {
    return ParseError::kNone;
  }
  if (parser_ == nullptr && !wake()) {
    return error_;
  }
  chunkBase_ = fed_;
  fed_ += static_cast<std::int64_t>(data.size());
  XML_Status st = XML_Parse(parser_, data.data(), static_cast<int>(data.size()), XML_FALSE);
  if (paused_) {
    chunk_.assign(data);  // needed if the caller restarts the document
  }
  if (st == XML_STATUS_ERROR && error_ == ParseError::kNone &&
      XML_GetErrorCode(parser_) == XML_ERROR_INVALID_TOKEN) {
    // RFC 6120 section 4.9.3.22: bytes that are not UTF-8 are an encoding error, not a
    // well-formedness one.
    const std::int64_t at = XML_GetCurrentByteIndex(parser_) - chunkBase_;
    if (at >= 0 && at < static_cast<std::int64_t>(data.size()) &&
        hasInvalidUtf8(data.substr(static_cast<std::size_t>(at)))) {
      error_ = ParseError::kUnsupportedEncoding;
      detail_ = "the stream is not valid UTF-8";
      return error_;
    }
  }
  return afterParse(st);
}

ParseError StreamParser::resume() {
  if (!paused_) {
    return error_;
  }
  paused_ = false;
  XML_Status st = XML_ResumeParser(parser_);
  if (!paused_) {
    chunk_.clear();
  }
  return afterParse(st);
}

ParseError StreamParser::afterParse(int status) {
  const auto st = static_cast<XML_Status>(status);
  if (error_ != ParseError::kNone) {
    return error_;
  }
  if (stopped_ || paused_) {
    return ParseError::kNone;
  }
  if (st == XML_STATUS_ERROR) {
    XML_Error code = XML_GetErrorCode(parser_);
    error_ = code == XML_ERROR_UNKNOWN_ENCODING || code == XML_ERROR_INCORRECT_ENCODING
                 ? ParseError::kUnsupportedEncoding
                 : ParseError::kNotWellFormed;
    detail_ = XML_ErrorString(code);
    return error_;
  }
  // Bytes buffered inside expat without a completed event (a huge start tag, an endless
  // attribute value) count against the limit too.
  const std::int64_t since = depth_ >= 2 ? stanzaStart_ : lastEvent_;
  const auto pending = static_cast<std::size_t>(fed_ - since);
  const std::size_t limit = streamOpen_ ? limits_.maxStanzaBytes : limits_.maxHeaderBytes;
  if (pending > limit) {
    error_ = ParseError::kPolicyViolation;
    detail_ = "stanza exceeds the size limit";
    return error_;
  }
  return ParseError::kNone;
}

bool StreamParser::canHibernate() const {
  return parser_ != nullptr && streamOpen_ && depth_ == 1 && !paused_ && !stopped_ &&
         error_ == ParseError::kNone && fed_ == boundary_ && !rootNs_.empty();
}

void StreamParser::hibernate() {
  if (!canHibernate()) {
    return;
  }
  XML_ParserFree(parser_);
  parser_ = nullptr;
}

bool StreamParser::wake() {
  // A fresh parser, primed with an equivalent of the stream header so that the namespace
  // prefixes the client declared there stay in scope. The header callback is not repeated.
  parser_ = XML_ParserCreateNS("UTF-8", kSep);
  if (parser_ == nullptr) {
    error_ = ParseError::kPolicyViolation;
    return false;
  }
  waking_ = true;
  install();
  std::string prefix;
  for (const auto& [pfx, uri] : rootNs_) {
    if (uri == core::kNsStream) {
      prefix = pfx;
    }
  }
  std::string header = "<" + (prefix.empty() ? std::string() : prefix + ":") + "stream";
  for (const auto& [pfx, uri] : rootNs_) {
    header += pfx.empty() ? " xmlns='" : " xmlns:" + pfx + "='";
    core::appendEscapedAttr(header, uri);
    header += "'";
  }
  header += ">";
  fed_ = static_cast<std::int64_t>(header.size());
  XML_Status st = XML_Parse(parser_, header.data(), static_cast<int>(header.size()), XML_FALSE);
  waking_ = false;
  if (st != XML_STATUS_OK || !streamOpen_ || error_ != ParseError::kNone) {
    error_ = ParseError::kNotWellFormed;
    return false;
  }
  return true;
}

std::string StreamParser::restart() {
  std::string rest;
  if (paused_) {
    std::int64_t off = consumedAt_ - chunkBase_;
    if (off >= 0 && off < static_cast<std::int64_t>(chunk_.size())) {
      rest = chunk_.substr(static_cast<std::size_t>(off));
    }
  }
  if (parser_ == nullptr) {
    parser_ = XML_ParserCreateNS("UTF-8", kSep);
  } else {
    XML_ParserReset(parser_, "UTF-8");
  }
  install();
  return rest;
}

}  // namespace rampart::xml
