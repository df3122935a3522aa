#pragma once
// Files kept as they are (encryption off): the spooled file is renamed into place and read
// back from disk. Thread-safe (no state).

#include "rampart/storage/stores.h"

namespace rampart::storage {

class PlainFiles final : public FileStore {
 public:
  Status keepFile(std::string_view host, std::string_view owner, std::string_view id,
                  const std::string& from, const std::string& to) override;
  Result<std::shared_ptr<core::ByteSource>> readFile(std::string_view host,
                                                     std::string_view owner,
                                                     std::string_view id,
                                                     const std::string& path) override;
  Result<bool> resealFile(std::string_view host, std::string_view owner, std::string_view id,
                          const std::string& path) override;
};

// A file on disk as a ByteSource (null when it cannot be opened).
std::shared_ptr<core::ByteSource> openFileSource(const std::string& path);

}  // namespace rampart::storage
