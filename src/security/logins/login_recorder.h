#pragma once
// Keeps the login record (MLPS 8.1.4.4 f; 登录日志): every checked sign-in attempt, XMPP and
// HTTPS, with its place when a GeoIP database is configured, and the last use of the device
// credential that signed in. Thread-safe: record() may be called from any thread; the write
// happens on the storage thread.

#include <string>

#include "core/workers.h"
#include "rampart/storage/account_security_store.h"

namespace rampart::security::logins {

class LoginRecorder {
 public:
  explicit LoginRecorder(core::StorageRunner& storage) : storage_(storage) {}
  void record(storage::LoginRecord r);

 private:
  core::StorageRunner& storage_;
};

}  // namespace rampart::security::logins
