#pragma once
// Text messages to people (password-reset and phone-confirmation codes): one sender thread
// and a bounded queue, so that nobody waits for a provider and an answer's timing never shows
// whether a message was sent. Each tenant names its provider (an HTTPS endpoint that takes
// {"to","text","tenant"} as JSON, signed like the alert webhook with HMAC-SHA-256 in
// X-Rampart-Signature); without one, messages go to the development outbox file
// DATA_DIR/sms-outbox.jsonl (one JSON object per line, mode 0600). Thread-safe.

#include <condition_variable>
#include <deque>
#include <optional>
#include <string_view>
#include <mutex>
#include <string>
#include <thread>

#include "core/config.h"

namespace rampart::security::reset {

class SmsGateway {
 public:
  // `config` must outlive the gateway.
  explicit SmsGateway(const core::Config& config);
  ~SmsGateway();  // sends what is queued (bounded), then stops
  SmsGateway(const SmsGateway&) = delete;
  SmsGateway& operator=(const SmsGateway&) = delete;

  // Queues a message; false when the queue is full (the message is dropped and logged).
  bool send(const std::string& tenant, const std::string& to, const std::string& text);

  std::string outboxPath() const;

 private:
  struct Message {
    std::string tenant, to, text;
  };
  void run();
  void deliver(const Message& m);

  const core::Config& config_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Message> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::thread thread_;
};

// A phone number as stored: E.164 ("+" and 8 to 15 digits; a mainland mobile number of 11
// digits starting with 1 gets +86). nullopt when it is not one.
std::optional<std::string> normalizePhone(std::string_view text);
// For display: the country code and the last four digits kept ("+86 138****1234" style).
std::string maskPhone(const std::string& e164);

}  // namespace rampart::security::reset
