// Fuzzes the payload parsers modules run on untrusted stanzas: XEP-0004 data forms (MAM
// queries, room configuration, publish-options), XEP-0082 date-times (MAM filters, MUC
// history) and the XEP-0115 verification string (entity caps). Besides memory errors it checks
// that a parsed form re-serializes to an equivalent form and that a parsed date-time formats
// back to the same instant.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "modules/xep0163_pep/caps.h"
#include "rampart/core/dataform.h"
#include "rampart/core/datetime.h"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "payload_fuzz: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = parseDateTime(text)) {
    auto again = parseDateTime(formatDateTime(*t));
    if (!again || *again != *t) {
      fail("date-time does not survive formatting");
    }
  }
  auto el = parseElement(text);
  if (!el) {
    return 0;
  }
  if (auto form = parseDataForm(*el)) {
    auto back = parseDataForm(form->toElement());
    if (!back || back->fields.size() != form->fields.size() || back->type != form->type) {
      fail("data form does not survive serialization");
    }
    for (std::size_t i = 0; i < form->fields.size(); ++i) {
      if (back->fields[i].values != form->fields[i].values ||
          back->fields[i].var != form->fields[i].var) {
        fail("data form field changed in serialization");
      }
    }
  }
  (void)rampart::modules::pep::capsVerSha1(*el);
  return 0;
}
