#pragma once
// Files sealed at rest in the chunked format of aead.h: written from a plaintext file one
// 64 KiB chunk at a time, and read back the same way, so memory stays flat for any size.
// A reader checks the first and last chunk when opened (a damaged header or a truncated file
// is refused before anything is sent) and every other chunk as it reaches it.

#include <memory>
#include <string>

#include "rampart/core/byte_source.h"
#include "security/encryption/aead.h"

namespace rampart::security::encryption {

// Seals `from` into `to` (written under a temporary name, then renamed; mode 0600).
core::Status sealFile(const SecureKey& key, SealInfo info, const std::string& context,
                      const std::string& from, const std::string& to);

// Seals what `from` gives into `to` (as sealFile; `to` may be the file `from` reads, which
// keeps its content until the rename).
core::Status sealSource(const SecureKey& key, SealInfo info, const std::string& context,
                        core::ByteSource& from, const std::string& to);

// The key a sealed file names; nullopt for a file in clear (or unreadable).
std::optional<SealInfo> sealedFileInfo(const std::string& path);

core::Result<std::shared_ptr<core::ByteSource>> openSealedFile(
    std::shared_ptr<const SecureKey> key, const std::string& context, const std::string& path);

}  // namespace rampart::security::encryption
