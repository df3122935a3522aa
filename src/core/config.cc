// TOML configuration loading with range checks and precise messages.

#include "core/config.h"

#include "core/cidr.h"

#include <filesystem>

#include <toml++/toml.h>

#include <algorithm>
#include <thread>

#include "rampart/core/jid.h"
#include "rampart/security/masker.h"

namespace rampart::core {
namespace {

std::string where(const toml::node& n) {
  const auto& s = n.source();
  return "line " + std::to_string(s.begin.line);
}

template <typename T>
T need(const toml::node& n, const std::string& key) {
  auto v = n.value<T>();
  if (!v) {
    throw ConfigError(key + " (" + where(n) + ") has the wrong type");
  }
  return *v;
}

std::int64_t intIn(const toml::node& n, const std::string& key, std::int64_t lo, std::int64_t hi) {
  auto v = need<std::int64_t>(n, key);
  if (v < lo || v > hi) {
    throw ConfigError(key + " (" + where(n) + ") must be between " + std::to_string(lo) +
                      " and " + std::to_string(hi) + ", got " + std::to_string(v));
  }
  return v;
}

void readListener(const toml::table& t, const std::string& name, ListenerConfig& l) {
  for (auto&& [k, v] : t) {
    std::string key = name + "." + std::string(k.str());
    if (k == "enabled") {
      l.enabled = need<bool>(v, key);
    } else if (k == "port") {
      l.port = static_cast<std::uint16_t>(intIn(v, key, 0, 65535));
    } else if (k == "addresses") {
      const auto* arr = v.as_array();
      if (arr == nullptr || arr->empty()) {
        throw ConfigError(key + " must be a non-empty array of IP addresses");
      }
      l.addresses.clear();
      for (auto&& a : *arr) {
        l.addresses.push_back(need<std::string>(a, key));
      }
    } else {
      throw ConfigError("unknown option " + key + " (" + where(v) + ")");
    }
  }
}

std::vector<std::string> stringList(const toml::node& v, const std::string& key) {
  const auto* arr = v.as_array();
  if (arr == nullptr) {
    throw ConfigError(key + " must be an array of strings (" + where(v) + ")");
  }
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    out.push_back(need<std::string>(item, key));
    if (out.back().empty() || out.back().size() > 1024) {
      throw ConfigError(key + ": every entry must be 1-1024 bytes (" + where(item) + ")");
    }
  }
  return out;
}

std::vector<std::string> cidrArray(const toml::node& v, const std::string& key) {
  const auto* arr = v.as_array();
  if (arr == nullptr) {
    throw ConfigError(key + " must be an array of addresses or CIDR ranges (" + where(v) + ")");
  }
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    out.push_back(need<std::string>(item, key));
  }
  std::string bad;
  if (!CidrList::parse(out, &bad)) {
    throw ConfigError(key + ": \"" + bad + "\" is not an address or CIDR range");
  }
  return out;
}

void readAdmin(const toml::table& t, Config& c) {
  toml::table listener;
  for (auto&& [k, v] : t) {
    const std::string key = "admin." + std::string(k.str());
    if (k == "allow") {
      c.adminAllow = cidrArray(v, key);
    } else if (k == "metrics_allow") {
      c.metricsAllow = cidrArray(v, key);
    } else if (k == "client_ca") {
      c.adminClientCa = need<std::string>(v, key);
    } else if (k == "session_idle_timeout") {
      c.adminSessionIdle = static_cast<std::uint32_t>(intIn(v, key, 1, 86400));
    } else if (k == "session_max_age") {
      c.adminSessionMaxAge = static_cast<std::uint32_t>(intIn(v, key, 1, 7 * 86400));
    } else if (k == "max_failures") {
      c.adminMaxFailures = static_cast<std::uint32_t>(intIn(v, key, 1, 100));
    } else if (k == "lockout_seconds") {
      c.adminLockoutSeconds = static_cast<std::uint32_t>(intIn(v, key, 10, 86400));
    } else if (k == "roles") {
      const auto* roles = v.as_table();
      if (roles == nullptr) {
        throw ConfigError(key + " must be a table of [admin.roles.ROLE] tables");
      }
      for (auto&& [role, rv] : *roles) {
        const std::string name(role.str());
        if (name != "sysadmin" && name != "secadmin" && name != "auditor" && name != "reviewer") {
          throw ConfigError("admin.roles." + name +
                            ": the roles are sysadmin, secadmin, auditor and reviewer");
        }
        const auto* rt = rv.as_table();
        if (rt == nullptr) {
          throw ConfigError("admin.roles." + name + " must be a table");
        }
        Config::AdminRole& r = c.adminRoles[name];
        for (auto&& [rk, rvv] : *rt) {
          const std::string rkey = "admin.roles." + name + "." + std::string(rk.str());
          if (rk == "allow") {
            r.allow = cidrArray(rvv, rkey);
          } else if (rk == "client_certificate") {
            r.clientCertificate = need<bool>(rvv, rkey);
          } else {
            throw ConfigError("unknown option " + rkey + " (" + where(rvv) + ")");
          }
        }
      }
    } else {
      listener.insert(k, v);
    }
  }
  readListener(listener, "admin", c.admin);
}

