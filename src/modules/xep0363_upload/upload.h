#pragma once
// XEP-0363 HTTP File Upload: upload slots requested over XMPP, files PUT to and served from
// the server's HTTPS listener under /upload/HOST/. Per-host size limit and per-account
// quota; slots expire and serve one PUT; stored files expire after a retention period.
// Thread-safe (slots behind a mutex; file I/O and metadata on the storage pool).
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "rampart/core/module_context.h"

namespace rampart::modules::upload {
inline constexpr std::string_view kNs = "urn:xmpp:http:upload:0";

// A file name a client may give: 1-255 bytes of UTF-8 without path separators or control
// characters, and not "." or "..".
bool validFileName(std::string_view name);
// Content-Type and Content-Disposition for serving a file: only media types that browsers
// cannot run as active content are served inline; everything else as an attachment.
std::pair<std::string, std::string> servingHeaders(std::string_view declaredType,
                                                   std::string_view fileName);
std::string percentEncode(std::string_view s);

class UploadModule final : public core::Module {
 public:
  void start(core::ModuleContext& ctx) override;

 private:
  struct Slot {
    std::string owner;  // localpart
    std::string fileName;
    std::size_t size = 0;
    std::string contentType;
    std::chrono::steady_clock::time_point expires;
  };
  void onRequest(const core::Element& iq);
  void onPut(http::Request req, http::Respond respond);
  void onGet(http::Request req, http::Respond respond);
  std::string directory() const;
  // Deletes files stored longer than the retention period and gives their bytes back to
  // their owners' quotas.
  // Deletes the files of `host` stored before `cutoff` (µs) but those of accounts under legal
  // hold; returns how many. Storage thread.
  static std::size_t expireFiles(storage::Storage& s, const std::string& host,
                                 const std::string& dir, std::int64_t cutoff);

  core::ModuleContext* ctx_ = nullptr;
  std::string prefix_;  // "/upload/HOST/"
  std::size_t maxFileSize_ = 0;
  std::size_t quota_ = 0;
  std::chrono::seconds slotLifetime_{300};
  std::mutex mu_;
  std::unordered_map<std::string, Slot> slots_;  // by token
};
}  // namespace rampart::modules::upload
