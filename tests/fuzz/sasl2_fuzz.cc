// Fuzzes what a client sends in XEP-0388 SASL2 and XEP-0484 FAST: the <authenticate/> element
// (parsed from the input as XML, then read) and the FAST initial response. Besides memory
// errors it checks the bounds the reader promises and that a parsed FAST response puts back
// together into the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/sasl/sasl2.h"
#include "rampart/core/element.h"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "sasl2_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto fast = sasl::parseFastInitial(text)) {
    if (fast->user.empty() || fast->proof.size() != 32 ||
        fast->user + '\0' + fast->proof != text) {
      fail("a FAST initial response does not put back together");
    }
  }
  if (auto el = parseElement(text)) {
    auto r = sasl::readAuthenticate(*el);
    if (r.software.size() > 100 || r.device.size() > 100 || r.tag.size() > 64) {
      fail("a bounded field is over its bound");
    }
    if (r.badInitial && r.initial) {
      fail("an initial response is both bad and decoded");
    }
  }
  return 0;
}
