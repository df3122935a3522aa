// Fuzzes CidrList::parse (allow-lists from configuration) and contains(): entries split on
// newlines. Besides memory errors it checks that every parsed range contains its own network
// address, or an allow-list would not admit the addresses it names.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/cidr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> entries(1);
  for (size_t i = 0; i < size && entries.size() < 64; ++i) {
    if (data[i] == '\n') {
      entries.emplace_back();
    } else {
      entries.back() += static_cast<char>(data[i]);
    }
  }
  auto list = rampart::core::CidrList::parse(entries);
  if (!list) {
    return 0;
  }
  for (const auto& e : entries) {
    const std::string address = e.substr(0, e.find('/'));
    if (!list->contains(address)) {
      std::abort();
    }
  }
  return 0;
}