void readModules(const toml::table& t, const std::string& prefix,
                 std::map<std::string, ModuleOptions>& into) {
  for (auto&& [name, mv] : t) {
    const std::string where_ = prefix + "." + std::string(name.str());
    const auto* mt = mv.as_table();
    if (mt == nullptr) {
      throw ConfigError(where_ + " must be a table");
    }
    ModuleOptions& mo = into[std::string(name.str())];
    for (auto&& [k, v] : *mt) {
      std::string key(k.str());
      if (key == "enabled") {
        mo.enabled = need<bool>(v, where_ + ".enabled");
        mo.enabledGiven = true;
      } else if (auto b = v.value<bool>(); v.is_boolean()) {
        mo.bools[key] = *b;
      } else if (v.is_integer()) {
        mo.ints[key] = *v.value<std::int64_t>();
      } else if (v.is_string()) {
        mo.strings[key] = *v.value<std::string>();
      } else {
        throw ConfigError(where_ + "." + key + " must be a boolean, integer or string");
      }
    }
  }
}

std::string contentAction(const toml::node& v, const std::string& key) {
  std::string a = need<std::string>(v, key);
  if (a != "allow" && a != "mask" && a != "warn" && a != "block" && a != "quarantine" &&
      a != "off") {
    throw ConfigError(key + " must be \"allow\", \"mask\", \"warn\", \"block\", "
                      "\"quarantine\" or \"off\", not \"" + a + "\" (" + where(v) + ")");
  }
  return a;
}

void readPrivacy(const toml::table& t, const std::string& prefix, PrivacyOptions& o) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix + "." + std::string(k.str());
    if (k == "notice_version") {
      o.noticeVersion = need<std::string>(v, key);
      if (o.noticeVersion->size() > 64) {
        throw ConfigError(key + " is longer than 64 bytes (" + where(v) + ")");
      }
    } else if (k == "notice_file") {
      o.noticeFile = need<std::string>(v, key);
    } else if (k == "notice_file_zh") {
      o.noticeFileZh = need<std::string>(v, key);
    } else if (k == "show_legal_hold") {
      o.showLegalHold = need<bool>(v, key);
    } else {
      throw ConfigError("unknown option " + key + " (" + where(v) + ")");
    }
  }
}

void readRetention(const toml::table& t, const std::string& prefix, RetentionOptions& o) {
  auto days = [](const toml::node& v, const std::string& key) {
    return static_cast<std::uint32_t>(intIn(v, key, 0, 36500));
  };
  for (auto&& [k, v] : t) {
    const std::string key = prefix + "." + std::string(k.str());
    if (k == "archive_days") {
      o.archiveDays = days(v, key);
    } else if (k == "room_archive_days") {
      o.roomArchiveDays = days(v, key);
    } else if (k == "file_days") {
      o.fileDays = days(v, key);
    } else if (k == "login_days") {
      o.loginDays = days(v, key);
    } else if (k == "rooms" && v.is_table()) {
      for (auto&& [room, d] : *v.as_table()) {
        const std::string roomKey = key + "." + std::string(room.str());
        auto jid = Jid::parse(room.str());
        if (!jid || jid->local().empty() || !jid->resource().empty()) {
          throw ConfigError(roomKey + ": a room is named by its bare JID, room@service (" +
                            where(d) + ")");
        }
        o.rooms[jid->bareStr()] = days(d, roomKey);
      }
    } else {
      throw ConfigError("unknown option " + key + " (" + where(v) + ")");
    }
  }
}

void readContentSecurity(const toml::table& t, const std::string& prefix,
                         ContentSecurityOptions& o) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix + "." + std::string(k.str());
    if (k == "enabled") {
      o.enabled = need<bool>(v, key);
    } else if (k == "e2ee") {
      o.e2ee = need<std::string>(v, key);
      if (*o.e2ee != "allow" && *o.e2ee != "internal" && *o.e2ee != "refuse") {
        throw ConfigError(key + " must be \"allow\", \"internal\" or \"refuse\" (" +
                          where(v) + ")");
      }
    } else if (k == "review_alert_minutes") {
      o.reviewAlertMinutes = static_cast<std::uint32_t>(intIn(v, key, 1, 10080));
    } else if (k == "evidence_days") {
      o.evidenceDays = static_cast<std::uint32_t>(intIn(v, key, 1, 3650));
    } else if (k == "clamd_socket") {
      o.clamdSocket = need<std::string>(v, key);
      if (!o.clamdSocket->empty() && o.clamdSocket->front() != '/') {
        throw ConfigError(key + " must be the absolute path of clamd's LocalSocket (" +
                          where(v) + ")");
      }
    } else if (k == "scan_timeout_seconds") {
      o.scanTimeoutSeconds = static_cast<std::uint32_t>(intIn(v, key, 1, 600));
    } else if (k == "scanner_unavailable" || k == "type_mismatch" || k == "refused_files") {
      const std::string value = need<std::string>(v, key);
      const bool ok = k == "refused_files" ? (value == "keep" || value == "delete")
                      : k == "type_mismatch" ? (value == "refuse" || value == "allow")
                                             : (value == "refuse" || value == "accept");
      if (!ok) {
        throw ConfigError(key + (k == "refused_files" ? " must be \"keep\" or \"delete\""
                                 : k == "type_mismatch" ? " must be \"refuse\" or \"allow\""
                                                        : " must be \"refuse\" or \"accept\"") +
                          " (" + where(v) + ")");
      }
      (k == "refused_files" ? o.refusedFiles : k == "type_mismatch" ? o.typeMismatch
                                                                    : o.scannerUnavailable) = value;
    } else if (k == "forbidden_file_types") {
      o.forbiddenFileTypes = stringList(v, key);
    } else if (k == "inspect_text_uploads") {
      o.inspectTextUploads = need<bool>(v, key);
    } else if (k == "link_blocklists") {
      o.linkBlocklists = stringList(v, key);
    } else if (k == "link_allowlist") {
      o.linkAllowlist = stringList(v, key);
    } else if (k == "fraud_cues") {
      o.fraudCues = stringList(v, key);
    } else if ((k == "actions" || k == "context_actions") && v.is_table()) {
      auto& into = k == "actions" ? o.actions : o.contextActions;
      for (auto&& [rk, rv] : *v.as_table()) {
        into[std::string(rk.str())] = contentAction(rv, key + "." + std::string(rk.str()));
      }
    } else if (k == "rules" && v.is_array_of_tables()) {
      for (auto&& e : *v.as_array()) {
        ContentRuleOptions r;
        for (auto&& [rk, rv] : *e.as_table()) {
          const std::string rkey = key + "." + std::string(rk.str());
          if (rk == "name") {
            r.name = need<std::string>(rv, rkey);
          } else if (rk == "keywords") {
            r.keywords = stringList(rv, rkey);
          } else if (rk == "patterns") {
            r.patterns = stringList(rv, rkey);
          } else if (rk == "action") {
            r.action = contentAction(rv, rkey);
          } else {
            throw ConfigError("unknown option " + rkey + " (" + where(rv) + ")");
          }
        }
        if (r.name.empty() || r.name.size() > 64 || (r.keywords.empty() && r.patterns.empty())) {
          throw ConfigError(key + ": every rule needs a name (1-64 bytes) and keywords or "
                            "patterns (" + where(e) + ")");
        }
        // Two rules of one name in one list: one would silently replace the other.
        if (std::any_of(o.rules.begin(), o.rules.end(),
                        [&](const ContentRuleOptions& x) { return x.name == r.name; })) {
          throw ConfigError(key + ": two rules are named '" + r.name + "' (" + where(e) + ")");
        }
        o.rules.push_back(std::move(r));
      }
    } else {
      throw ConfigError("unknown option " + key + " (" + where(v) + ")");
    }
  }
}

