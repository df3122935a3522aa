#include "security/encryption/key_status.h"

#include <sstream>

#include "rampart/core/datetime.h"
#include "rampart/storage/personal_data.h"

namespace rampart::security::encryption {

namespace json = boost::json;

json::object keyStatus(Keyring& keyring, const std::vector<std::string>& only, std::int64_t nowMs,
                       std::uint32_t maxKeyAgeDays) {
  std::lock_guard lock(keyring.storeMutex());
  auto& store = keyring.store();
  std::vector<std::string> tenants = only;
  if (tenants.empty()) {
    auto all = store.tenants();
    if (all.isOk()) tenants = all.value();
  }
  json::object progress;
  if (auto m = store.meta("reencryption"); m.isOk() && m.value()) {
    boost::system::error_code ec;
    auto v = json::parse(*m.value(), ec);
    if (!ec && v.is_object()) progress = v.as_object();
  }
  json::object passed;
  if (auto m = store.meta("reencryption-versions"); m.isOk() && m.value()) {
    boost::system::error_code ec;
    auto v = json::parse(*m.value(), ec);
    if (!ec && v.is_object()) passed = v.as_object();
  }
  json::array out;
  for (const auto& t : tenants) {
    json::object o;
    o["tenant"] = t;
    auto keys = store.tenantKeys(t);
    json::array versions;
    std::uint32_t current = 0;
    if (keys.isOk()) {
      for (const auto& k : keys.value()) current = std::max(current, k.version);
      for (const auto& k : keys.value()) {
        auto accounts = store.accountKeyCount(t, k.version);
        versions.push_back(json::object{
            {"version", k.version},
            {"state", k.version == current ? "current" : "retired"},
            {"created", core::formatDateTime(k.createdMs * 1000)},
            {"age_days", (nowMs - k.createdMs) / 86400000},
            {"wrapped_by", k.wrappedBy},
            {"account_keys", accounts.isOk() ? accounts.value() : 0}});
      }
    }
    o["current_version"] = current;
    o["versions"] = std::move(versions);
    o["sealed_only"] = store.meta("sealed-only:" + t).value_or(std::nullopt) ==
                       std::optional<std::string>(std::to_string(storage::kSealedGeneration));
    // A pass covers a tenant's version once it completed with that version current; until
    // the server starts the next one, the rotation waits ("pending").
    std::string state = progress.contains("state") && progress.at("state").is_string()
                            ? std::string(progress.at("state").as_string())
                            : "idle";
    if (state != "running") {
      const auto* done = passed.if_contains(t);
      const auto* gen = passed.if_contains("");  // the sealed columns' generation it covered
      if (done == nullptr || !done->is_int64() || done->as_int64() != current || gen == nullptr ||
          !gen->is_int64() || gen->as_int64() != storage::kSealedGeneration) {
        state = "pending";
      }
    }
    json::object re{{"state", state}};
    std::uint64_t total = 0, cur = 0, resealed = 0, failed = 0, shredded = 0;
    if (const auto* ts = progress.if_contains("tenants"); ts && ts->is_object()) {
      if (const auto* p = ts->as_object().if_contains(t); p && p->is_object()) {
        const auto& po = p->as_object();
        auto num = [&](const char* k) {
          const auto* v = po.if_contains(k);
          return v && v->is_number() ? v->to_number<std::uint64_t>() : 0;
        };
        total = num("total");
        cur = num("current");
        resealed = num("resealed");
        failed = num("failed");
        shredded = num("shredded");
      }
    }
    re["values_seen"] = total;
    re["already_current"] = cur;
    re["resealed"] = resealed;
    re["failed"] = failed;
    re["shredded"] = shredded;
    // Progress of the pass: values under the current key among those seen so far (values of
    // erased accounts count as done: nothing can read them), in whole percent.
    re["progress_percent"] =
        state == "pending" ? std::int64_t{0}
        : total == 0       ? std::int64_t{state == "running" ? 0 : 100}
                           : static_cast<std::int64_t>(100 * (cur + resealed + shredded) / total);
    if (const auto* s = progress.if_contains("started_ms"); s && s->is_int64()) {
      re["started"] = core::formatDateTime(s->as_int64() * 1000);
    }
    if (const auto* f = progress.if_contains("finished_ms"); f && f->is_int64()) {
      re["finished"] = core::formatDateTime(f->as_int64() * 1000);
    }
    o["reencryption"] = std::move(re);
    out.push_back(std::move(o));
  }
  return json::object{{"provider", keyring.providerName()},
                      {"max_key_age_days", maxKeyAgeDays},
                      {"tenants", std::move(out)}};
}

std::string keyStatusText(const json::object& s) {
  std::ostringstream out;
  out << "key provider: " << json::value_to<std::string>(s.at("provider"))
      << "; maximum key age " << s.at("max_key_age_days").to_number<std::int64_t>() << " days\n";
  for (const auto& tv : s.at("tenants").as_array()) {
    const auto& t = tv.as_object();
    out << "tenant " << json::value_to<std::string>(t.at("tenant")) << ": current version "
        << t.at("current_version").to_number<std::int64_t>() << "\n";
    for (const auto& vv : t.at("versions").as_array()) {
      const auto& v = vv.as_object();
      out << "  v" << v.at("version").to_number<std::int64_t>() << "  "
          << json::value_to<std::string>(v.at("state")) << "  created "
          << json::value_to<std::string>(v.at("created")) << " (" << v.at("age_days").to_number<std::int64_t>()
          << " days)  " << v.at("account_keys").to_number<std::int64_t>() << " account keys\n";
    }
    const auto& r = t.at("reencryption").as_object();
    out << "  re-encryption: " << json::value_to<std::string>(r.at("state")) << ", "
        << r.at("progress_percent").to_number<std::int64_t>() << "% ("
        << r.at("resealed").to_number<std::uint64_t>() << " sealed again, "
        << r.at("already_current").to_number<std::uint64_t>() << " already current, "
        << r.at("failed").to_number<std::uint64_t>() << " failed)\n";
  }
  return out.str();
}

}  // namespace rampart::security::encryption
