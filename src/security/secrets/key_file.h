#pragma once
// A secret key kept in a file of its own beside the database (created at first start with
// random bytes, mode 0600), so that a copy of the database alone reveals nothing the key
// protects. Thread-safe (no state).

#include <cstddef>
#include <string>

#include "rampart/core/status.h"

namespace rampart::security::secrets {

// Reads the key in `path` (exactly `bytes` bytes), creating it when absent. Two processes
// starting at once keep one key. An existing file of another size is an error, never replaced.
core::Result<std::string> loadOrCreateKey(const std::string& path, std::size_t bytes = 32);

}  // namespace rampart::security::secrets