void readAccountSecurity(const toml::table& t, const std::string& prefix,
                         AccountSecurityOptions& o) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix + "." + std::string(k.str());
    auto u32 = [&](std::int64_t lo, std::int64_t hi) {
      return static_cast<std::uint32_t>(intIn(v, key, lo, hi));
    };
    if (k == "password_profile") {
      o.passwordProfile = need<std::string>(v, key);
      if (*o.passwordProfile != "mlps" && *o.passwordProfile != "nist") {
        throw ConfigError(key + " must be \"mlps\" or \"nist\" (" + where(v) + ")");
      }
    } else if (k == "password_min_length") {
      o.passwordMinLength = u32(8, 128);
    } else if (k == "password_max_age_days") {
      o.passwordMaxAgeDays = u32(0, 3650);
    } else if (k == "password_history") {
      o.passwordHistory = u32(0, 24);
    } else if (k == "password_min_classes") {
      o.passwordMinClasses = u32(0, 4);
    } else if (k == "lockout_threshold") {
      o.lockoutThreshold = u32(3, 1000);
    } else if (k == "lockout_seconds") {
      o.lockoutSeconds = u32(10, 86400);
    } else if (k == "spray_threshold") {
      o.sprayThreshold = u32(5, 100000);
    } else if (k == "spray_window_seconds") {
      o.sprayWindowSeconds = u32(60, 86400);
    } else if (k == "anomaly_rules") {
      const auto* arr = v.as_array();
      if (arr == nullptr) throw ConfigError(key + " must be an array of rule names");
      std::vector<std::string> rules;
      for (auto&& e : *arr) {
        const std::string name = need<std::string>(e, key);
        if (name != "failure-burst" && name != "new-device" && name != "new-country" &&
            name != "impossible-travel" && name != "unusual-hour") {
          throw ConfigError(key + ": unknown rule \"" + name + "\" (" + where(e) + ")");
        }
        rules.push_back(name);
      }
      o.anomalyRules = std::move(rules);
    } else if (k == "anomaly_action") {
      o.anomalyAction = need<std::string>(v, key);
      if (*o.anomalyAction != "alert" && *o.anomalyAction != "freeze" &&
          *o.anomalyAction != "require-second-factor") {
        throw ConfigError(key + " must be \"alert\", \"freeze\" or \"require-second-factor\" (" +
                          where(v) + ")");
      }
    } else if (k == "failure_burst_threshold") {
      o.failureBurstThreshold = u32(2, 10000);
    } else if (k == "impossible_travel_kmh") {
      o.impossibleTravelKmh = static_cast<double>(intIn(v, key, 100, 100000));
    } else if (k == "mfa_required") {
      o.mfaRequired = need<bool>(v, key);
    } else if (k == "mfa_required_roles") {
      const auto* arr = v.as_array();
      if (arr == nullptr) throw ConfigError(key + " must be an array of role names");
      std::vector<std::string> roles;
      for (auto&& e : *arr) {
        const std::string name = need<std::string>(e, key);
        if (name != "sysadmin" && name != "secadmin" && name != "auditor" && name != "reviewer") {
          throw ConfigError(key + ": unknown role \"" + name + "\" (" + where(e) + ")");
        }
        roles.push_back(name);
      }
      o.mfaRequiredRoles = std::move(roles);
    } else if (k == "mfa_grace_days") {
      o.mfaGraceDays = u32(0, 365);
    } else if (k == "reset_questions") {
      o.resetQuestions = need<bool>(v, key);
    } else if (k == "sms_gateway_url") {
      o.smsGatewayUrl = need<std::string>(v, key);
      if (!o.smsGatewayUrl->empty() && !o.smsGatewayUrl->starts_with("https://") &&
          !o.smsGatewayUrl->starts_with("http://127.") &&
          !o.smsGatewayUrl->starts_with("http://localhost")) {
        throw ConfigError(key + " must be an https:// URL (plain http only on loopback) (" +
                          where(v) + ")");
      }
    } else if (k == "sms_gateway_secret") {
      o.smsGatewaySecret = need<std::string>(v, key);
    } else {
      throw ConfigError("unknown option " + key + " (" + where(v) + ")");
    }
  }
}

}  // namespace

