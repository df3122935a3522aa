// Fuzzes the link canonicaliser, the URL finder and the blocklist reader: a canonical URL must
// canonicalise to itself (idempotence), its lookup expressions stay within Safe Browsing's
// bounds, URLs found in text are pieces of the text, and any text loads as a blocklist.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/links/blocklist.h"
#include "security/links/canonical.h"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "url_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::security::links;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto u = canonicalize(text)) {
    if (u->host.empty() || u->path.empty() || u->path[0] != '/') fail("a malformed canonical URL");
    auto again = canonicalize(u->str());
    if (!again || again->str() != u->str()) fail("canonicalisation is not idempotent");
    if (lookupExpressions(*u).size() > 30) fail("more than 30 lookup expressions");
  }
  for (const auto& url : findUrls(text)) {
    if (text.find(url) == std::string_view::npos) fail("a found URL is not in the text");
  }
  Blocklist list;
  list.addText(text);
  if (auto u = canonicalize("http://example.com/a/b?c")) {
    (void)list.match(*u);
  }
  return 0;
}
