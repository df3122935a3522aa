#pragma once
// A body read front to back in pieces: a stored file, decrypted as it is read. Used by one
// thread at a time (the connection that sends it).

#include <cstddef>
#include <cstdint>

namespace rampart::core {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The number of bytes read() gives in all.
  virtual std::uint64_t size() const = 0;
  // Up to `n` bytes into `out`; 0 at the end. Sets `failed` when the content cannot be read
  // (an I/O error, or stored bytes that fail their integrity check).
  virtual std::size_t read(char* out, std::size_t n, bool& failed) = 0;
};

}  // namespace rampart::core
