#include "security/masking/log_masking.h"

#include <arpa/inet.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <vector>

#include "rampart/security/masker.h"
#include "security/dlp/matcher.h"

namespace rampart::security::masking {
namespace {


bool addressChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

bool isAddress(std::string_view s) {
  if (s.size() < 7 || s.size() > 45) {
    return false;
  }
  const std::string z(s);
  unsigned char buf[16];
  if (z.find(':') == std::string::npos) {
    return inet_pton(AF_INET, z.c_str(), buf) == 1;
  }
  return std::count(z.begin(), z.end(), ':') >= 2 && inet_pton(AF_INET6, z.c_str(), buf) == 1;
}

}  // namespace

std::string maskAddresses(std::string_view text) {
  const Masker& masker = Masker::instance();
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (!addressChar(text[i]) || (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) ||
                                            text[i - 1] == '_'))) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && addressChar(text[j])) {
      ++j;
    }
    std::string_view run = text.substr(i, j - i);
    while (!run.empty() && run.back() == '.') {
      run.remove_suffix(1);
    }
    std::string_view rest;
    if (!isAddress(run) && run.find('.') != std::string_view::npos) {
      const auto colon = run.rfind(':');
      if (colon != std::string_view::npos && isAddress(run.substr(0, colon))) {
        rest = run.substr(colon);
        run = run.substr(0, colon);
      }
    }
    if (isAddress(run) && (j >= text.size() || !std::isalnum(static_cast<unsigned char>(text[j])))) {
      out += masker.mask(DataType::kIpAddress, run);
      out += rest;
      i += run.size() + rest.size();
    } else {
      out.append(text.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

namespace {

const dlp::Matcher& builtins() {
  static const std::shared_ptr<const dlp::Matcher> m = dlp::Matcher::compile({}).value();
  return *m;
}

class MaskingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  MaskingSink(std::vector<spdlog::sink_ptr> inner, bool addresses)
      : inner_(std::move(inner)), addresses_(addresses) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string masked =
        maskPersonalData(std::string_view(msg.payload.data(), msg.payload.size()), addresses_);
    spdlog::details::log_msg copy = msg;
    copy.payload = spdlog::string_view_t(masked.data(), masked.size());
    for (auto& s : inner_) {
      if (s->should_log(copy.level)) {
        s->log(copy);
      }
    }
  }
  void flush_() override {
    for (auto& s : inner_) {
      s->flush();
    }
  }
  void set_pattern_(const std::string& pattern) override {
    for (auto& s : inner_) {
      s->set_pattern(pattern);
    }
  }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    for (auto& s : inner_) {
      s->set_formatter(f->clone());
    }
  }

 private:
  std::vector<spdlog::sink_ptr> inner_;
  bool addresses_;
};

}  // namespace

bool isAccountDomain(std::string_view domain, std::span<const std::string> accountDomains) {
  return std::any_of(accountDomains.begin(), accountDomains.end(), [&](const std::string& d) {
    return d.size() == domain.size() &&
           std::equal(d.begin(), d.end(), domain.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  });
}

std::string maskPersonalData(std::string_view text, bool addresses,
                             std::span<const std::string> accountDomains) {
  const Masker& masker = Masker::instance();
  std::string out;
  std::size_t at = 0;
  for (const auto& f : builtins().scan(text)) {
    if (f.begin < at) {
      continue;
    }
    if (!accountDomains.empty() && dlp::maskingType(f.rule) == DataType::kEmail) {
      const std::string_view match = text.substr(f.begin, f.end - f.begin);
      if (isAccountDomain(match.substr(match.rfind('@') + 1), accountDomains)) {
        continue;
      }
    }
    out.append(text.substr(at, f.begin - at));
    out += masker.mask(dlp::maskingType(f.rule), text.substr(f.begin, f.end - f.begin));
    at = f.end;
  }
  out.append(text.substr(at));
  return addresses ? maskAddresses(out) : out;
}

void installLogMasking(bool addresses) {
  auto logger = spdlog::default_logger();
  auto sink = std::make_shared<MaskingSink>(logger->sinks(), addresses);
  auto masked = std::make_shared<spdlog::logger>(logger->name(), sink);
  masked->set_level(logger->level());
  masked->flush_on(logger->flush_level());
  spdlog::set_default_logger(masked);
}

}  // namespace rampart::security::masking