void AccountSecurityOptions::overrideWith(const AccountSecurityOptions& o) {
  auto take = [](auto& mine, const auto& theirs) {
    if (theirs) mine = theirs;
  };
  take(passwordProfile, o.passwordProfile);
  take(passwordMinLength, o.passwordMinLength);
  take(passwordMaxAgeDays, o.passwordMaxAgeDays);
  take(passwordHistory, o.passwordHistory);
  take(passwordMinClasses, o.passwordMinClasses);
  take(lockoutThreshold, o.lockoutThreshold);
  take(lockoutSeconds, o.lockoutSeconds);
  take(sprayThreshold, o.sprayThreshold);
  take(sprayWindowSeconds, o.sprayWindowSeconds);
  take(anomalyRules, o.anomalyRules);
  take(anomalyAction, o.anomalyAction);
  take(failureBurstThreshold, o.failureBurstThreshold);
  take(impossibleTravelKmh, o.impossibleTravelKmh);
  take(mfaRequired, o.mfaRequired);
  take(mfaRequiredRoles, o.mfaRequiredRoles);
  take(mfaGraceDays, o.mfaGraceDays);
  take(resetQuestions, o.resetQuestions);
  take(smsGatewayUrl, o.smsGatewayUrl);
  take(smsGatewaySecret, o.smsGatewaySecret);
}

void ContentSecurityOptions::overrideWith(const ContentSecurityOptions& o) {
  if (o.enabled) enabled = o.enabled;
  if (o.e2ee) e2ee = o.e2ee;
  if (o.reviewAlertMinutes) reviewAlertMinutes = o.reviewAlertMinutes;
  if (o.evidenceDays) evidenceDays = o.evidenceDays;
  if (o.clamdSocket) clamdSocket = o.clamdSocket;
  if (o.scanTimeoutSeconds) scanTimeoutSeconds = o.scanTimeoutSeconds;
  if (o.scannerUnavailable) scannerUnavailable = o.scannerUnavailable;
  if (o.forbiddenFileTypes) forbiddenFileTypes = o.forbiddenFileTypes;
  if (o.typeMismatch) typeMismatch = o.typeMismatch;
  if (o.refusedFiles) refusedFiles = o.refusedFiles;
  if (o.inspectTextUploads) inspectTextUploads = o.inspectTextUploads;
  if (o.linkBlocklists) linkBlocklists = o.linkBlocklists;
  if (o.linkAllowlist) linkAllowlist = o.linkAllowlist;
  if (o.fraudCues) fraudCues = o.fraudCues;
  for (const auto& [k, v] : o.actions) actions[k] = v;
  for (const auto& [k, v] : o.contextActions) contextActions[k] = v;
  for (const auto& r : o.rules) {
    std::erase_if(rules, [&](const ContentRuleOptions& x) { return x.name == r.name; });
    rules.push_back(r);
  }
}

void PrivacyOptions::overrideWith(const PrivacyOptions& o) {
  if (o.noticeVersion) noticeVersion = o.noticeVersion;
  if (o.noticeFile) noticeFile = o.noticeFile;
  if (o.noticeFileZh) noticeFileZh = o.noticeFileZh;
  if (o.showLegalHold) showLegalHold = o.showLegalHold;
}

void RetentionOptions::overrideWith(const RetentionOptions& o) {
  if (o.archiveDays) archiveDays = o.archiveDays;
  if (o.roomArchiveDays) roomArchiveDays = o.roomArchiveDays;
  if (o.fileDays) fileDays = o.fileDays;
  if (o.loginDays) loginDays = o.loginDays;
  for (const auto& [room, days] : o.rooms) rooms[room] = days;
}

std::string Config::regionOf(std::string_view host) const {
  for (const auto& h : hosts) {
    if (host == h.name ||
        (host.size() > h.name.size() + 1 && host.ends_with("." + h.name))) {
      return h.region;
    }
  }
  return {};
}

std::string Config::dataDirFor(std::string_view host) const {
  return dataDirOfRegion(regionOf(host));
}

PrivacyOptions Config::privacyFor(std::string_view host) const {
  PrivacyOptions out = privacy;
  for (const auto& h : hosts) {
    if (h.name == host) out.overrideWith(h.privacy);
  }
  return out;
}

RetentionOptions Config::retentionFor(std::string_view host) const {
  RetentionOptions out = retention;
  for (const auto& h : hosts) {
    if (h.name == host) out.overrideWith(h.retention);
  }
  return out;
}

ContentSecurityOptions Config::contentSecurityFor(std::string_view host) const {
  ContentSecurityOptions out = contentSecurity;
  for (const auto& h : hosts) {
    if (h.name == host) {
      out.overrideWith(h.contentSecurity);
    }
  }
  return out;
}

