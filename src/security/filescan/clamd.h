#pragma once
// A client of clamd (ClamAV's daemon) on its local Unix socket: INSTREAM scanning of a file
// and the daemon's version line (engine, signature version and date). Blocking: call it from
// the file scanner's threads or rampartctl, never from a network thread. Thread-safe.

#include <chrono>
#include <optional>
#include <string>

namespace rampart::security::filescan {

struct ClamdResult {
  enum class Kind { kClean, kInfected, kError };
  Kind kind = Kind::kError;
  std::string detail;  // the signature name (infected) or what went wrong (error)
};

// Streams the file to clamd (zINSTREAM, 64 KiB chunks) and reads its verdict.
ClamdResult clamdScanFile(const std::string& socketPath, const std::string& filePath,
                          std::chrono::seconds timeout);

struct ClamdVersion {
  std::string engine;            // "ClamAV 1.4.6"
  std::string signatureVersion;  // "27600", empty when only local databases are loaded
  std::string signatureDate;     // as clamd prints it, e.g. "Wed Dec  2 09:25:01 2026"
};
// nullopt when clamd cannot be reached; `error` then says why.
std::optional<ClamdVersion> clamdVersion(const std::string& socketPath,
                                         std::chrono::seconds timeout, std::string* error);

}  // namespace rampart::security::filescan
