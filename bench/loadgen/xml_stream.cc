#include "xml_stream.h"

#include <cstring>

namespace loadgen {
namespace {

constexpr char kSep = '|';

void splitName(const char* full, std::string& ns, std::string& local) {
  const char* bar = std::strrchr(full, kSep);
  if (bar == nullptr) {
    ns.clear();
    local = full;
  } else {
    ns.assign(full, bar - full);
    local = bar + 1;
  }
}

}  // namespace

const Element* Element::child(std::string_view local) const {
  for (const auto& c : children) {
    if (c.name == local) {
      return &c;
    }
  }
  return nullptr;
}

std::string_view Element::attr(std::string_view key) const {
  for (const auto& [k, v] : attrs) {
    if (k == key) {
      return v;
    }
  }
  return {};
}

XmlStream::XmlStream() { reset(); }

XmlStream::~XmlStream() { release(); }

void XmlStream::release() {
  if (parser_ != nullptr) {
    XML_ParserFree(parser_);
    parser_ = nullptr;
  }
  queue_ = {};
  stack_ = {};
  head_ = 0;
}

void XmlStream::install() {
  XML_SetUserData(parser_, this);
  XML_SetElementHandler(parser_, &XmlStream::onStart, &XmlStream::onEnd);
  XML_SetCharacterDataHandler(parser_, &XmlStream::onText);
}

void XmlStream::reset() {
  if (parser_ == nullptr) {
    parser_ = XML_ParserCreateNS(nullptr, kSep);
  } else {
    XML_ParserReset(parser_, nullptr);
  }
  install();
  depth_ = 0;
  headerSeen_ = false;
  closed_ = false;
  stack_.clear();
  queue_.clear();
  head_ = 0;
}

bool XmlStream::feed(const char* data, std::size_t len) {
  if (parser_ == nullptr) {
    return true;
  }
  if (XML_Parse(parser_, data, static_cast<int>(len), 0) != XML_STATUS_OK) {
    return false;
  }
  return true;
}

std::string XmlStream::error() const {
  if (parser_ == nullptr) {
    return "parser released";
  }
  return XML_ErrorString(XML_GetErrorCode(parser_));
}

Element XmlStream::pop() {
  Element e = std::move(queue_[head_++]);
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
  }
  return e;
}

void XmlStream::onStart(void* p, const char* name, const char** attrs) {
  auto* self = static_cast<XmlStream*>(p);
  int depth = self->depth_++;
  if (depth == 0) {
    self->headerSeen_ = true;
    return;
  }
  Element* e;
  if (depth == 1) {
    self->current_ = Element{};
    self->stack_.clear();
    e = &self->current_;
  } else {
    // Only ancestors are open; appending to the innermost one's children never moves them.
    e = &self->stack_.back()->children.emplace_back();
  }
  self->stack_.push_back(e);
  splitName(name, e->ns, e->name);
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    std::string ans, alocal;
    splitName(attrs[i], ans, alocal);
    e->attrs.emplace_back(std::move(alocal), attrs[i + 1]);
  }
}

void XmlStream::onEnd(void* p, const char* /*name*/) {
  auto* self = static_cast<XmlStream*>(p);
  int depth = --self->depth_;
  if (depth == 0) {
    self->closed_ = true;
    return;
  }
  if (!self->stack_.empty()) {
    self->stack_.pop_back();
  }
  if (depth == 1) {
    self->queue_.push_back(std::move(self->current_));
  }
}

void XmlStream::onText(void* p, const char* s, int len) {
  auto* self = static_cast<XmlStream*>(p);
  if (self->depth_ >= 2 && !self->stack_.empty()) {
    self->stack_.back()->text.append(s, static_cast<std::size_t>(len));
  }
}

}  // namespace loadgen
