#include "security/privacy/consent.h"

#include <unicode/utf8.h>

#include <fstream>
#include <sstream>

#include "rampart/core/datetime.h"

namespace rampart::security::privacy {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxNoticeBytes = 64 * 1024;

core::Result<std::string> readNotice(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::invalidArgument("cannot read the privacy notice " + path);
  std::ostringstream out;
  out << in.rdbuf();
  std::string text = out.str();
  if (text.empty() || text.size() > kMaxNoticeBytes) {
    return core::Status::invalidArgument("the privacy notice " + path +
                                         " must hold between 1 byte and 64 KiB of text");
  }
  const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
  const auto n = static_cast<std::int32_t>(text.size());
  for (std::int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0 || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
      return core::Status::invalidArgument("the privacy notice " + path +
                                           " is not plain UTF-8 text");
    }
  }
  return text;
}

std::string iso(std::int64_t ms) { return core::formatDateTime(ms * 1000); }

json::object acceptanceJson(const Acceptance& a) {
  return json::object{{"version", a.version}, {"time", iso(a.timeMs)}, {"channel", a.channel}};
}

}  // namespace

const std::string& Notice::textFor(std::string_view lang) const {
  const bool zh = lang == "zh" || lang.starts_with("zh-") || lang.starts_with("zh_");
  return zh && !textZh.empty() ? textZh : text;
}

core::Result<Notices> Notices::load(const core::Config& config) {
  Notices out;
  for (const auto& h : config.hosts) {
    const auto opts = config.privacyFor(h.name);
    const std::string version = opts.noticeVersion.value_or("");
    if (version.empty()) continue;
    Notice n;
    n.version = version;
    auto text = readNotice(opts.noticeFile.value_or(""));
    if (!text.isOk()) return text.status();
    n.text = std::move(text).value();
    if (!opts.noticeFileZh.value_or("").empty()) {
      auto zh = readNotice(*opts.noticeFileZh);
      if (!zh.isOk()) return zh.status();
      n.textZh = std::move(zh).value();
    }
    out.byHost_.emplace(h.name, std::move(n));
  }
  return out;
}

const Notice* Notices::of(std::string_view host) const {
  auto it = byHost_.find(host);
  return it == byHost_.end() ? nullptr : &it->second;
}

core::Result<std::vector<Acceptance>> acceptances(storage::Storage& s, std::string_view host,
                                                  std::string_view user) {
  auto stored = s.keyValue().get(host, user, kConsentStore, kConsentKey);
  if (!stored.isOk()) return stored.status();
  std::vector<Acceptance> out;
  if (!stored.value()) return out;
  boost::system::error_code ec;
  auto doc = json::parse(*stored.value(), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("accepted") ||
      !doc.as_object().at("accepted").is_array()) {
    return core::Status::ioError("the stored consent record is not readable");
  }
  for (const auto& v : doc.as_object().at("accepted").as_array()) {
    const auto* o = v.if_object();
    if (o == nullptr) continue;
    Acceptance a;
    if (const auto* x = o->if_contains("version"); x && x->is_string()) a.version = x->as_string();
    if (const auto* x = o->if_contains("time_ms"); x && x->is_int64()) a.timeMs = x->as_int64();
    if (const auto* x = o->if_contains("channel"); x && x->is_string()) a.channel = x->as_string();
    out.push_back(std::move(a));
  }
  return out;
}

core::Status recordAcceptance(storage::Storage& s, std::string_view host, std::string_view user,
                              const Acceptance& a) {
  auto had = acceptances(s, host, user);
  if (!had.isOk()) return had.status();
  json::array list;
  for (const auto& x : had.value()) {
    list.push_back(json::object{{"version", x.version}, {"time_ms", x.timeMs}, {"channel", x.channel}});
  }
  list.push_back(json::object{{"version", a.version}, {"time_ms", a.timeMs}, {"channel", a.channel}});
  return s.keyValue().put(host, user, kConsentStore, kConsentKey,
                          json::serialize(json::object{{"accepted", std::move(list)}}));
}

bool consentNeeded(const Notice* notice, const std::vector<Acceptance>& accepted) {
  return notice != nullptr && (accepted.empty() || accepted.back().version != notice->version);
}

json::object consentJson(const Notice* notice, const std::vector<Acceptance>& accepted,
                         std::string_view lang) {
  json::array history;
  for (const auto& a : accepted) history.push_back(acceptanceJson(a));
  json::object o;
  o["version"] = notice ? json::value(notice->version) : json::value(nullptr);
  o["text"] = notice ? json::value(notice->textFor(lang)) : json::value(nullptr);
  o["accepted"] = accepted.empty() ? json::value(nullptr) : json::value(acceptanceJson(accepted.back()));
  o["required"] = consentNeeded(notice, accepted);
  o["history"] = std::move(history);
  return o;
}

}  // namespace rampart::security::privacy
