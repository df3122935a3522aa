// Feeds arbitrary bytes to the XMPP stream parser, split at a data-chosen point, in both
// pause mode (negotiation) and streaming mode; every produced stanza must re-serialize and
// re-parse to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "xml/stream_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  for (bool pause : {false, true}) {
    rampart::xml::ParserLimits limits;
    limits.maxStanzaBytes = 64 * 1024;
    rampart::xml::StreamParser parser(
        limits, {nullptr,
                 [](rampart::core::Element&& e) {
                   std::string once = e.str();
                   auto again = rampart::core::parseElement(once);
                   if (!again || again->str() != once) {
                     std::abort();
                   }
                 },
                 nullptr});
    parser.setPauseAfterEachElement(pause);
    auto err = parser.feed(std::string_view(input).substr(0, split));
    while (err == rampart::xml::ParseError::kNone && parser.paused()) {
      err = parser.resume();
    }
    if (err == rampart::xml::ParseError::kNone) {
      err = parser.feed(std::string_view(input).substr(split));
      while (err == rampart::xml::ParseError::kNone && parser.paused()) {
        err = parser.resume();
      }
    }
  }
  return 0;
}
