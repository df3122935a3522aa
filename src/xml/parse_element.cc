#include "rampart/core/element.h"
#include "xml/stream_parser.h"

namespace rampart::core {

std::optional<Element> parseElement(std::string_view xml) {
  std::optional<Element> out;
  xml::ParserLimits limits;
  limits.maxStanzaBytes = xml.size() + 1024;
  xml::StreamParser p(limits, {nullptr, [&](Element&& e) { out = std::move(e); }, nullptr});
  std::string doc =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  doc += xml;
  if (p.feed(doc) != xml::ParseError::kNone) {
    return std::nullopt;
  }
  return out;
}

}  // namespace rampart::core