AccountSecurityOptions Config::accountSecurityFor(std::string_view host) const {
  AccountSecurityOptions out = accountSecurity;
  for (const auto& h : hosts) {
    if (h.name == host) {
      out.overrideWith(h.accountSecurity);
    }
  }
  return out;
}

std::optional<ModuleOptions> Config::moduleOptions(const std::string& host,
                                                   const std::string& name) const {
  std::optional<ModuleOptions> out;
  if (const ModuleOptions* global = moduleOptions(name)) {
    out = *global;
  }
  for (const auto& h : hosts) {
    if (h.name != host) {
      continue;
    }
    auto it = h.modules.find(name);
    if (it == h.modules.end()) {
      break;
    }
    if (!out) {
      out = ModuleOptions{};
    }
    const ModuleOptions& o = it->second;
    if (o.enabledGiven) {
      out->enabled = o.enabled;
      out->enabledGiven = true;
    }
    for (const auto& [k, v] : o.bools) out->bools[k] = v;
    for (const auto& [k, v] : o.ints) out->ints[k] = v;
    for (const auto& [k, v] : o.strings) out->strings[k] = v;
  }
  return out;
}

std::string Config::resolvedWebAdminDir() const {
  if (!webAdminDir.empty()) {
    return webAdminDir;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "web/admin/dist";
  }
  return (exe.parent_path().parent_path() / "web" / "admin" / "dist").string();
}

std::string Config::resolvedWebAccountDir() const {
  if (!webAccountDir.empty()) {
    return webAccountDir;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "web/account/dist";
  }
  return (exe.parent_path().parent_path() / "web" / "account" / "dist").string();
}

std::string Config::resolvedWebChatDir() const {
  if (!webChatDir.empty()) {
    return webChatDir;
  }
  // BUILD_DIR/rampartd -> SOURCE_DIR/web/chat (the build trees sit in the source tree).
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "web/chat";
  }
  return (exe.parent_path().parent_path() / "web" / "chat").string();
}

