// Fuzzes Jid::parse. Besides memory errors it checks that normalization is idempotent: a Jid
// must re-parse from its own str() to an equal Jid, or routing and roster lookups that compare
// stored addresses with freshly parsed ones would disagree.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "rampart/core/jid.h"

namespace {

[[noreturn]] void fail(const char* what, std::string_view in, std::string_view out) {
  std::fprintf(stderr, "jid_fuzz: %s\n  input:  %.*s\n  output: %.*s\n", what,
               static_cast<int>(in.size()), in.data(), static_cast<int>(out.size()), out.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rampart::core::Jid;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::optional<Jid> jid = Jid::parse(text);
  if (!jid) {
    return 0;
  }
  const std::string str = jid->str();
  const std::optional<Jid> again = Jid::parse(str);
  if (!again) {
    fail("normalized form does not re-parse", text, str);
  }
  if (*again != *jid) {
    fail("normalization is not idempotent", text, again->str());
  }
  if (jid->domain().empty() || jid->local().size() > 1023 || jid->domain().size() > 1023 ||
      jid->resource().size() > 1023) {
    fail("part is empty or over 1023 octets", text, str);
  }
  if (jid->bare().str() != jid->bareStr() || Jid::parse(jid->bareStr()) != jid->bare()) {
    fail("bare form disagrees", text, jid->bareStr());
  }
  return 0;
}
