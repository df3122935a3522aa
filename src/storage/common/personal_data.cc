#include "rampart/storage/personal_data.h"

namespace rampart::storage {

std::string_view protectionName(Protection p) {
  switch (p) {
    case Protection::kAccountKey: return "account key (AES-256-GCM)";
    case Protection::kTenantKey: return "tenant key (AES-256-GCM)";
    case Protection::kOwnerKey: return "account key; rooms: tenant key (AES-256-GCM)";
    case Protection::kHashed: return "hashed";
    case Protection::kWrapped: return "wrapped key";
    case Protection::kBlindIndex:
      return "blind index: HMAC-SHA-256 under the account's (rooms: the tenant's) index key";
    case Protection::kClear: return "clear";
  }
  return "clear";
}

}  // namespace rampart::storage