Config loadConfig(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(path + ": " + std::string(e.description()) + " at line " +
                      std::to_string(e.source().begin.line));
  }
  Config c;
  c.configPath = path;
  for (auto&& [section, node] : root) {
    const std::string sec(section.str());
    const auto* t = node.as_table();
    if (sec == "hosts") {
      const auto* arr = node.as_array();
      if (arr == nullptr) {
        throw ConfigError("hosts must be an array of tables: [[hosts]]");
      }
      for (auto&& h : *arr) {
        const auto* ht = h.as_table();
        if (ht == nullptr) {
          throw ConfigError("each [[hosts]] entry must be a table");
        }
        HostConfig hc;
        for (auto&& [k, v] : *ht) {
          std::string key = "hosts." + std::string(k.str());
          if (k == "name") {
            hc.name = need<std::string>(v, key);
          } else if (k == "display_name") {
            hc.displayName = need<std::string>(v, key);
            if (hc.displayName.size() > 128) {
              throw ConfigError(key + " is longer than 128 bytes (" + where(v) + ")");
            }
          } else if (k == "certificate") {
            hc.certFile = need<std::string>(v, key);
          } else if (k == "private_key") {
            hc.keyFile = need<std::string>(v, key);
          } else if (k == "modules" && v.is_table()) {
            readModules(*v.as_table(), "hosts.modules", hc.modules);
          } else if (k == "account_security" && v.is_table()) {
            readAccountSecurity(*v.as_table(), "hosts.account_security", hc.accountSecurity);
          } else if (k == "content_security" && v.is_table()) {
            readContentSecurity(*v.as_table(), "hosts.content_security", hc.contentSecurity);
          } else if (k == "region") {
            hc.region = need<std::string>(v, key);
          } else if (k == "privacy" && v.is_table()) {
            readPrivacy(*v.as_table(), "hosts.privacy", hc.privacy);
          } else if (k == "retention" && v.is_table()) {
            readRetention(*v.as_table(), "hosts.retention", hc.retention);
          } else {
            throw ConfigError("unknown option " + key + " (" + where(v) + ")");
          }
        }
        c.hosts.push_back(std::move(hc));
      }
      continue;
    }
    if (t == nullptr) {
      throw ConfigError("top-level key '" + sec + "' must be a [section]");
    }
    if (sec == "server") {
      for (auto&& [k, v] : *t) {
        std::string key = "server." + std::string(k.str());
        if (k == "data_dir") {
          c.dataDir = need<std::string>(v, key);
        } else if (k == "threads") {
          c.threads = static_cast<unsigned>(intIn(v, key, 0, 256));
        } else if (k == "log_level") {
          c.logLevel = need<std::string>(v, key);
        } else if (k == "pid_file") {
          c.pidFile = need<std::string>(v, key);
        } else if (k == "cross_host_traffic") {
          c.crossHostTraffic = need<bool>(v, key);
        } else if (k == "resource_conflict") {
          c.conflictPolicy = need<std::string>(v, key);
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "storage") {
      for (auto&& [k, v] : *t) {
        std::string key = "storage." + std::string(k.str());
        if (k == "driver") {
          if (need<std::string>(v, key) != "sqlite") {
            throw ConfigError(key + ": only \"sqlite\" is available in this build");
          }
        } else if (k == "path") {
          c.dbPath = need<std::string>(v, key);
        } else if (k == "synchronous") {
          c.dbSynchronous = need<std::string>(v, key);
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "tls") {
      for (auto&& [k, v] : *t) {
        std::string key = "tls." + std::string(k.str());
        if (k == "certificate") {
          c.certFile = need<std::string>(v, key);
        } else if (k == "private_key") {
          c.keyFile = need<std::string>(v, key);
        } else if (k == "min_version") {
          c.tlsMinVersion = need<std::string>(v, key);
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "c2s") {
      for (auto&& [k, v] : *t) {
        std::string key = "c2s." + std::string(k.str());
        if (k == "starttls" || k == "direct_tls") {
          const auto* lt = v.as_table();
          if (lt == nullptr) {
            throw ConfigError(key + " must be a table");
          }
          readListener(*lt, key, k == "starttls" ? c.c2s : c.c2sTls);
        } else if (k == "max_stanza_bytes") {
          c.maxStanzaBytes = static_cast<std::size_t>(intIn(v, key, 10000, 64 * 1024 * 1024));
        } else if (k == "max_outbound_bytes") {
          c.maxOutboundBytes = static_cast<std::size_t>(intIn(v, key, 65536, 1LL << 30));
        } else if (k == "resume_timeout") {
          c.resumeTimeoutSeconds = static_cast<std::uint32_t>(intIn(v, key, 0, 86400));
        } else if (k == "max_unacked") {
          c.maxUnacked = static_cast<std::size_t>(intIn(v, key, 100, 1000000));
        } else if (k == "csi_max_queue") {
          c.csiMaxQueue = static_cast<std::size_t>(intIn(v, key, 0, 100000));
        } else if (k == "tls_handshake_timeout") {
          c.tlsHandshakeTimeout = static_cast<std::uint32_t>(intIn(v, key, 1, 3600));
        } else if (k == "stream_open_timeout") {
          c.streamOpenTimeout = static_cast<std::uint32_t>(intIn(v, key, 1, 3600));
        } else if (k == "auth_timeout") {
          c.authTimeout = static_cast<std::uint32_t>(intIn(v, key, 1, 3600));
        } else if (k == "bind_timeout") {
          c.bindTimeout = static_cast<std::uint32_t>(intIn(v, key, 1, 3600));
        } else if (k == "max_negotiating_per_address") {
          c.maxNegotiatingPerAddress = static_cast<std::size_t>(intIn(v, key, 1, 1000000));
        } else if (k == "max_negotiating") {
          c.maxNegotiating = static_cast<std::size_t>(intIn(v, key, 1, 10000000));
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "sasl") {
      for (auto&& [k, v] : *t) {
        std::string key = "sasl." + std::string(k.str());
        if (k == "scram_iterations") {
          c.scramIterations = static_cast<std::uint32_t>(intIn(v, key, 4096, 10'000'000));
        } else if (k == "allow_plain") {
          c.allowPlain = need<bool>(v, key);
        } else if (k == "max_failures") {
          c.maxAuthFailures = static_cast<std::uint32_t>(intIn(v, key, 1, 100));
        } else if (k == "throttle_max_delay_ms") {
          c.throttleMaxDelayMs = static_cast<std::uint32_t>(intIn(v, key, 250, 600000));
        } else if (k == "accept_channel_binding_downgrade") {
          c.acceptCbDowngrade = need<bool>(v, key);
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "web") {
      for (auto&& [k, v] : *t) {
        if (k == "chat_dir") {
          c.webChatDir = need<std::string>(v, "web.chat_dir");
        } else if (k == "admin_dir") {
          c.webAdminDir = need<std::string>(v, "web.admin_dir");
        } else if (k == "account_dir") {
          c.webAccountDir = need<std::string>(v, "web.account_dir");
        } else {
          throw ConfigError("unknown option web." + std::string(k.str()) + " (" + where(v) + ")");
        }
      }
    } else if (sec == "https") {
      toml::table listener;
      for (auto&& [k, v] : *t) {
        if (k == "public_url") {
          c.httpsPublicUrl = need<std::string>(v, "https.public_url");
          if (!c.httpsPublicUrl.starts_with("https://")) {
            throw ConfigError("https.public_url must start with https:// (" + where(v) + ")");
          }
          while (c.httpsPublicUrl.ends_with("/")) {
            c.httpsPublicUrl.pop_back();
          }
        } else if (k == "header_timeout") {
          c.httpsHeaderTimeout = static_cast<std::uint32_t>(intIn(v, "https.header_timeout", 1, 3600));
        } else if (k == "min_body_rate") {
          c.httpsMinBodyRate =
              static_cast<std::uint32_t>(intIn(v, "https.min_body_rate", 1, 1 << 30));
        } else if (k == "body_grace") {
          c.httpsBodyGrace = static_cast<std::uint32_t>(intIn(v, "https.body_grace", 1, 3600));
        } else if (k == "metrics_allow" || k == "metrics_token") {
          throw ConfigError("https." + std::string(k.str()) +
                            ": /metrics moved to the admin listener; use admin.metrics_allow, "
                            "or an admin API token (" + where(v) + ")");
        } else {
          listener.insert(k, v);
        }
      }
      readListener(listener, "https", c.https);
    } else if (sec == "admin") {
      readAdmin(*t, c);
    } else if (sec == "account_center") {
      for (auto&& [k, v] : *t) {
        const std::string key = "account_center." + std::string(k.str());
        if (k == "enabled") {
          c.accountCenter = need<bool>(v, key);
        } else if (k == "session_idle_timeout") {
          c.accountSessionIdle = static_cast<std::uint32_t>(intIn(v, key, 60, 86400));
        } else if (k == "session_max_age") {
          c.accountSessionMaxAge = static_cast<std::uint32_t>(intIn(v, key, 300, 7 * 86400));
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "account_security") {
      toml::table rest;
      for (auto&& [k, v] : *t) {
        if (k == "password_blocklist") {
          c.passwordBlocklist = need<std::string>(v, "account_security.password_blocklist");
        } else if (k == "geoip_database") {
          c.geoipDatabase = need<std::string>(v, "account_security.geoip_database");
        } else {
          rest.insert(k, v);
        }
      }
      readAccountSecurity(rest, "account_security", c.accountSecurity);
    } else if (sec == "content_security") {
      readContentSecurity(*t, "content_security", c.contentSecurity);
    } else if (sec == "residency") {
      for (auto&& [k, v] : *t) {
        const std::string key = "residency." + std::string(k.str());
        if (k == "cross_region") {
          c.crossRegion = need<std::string>(v, key);
          if (c.crossRegion != "refuse" && c.crossRegion != "allow") {
            throw ConfigError(key + " must be \"refuse\" or \"allow\" (" + where(v) + ")");
          }
        } else if (k == "regions" && v.is_table()) {
          for (auto&& [name, r] : *v.as_table()) {
            const std::string rkey = key + "." + std::string(name.str());
            const auto* rt = r.as_table();
            if (rt == nullptr) {
              throw ConfigError(rkey + " must be a table with data_dir (" + where(r) + ")");
            }
            const std::string_view n = name.str();
            if (n.empty() || n.size() > 64 ||
                n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") !=
                    std::string_view::npos) {
              throw ConfigError(rkey + ": a region's name is 1 to 64 of a-z, 0-9, '-' and '_' (" +
                                where(r) + ")");
            }
            Config::Region region;
            for (auto&& [rk, rv] : *rt) {
              if (rk == "data_dir") {
                region.dataDir = need<std::string>(rv, rkey + ".data_dir");
              } else {
                throw ConfigError("unknown option " + rkey + "." + std::string(rk.str()) + " (" +
                                  where(rv) + ")");
              }
            }
            if (region.dataDir.empty()) {
              throw ConfigError(rkey + ".data_dir is required (" + where(r) + ")");
            }
            c.regions[std::string(name.str())] = region;
          }
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
    } else if (sec == "privacy") {
      readPrivacy(*t, "privacy", c.privacy);
    } else if (sec == "retention") {
      toml::table rest;
      for (auto&& [k, v] : *t) {
        if (k == "audit_days") {
          c.auditRetentionDays = static_cast<std::uint32_t>(intIn(v, "retention.audit_days", 180, 36500));
        } else {
          rest.insert(k, v);
        }
      }
      readRetention(rest, "retention", c.retention);
    } else if (sec == "masking") {
      for (auto&& [k, v] : *t) {
        const std::string key = "masking." + std::string(k.str());
        if (k == "log_addresses" || k == "alert_addresses") {
          const std::string mode = need<std::string>(v, key);
          if (mode != "mask" && mode != "clear") {
            throw ConfigError(key + " must be \"mask\" or \"clear\" (" + where(v) + ")");
          }
          (k == "log_addresses" ? c.maskLogAddresses : c.maskAlertAddresses) = mode == "mask";
          continue;
        }
        const std::string rule = need<std::string>(v, key);
        if (!security::parseDataType(k.str()) || !security::Masker::parseRule(rule)) {
          throw ConfigError(key + " must name a data type (mobile, id_number, bank_card, email, "
                            "name, passport, uscc, other) and be \"KEEP_START+KEEP_END\", e.g. "
                            "\"3+4\" (" + where(v) + ")");
        }
        c.masking[std::string(k.str())] = rule;
      }
    } else if (sec == "encryption") {
      for (auto&& [k, v] : *t) {
        const std::string key = "encryption." + std::string(k.str());
        auto& e = c.encryption;
        if (k == "enabled") {
          e.enabled = need<bool>(v, key);
        } else if (k == "key_provider") {
          e.provider = need<std::string>(v, key);
          if (e.provider != "file" && e.provider != "pkcs11") {
            throw ConfigError(key + " must be \"file\" or \"pkcs11\" (" + where(v) + ")");
          }
        } else if (k == "key_file") {
          e.keyFile = need<std::string>(v, key);
        } else if (k == "keys_database") {
          e.keysDb = need<std::string>(v, key);
        } else if (k == "max_key_age_days") {
          e.maxKeyAgeDays = static_cast<std::uint32_t>(intIn(v, key, 1, 36500));
        } else if (k == "pkcs11_module") {
          e.pkcs11Module = need<std::string>(v, key);
        } else if (k == "pkcs11_token") {
          e.pkcs11Token = need<std::string>(v, key);
        } else if (k == "pkcs11_pin_file") {
          e.pkcs11PinFile = need<std::string>(v, key);
        } else if (k == "pkcs11_key_label") {
          e.pkcs11KeyLabel = need<std::string>(v, key);
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
      if (c.encryption.provider == "pkcs11" &&
          (c.encryption.pkcs11Module.empty() || c.encryption.pkcs11Token.empty() ||
           c.encryption.pkcs11PinFile.empty())) {
        throw ConfigError("encryption.key_provider = \"pkcs11\" needs pkcs11_module, "
                          "pkcs11_token and pkcs11_pin_file");
      }
    } else if (sec == "alerts") {
      for (auto&& [k, v] : *t) {
        const std::string key = "alerts." + std::string(k.str());
        if (k == "webhook_url") {
          c.alertWebhookUrl = need<std::string>(v, key);
          if (!c.alertWebhookUrl.starts_with("https://") &&
              !c.alertWebhookUrl.starts_with("http://")) {
            throw ConfigError(key + " must be an http:// or https:// URL (" + where(v) + ")");
          }
        } else if (k == "webhook_secret") {
          c.alertWebhookSecret = need<std::string>(v, key);
        } else if (k == "webhook_ca") {
          c.alertWebhookCa = need<std::string>(v, key);
        } else if (k == "xmpp") {
          c.alertXmpp = need<bool>(v, key);
        } else if (k == "quiet_seconds") {
          c.alertQuietSeconds = static_cast<std::uint32_t>(intIn(v, key, 0, 86400));
        } else if (k == "certificate_warning_days") {
          c.certificateWarningDays = static_cast<std::uint32_t>(intIn(v, key, 1, 365));
        } else {
          throw ConfigError("unknown option " + key + " (" + where(v) + ")");
        }
      }
      if (!c.alertWebhookUrl.empty() && c.alertWebhookSecret.size() < 16) {
        throw ConfigError("alerts.webhook_secret must be at least 16 characters when "
                          "alerts.webhook_url is set (receivers check the HMAC signature)");
      }
    } else if (sec == "audit") {
      for (auto&& [k, v] : *t) {
        if (k == "retention_days") {
          c.auditRetentionDays = static_cast<std::uint32_t>(intIn(v, "audit.retention_days", 180, 36500));
        } else if (k == "syslog") {
          c.auditSyslog = need<std::string>(v, "audit.syslog");
          if (!c.auditSyslog.starts_with("udp://") && !c.auditSyslog.starts_with("tcp://")) {
            throw ConfigError("audit.syslog must be udp://HOST:PORT or tcp://HOST:PORT (" +
                              where(v) + ")");
          }
        } else {
          throw ConfigError("unknown option audit." + std::string(k.str()) + " (" + where(v) + ")");
        }
      }
    } else if (sec == "modules") {
      readModules(*t, "modules", c.modules);
    } else {
      throw ConfigError("unknown section [" + sec + "] (" + where(node) + ")");
    }
  }
  validate(c);
  return c;
}

Config devConfig(const std::string& dataDir, const std::string& host) {
  Config c;
  c.dataDir = dataDir;
  c.dbSynchronous = "normal";
  c.certFile = dataDir + "/tls/cert.pem";
  c.keyFile = dataDir + "/tls/key.pem";
  c.hosts.push_back(HostConfig{host, {}, {}});
  return c;
}

void validate(const Config& c) {
  if (c.hosts.empty()) {
    throw ConfigError("no virtual host configured: add a [[hosts]] table with name = \"...\"");
  }
  for (const auto& h : c.hosts) {
    auto d = prepareDomainpart(h.name);
    if (!d || *d != h.name) {
      throw ConfigError("hosts.name \"" + h.name +
                        "\" is not a normalized domain name (use lower case, no trailing dot)");
    }
    if (!h.region.empty() && c.regions.count(h.region) == 0) {
      throw ConfigError("host " + h.name + ": region \"" + h.region +
                        "\" is not defined in [residency.regions]");
    }
    const auto privacy = c.privacyFor(h.name);
    if (!privacy.noticeVersion.value_or("").empty() && privacy.noticeFile.value_or("").empty()) {
      throw ConfigError("host " + h.name + ": privacy.notice_version needs privacy.notice_file "
                        "(the notice people accept)");
    }
    if (h.certFile.empty() != h.keyFile.empty()) {
      throw ConfigError("host " + h.name + ": set both certificate and private_key, or neither");
    }
  }
  for (const auto& [name, r] : c.regions) {
    const auto canon = [](const std::string& p) {
      return std::filesystem::weakly_canonical(std::filesystem::absolute(p)).string();
    };
    if (canon(r.dataDir) == canon(c.dataDir)) {
      throw ConfigError("residency.regions." + name + ".data_dir must differ from server.data_dir");
    }
    for (const auto& [other, o] : c.regions) {
      if (other < name && canon(o.dataDir) == canon(r.dataDir)) {
        throw ConfigError("residency.regions." + name + " and " + other +
                          " share a data_dir; each region needs its own");
      }
    }
  }
  if (c.certFile.empty() || c.keyFile.empty()) {
    throw ConfigError("[tls] certificate and private_key are required");
  }
  if (c.tlsMinVersion != "1.2" && c.tlsMinVersion != "1.3") {
    throw ConfigError("tls.min_version must be \"1.2\" or \"1.3\"");
  }
  if (c.dbSynchronous != "full" && c.dbSynchronous != "normal") {
    throw ConfigError("storage.synchronous must be \"full\" or \"normal\"");
  }
  if (c.conflictPolicy != "kick_old" && c.conflictPolicy != "refuse_new") {
    throw ConfigError("server.resource_conflict must be \"kick_old\" or \"refuse_new\"");
  }
  for (const auto& [name, role] : c.adminRoles) {
    if (role.clientCertificate && c.adminClientCa.empty()) {
      throw ConfigError("admin.roles." + name +
                        ".client_certificate needs admin.client_ca (the operators' CA)");
    }
  }
  if (c.accountSessionIdle > c.accountSessionMaxAge) {
    throw ConfigError(
        "account_center.session_idle_timeout must not exceed account_center.session_max_age");
  }
  if (c.adminSessionIdle > c.adminSessionMaxAge) {
    throw ConfigError("admin.session_idle_timeout must not exceed admin.session_max_age");
  }
  static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c.logLevel) == std::end(kLevels)) {
    throw ConfigError("server.log_level must be one of trace, debug, info, warn, error, off");
  }
}

}  // namespace rampart::core
