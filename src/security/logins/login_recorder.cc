#include "security/logins/login_recorder.h"

#include <spdlog/spdlog.h>

#include "rampart/storage/stores.h"

namespace rampart::security::logins {

void LoginRecorder::record(storage::LoginRecord r) {
  storage_.run([r = std::move(r)](storage::Storage& s) {
    if (auto st = s.accountSecurity().appendLogin(r); !st.isOk()) {
      spdlog::warn("event=login_record_failed error={}", st.message());
    }
    constexpr std::string_view kDevice = "app-password:";
    if (r.success && r.credential.starts_with(kDevice)) {
      s.accountSecurity().touchDevice(r.credential.substr(kDevice.size()), r.timeMs, r.source,
                                      r.client.empty() ? r.resource : r.client);
    }
  });
}

}  // namespace rampart::security::logins
