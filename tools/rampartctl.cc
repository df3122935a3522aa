// rampartctl: account administration and status, working on the same database as a running
// rampartd (SQLite WAL allows a second writer to wait its turn).

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include "core/config.h"
#include "core/credentials.h"
#include "rampart/core/datetime.h"
#include "rampart/core/hex.h"
#include "rampart/core/jid.h"
#include "rampart/core/random.h"
#include "security/admin/admin_ops.h"
#include "security/dlp/inspector.h"
#include "security/filescan/scan_status.h"
#include "security/logins/login_json.h"
#include "security/password/password_policy.h"
#include "security/audit/audit_log.h"
#include "security/audit/syslog_forwarder.h"
#include "rampart/storage/personal_data.h"
#include "security/encryption/key_status.h"
#include "security/privacy/rights.h"
#include "security/retention/scheduler.h"
#include "storage/encrypted/setup.h"
#include "storage/regional/setup.h"
#include "storage/sqlite/sqlite_storage.h"

namespace {
using namespace rampart;

constexpr const char* kUsage =
    "usage: rampartctl (--config FILE | --data-dir DIR) COMMAND\n"
    "commands:\n"
    "  user add JID PASSWORD     create an account\n"
    "  user del JID              delete an account with its data; its sessions end\n"
    "  user passwd JID PASSWORD  set a new password\n"
    "  user list HOST            list the accounts of a virtual host\n"
    "  user export JID --out FILE  everything stored about the account, as a ZIP archive of\n"
    "                            JSON files and the uploaded files (PIPL art. 45, GDPR art. 15/20)\n"
    "  user erase JID [--json]   delete the account and everything about it, redact its\n"
    "                            messages in others' and rooms' archives, destroy its keys;\n"
    "                            prints the report of what was removed and what is kept\n"
    "  user freeze JID [--mode lock|suspend] [--until ISO8601] --reason TEXT\n"
    "                            lock: sessions end, sign-in refused; suspend: read-only\n"
    "  user unfreeze JID --reason TEXT\n"
    "  user logout JID [--revoke-devices]  end every session of the account now\n"
    "  device add JID NAME       a new app password for one device; prints only the password\n"
    "  device list JID [--json]  the account's device credentials\n"
    "  device revoke JID ID      revoke one; that device's sessions end\n"
    "  login-log JID [-n N] [--json]  the account's newest sign-in attempts (default 20)\n"
    "  login-log HOST [-n N] [--json] the whole tenant's newest sign-in attempts\n"
    "  lock list [--json]        sign-in locks in force\n"
    "  lock clear JID            clear the account's sign-in locks\n"
    "  role grant JID ROLE [--tenant HOST]  make an account an administrator (ROLE: sysadmin,\n"
    "                            secadmin, auditor or reviewer; one role per account)\n"
    "  role revoke JID ROLE      take the role away (its API tokens end with it)\n"
    "  role list                 list the administrators\n"
    "  token create JID [--ttl SECONDS] [--label TEXT]  an admin API token for an administrator,\n"
    "                            bound to its role and tenant; prints only the token\n"
    "  token list                list API tokens (never the tokens themselves)\n"
    "  token revoke ID           revoke an API token\n"
    "  dlp test HOST TEXT        the findings in TEXT and the action HOST's content policy\n"
    "                            would take, as JSON (nothing is sent)\n"
    "  quarantine list HOST [--status S] [--json]  messages held for review (no text)\n"
    "  quarantine approve ID [--reason TEXT]  deliver a held message with its original time\n"
    "  quarantine reject ID --reason TEXT     keep it as evidence; the sender is told why\n"
    "  scan status [--json]      whether clamd answers on each tenant's socket, its signature\n"
    "                            version and date (exit 1 when a configured clamd does not)\n"
    "  key rotate HOST           a new data key version for HOST, current for writes at once;\n"
    "                            what the old versions sealed is sealed again in the background\n"
    "  key status [HOST] [--json]  key versions, their ages and the re-encryption's progress\n"
    "  privacy inventory [--json]  every personal-data field the server stores: where, what,\n"
    "                            why, for how long and under which key\n"
    "  retention show [HOST] [--json]  how long each kind of data is kept (days; 0: forever),\n"
    "                            per tenant and room, as the retention scheduler applies it\n"
    "  hold set JID|ROOM --reason TEXT  legal hold on an account or a room: nothing of it is\n"
    "                            deleted (retention, deletion, erasure) until it is cleared\n"
    "  hold clear JID|ROOM [--reason TEXT]  end a legal hold\n"
    "  hold list [--json]        the legal holds in force\n"
    "  mfa reset JID             forget an account's TOTP, recovery codes and passkeys (lost\n"
    "                            authenticator); it enrols again where a factor is required\n"
    "  audit verify [--checkpoint FILE]...  recompute the audit log's Merkle tree and check\n"
    "                            every signed checkpoint (exit 1 and the first bad record if not)\n"
    "  audit tail [-n N] [--json]  the newest N audit records (default 20)\n"
    "  audit key                 the checkpoint verifier key (for tools/audit_verify.py)\n"
    "  audit checkpoint          the latest signed checkpoint, to keep elsewhere\n"
    "  status                    show whether rampartd runs, its ports and accounts\n"
    "every write and every read of the audit log is audited as local:USER\n"
    "exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 not running\n";

int usage(const std::string& why) {
  std::cerr << "rampartctl: " << why << "\n" << kUsage;
  return 2;
}

// The configured hosts; in --data-dir mode those the server last started with (none when it
// never ran).
std::vector<std::string> servedHosts(const core::Config& c, bool devMode) {
  std::vector<std::string> hosts;
  if (devMode) {
    std::ifstream f(c.dataDir + "/hosts");
    for (std::string line; std::getline(f, line);) {
      if (!line.empty()) hosts.push_back(line);
    }
    return hosts;
  }
  for (const auto& h : c.hosts) hosts.push_back(h.name);
  return hosts;
}

// The pid in rampartd's pid file, or 0.
long pidFromFile(const core::Config& c) {
  std::ifstream f(c.resolvedPidFile());
  long pid = 0;
  return (f >> pid) && pid > 0 ? pid : 0;
}

// Audit records of this command also go to the configured SIEM; flushed when it exits.
std::unique_ptr<security::audit::SyslogForwarder> gSyslog;

// The audit log of the server's data directory, opened for this command.
std::unique_ptr<security::audit::AuditLog> openAudit(const core::Config& c, bool devMode) {
  auto hosts = servedHosts(c, devMode);
  security::audit::AuditLogOptions o;
  o.dbPath = c.dataDir + "/audit.db";
  o.keyFile = c.dataDir + "/audit-signing.key";
  o.checkpointFile = c.dataDir + "/audit.checkpoint";
  o.origin = (hosts.empty() ? std::string("localhost") : hosts.front()) + "/audit";
  auto r = security::audit::AuditLog::open(o);
  if (!r.isOk()) {
    throw core::ConfigError(r.status().message());
  }
  if (!c.auditSyslog.empty()) {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    auto fwd = security::audit::SyslogForwarder::create(c.auditSyslog, name, "rampartctl");
    if (!fwd.isOk()) {
      throw core::ConfigError(fwd.status().message());
    }
    gSyslog = std::move(fwd).value();
    r.value()->setForwarder(
        [fwd = gSyslog.get()](const storage::AuditRow& row) { fwd->forward(row); });
  }
  return std::move(r).value();
}

int failed(const core::Status& st) {
  std::cerr << "rampartctl: " << st.message() << "\n";
  return 1;
}

std::string flag(std::vector<std::string>& args, const std::string& name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) {
    return {};
  }
  if (it + 1 == args.end()) {
    throw core::ConfigError(name + " needs a value");
  }
  std::string v = *(it + 1);
  args.erase(it, it + 2);
  return v;
}

// Tells a running rampartd (SIGUSR1) to apply account changes to live sessions at once: only
// a process whose name is rampartd.
void tellServer(const core::Config& c) {
  const long pid = pidFromFile(c);
  std::string comm;
  if (pid != 0 && std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/comm"), comm) &&
      comm == "rampartd") {
    kill(static_cast<pid_t>(pid), SIGUSR1);
  }
}

std::string jsonString(std::string_view s) { return boost::json::serialize(boost::json::string(s)); }

long countFlag(std::vector<std::string>& cmd, long fallback) {
  const std::string n = flag(cmd, "-n");
  if (n.empty()) return fallback;
  char* end = nullptr;
  const long count = std::strtol(n.c_str(), &end, 10);
  if (*end != 0 || count < 1 || count > 100000) throw core::ConfigError("-n must be 1-100000");
  return count;
}

security::admin::Actor localActor() {
  return security::admin::Actor{security::admin::localActorName(), std::nullopt, "local",
                                "rampartctl", core::randomToken(9)};
}

int roleCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops) {
  const auto who = localActor();
  if (cmd.size() == 2 && cmd[1] == "list") {
    auto list = ops.listRoles(who);
    if (!list.isOk()) return failed(list.status());
    for (const auto& g : list.value()) {
      std::cout << g.user << "@" << g.host << " " << g.role << " "
                << (g.tenant.empty() ? "server" : g.tenant) << "\n";
    }
    return 0;
  }
  const std::string tenant = flag(cmd, "--tenant");
  if (cmd.size() != 4 || (cmd[1] != "grant" && cmd[1] != "revoke")) {
    return usage("role grant JID ROLE [--tenant HOST] | role revoke JID ROLE | role list");
  }
  if (!security::parseRole(cmd[3])) {
    return usage("ROLE must be sysadmin, secadmin, auditor or reviewer, not " + cmd[3]);
  }
  if (cmd[1] == "grant") {
    auto g = ops.grantRole(who, cmd[2], cmd[3], tenant);
    if (!g.isOk()) return failed(g.status());
    std::cout << "ok: granted " << cmd[3] << " to " << g.value().user << "@" << g.value().host
              << " for " << (tenant.empty() ? std::string("the whole server") : tenant) << "\n";
    return 0;
  }
  if (!tenant.empty()) return usage("role revoke JID ROLE takes no --tenant");
  if (auto st = ops.revokeRole(who, cmd[2], cmd[3]); !st.isOk()) return failed(st);
  std::cout << "ok: revoked " << cmd[3] << " from " << cmd[2] << "\n";
  return 0;
}

int tokenCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops) {
  const auto who = localActor();
  if (cmd.size() == 2 && cmd[1] == "list") {
    auto list = ops.listTokens(who, true);
    if (!list.isOk()) return failed(list.status());
    for (const auto& t : list.value()) {
      std::cout << t.id << " " << t.user << "@" << t.host << " " << t.role << " "
                << (t.tenant.empty() ? "server" : t.tenant) << " expires "
                << security::audit::formatUtcMillis(t.expiresMs)
                << (t.label.empty() ? "" : " " + t.label) << "\n";
    }
    return 0;
  }
  if (cmd.size() == 3 && cmd[1] == "revoke") {
    if (auto st = ops.revokeToken(who, cmd[2]); !st.isOk()) return failed(st);
    std::cout << "ok: revoked token " << cmd[2] << "\n";
    return 0;
  }
  const std::string ttlText = flag(cmd, "--ttl");
  const std::string label = flag(cmd, "--label");
  if (cmd.size() != 3 || cmd[1] != "create") {
    return usage("token create JID [--ttl SECONDS] [--label TEXT] | token list | token revoke ID");
  }
  std::int64_t ttl = security::admin::AdminOps::kDefaultTokenTtl;
  if (!ttlText.empty()) {
    char* end = nullptr;
    ttl = std::strtoll(ttlText.c_str(), &end, 10);
    if (*end != 0 || ttl < 60 || ttl > security::admin::AdminOps::kMaxTokenTtl) {
      return usage("--ttl must be 60 to " +
                   std::to_string(security::admin::AdminOps::kMaxTokenTtl) + " seconds");
    }
  }
  auto t = ops.createToken(who, cmd[2], ttl, label);
  if (!t.isOk()) return failed(t.status());
  std::cout << t.value().token << "\n";
  return 0;
}

int deviceCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops) {
  const auto who = localActor();
  const bool json = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() == 4 && cmd[1] == "add" && !json) {
    auto d = ops.addDevice(who, cmd[2], cmd[3]);
    if (!d.isOk()) return failed(d.status());
    std::cout << d.value().password << "\n";
    return 0;
  }
  if (cmd.size() == 3 && cmd[1] == "list") {
    auto list = ops.listDevices(who, cmd[2]);
    if (!list.isOk()) return failed(list.status());
    for (const auto& d : list.value()) {
      if (json) {
        // The same shape as the admin API and the account center (null when never used).
        std::cout << boost::json::serialize(security::logins::deviceJson(d)) << "\n";
      } else {
        std::cout << d.id << " " << d.kind << " " << jsonString(d.name) << " created "
                  << security::audit::formatUtcMillis(d.createdMs) << " last used "
                  << (d.lastUsedMs ? security::audit::formatUtcMillis(d.lastUsedMs) : "never")
                  << (d.lastAddress.empty() ? "" : " from " + d.lastAddress) << "\n";
      }
    }
    return 0;
  }
  if (cmd.size() == 4 && cmd[1] == "revoke" && !json) {
    if (auto st = ops.revokeDevice(who, cmd[2], cmd[3]); !st.isOk()) return failed(st);
    std::cout << "ok: revoked device credential " << cmd[3] << " of " << cmd[2] << "\n";
    return 0;
  }
  return usage("device add JID NAME | device list JID [--json] | device revoke JID ID");
}

int loginLogCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops) {
  const bool json = std::erase(cmd, std::string("--json")) > 0;
  const long count = countFlag(cmd, 20);
  if (cmd.size() != 2) return usage("login-log JID|HOST [-n N] [--json]");
  auto rows = ops.loginLog(localActor(), cmd[1], static_cast<std::size_t>(count));
  if (!rows.isOk()) return failed(rows.status());
  for (const auto& r : rows.value()) {
    const std::string time = security::audit::formatUtcMillis(r.timeMs);
    if (json) {
      const boost::json::object o = security::logins::loginJson(r);
      std::cout << boost::json::serialize(o) << "\n";
    } else {
      std::cout << time << " " << (r.success ? "success" : "failure")
                << (cmd[1].find('@') == std::string::npos ? " " + r.user + "@" + r.host : "")
                << " from " << r.source
                << (r.country.empty() ? "" : " (" + r.country + (r.city.empty() ? "" : ", " + r.city) + ")")
                << " " << r.protocol << " " << r.credential
                << (r.client.empty() ? "" : " client " + jsonString(r.client))
                << (r.resource.empty() ? "" : " resource " + jsonString(r.resource))
                << (r.reason.empty() ? "" : ": " + r.reason) << "\n";
    }
  }
  return 0;
}

int dlpCommand(const std::vector<std::string>& cmd, const core::Config& config) {
  if (cmd.size() != 4 || cmd[1] != "test") return usage("dlp test HOST TEXT");
  auto host = core::prepareDomainpart(cmd[2]);
  if (!host) return usage("not a valid host name: " + cmd[2]);
  auto inspector = security::dlp::Inspector::build(config);
  if (!inspector.isOk()) {
    std::cerr << "rampartctl: " << inspector.status().message() << "\n";
    return 2;
  }
  const std::vector<security::ContentField> fields{{"body", cmd[3]}};
  const auto v = inspector.value()->inspect(*host, fields);
  boost::json::array findings;
  for (const auto& f : v.findings) {
    findings.push_back(boost::json::object{
        {"rule", f.rule},
        {"type", f.type},
        {"match", cmd[3].substr(f.begin, f.end - f.begin)},
        {"begin", f.begin},
        {"end", f.end},
        {"confidence", f.confidence},
        {"action", security::contentActionName(f.action)}});
  }
  boost::json::object out{
      {"host", *host},
      {"enabled", inspector.value()->enabled(*host)},
      {"action", security::contentActionName(v.action)},
      {"rule", v.rule.empty() ? boost::json::value(nullptr) : boost::json::value(v.rule)},
      {"findings", findings},
      {"delivered_as", v.action == security::ContentAction::kMask
                           ? boost::json::value(inspector.value()->masked(cmd[3], v.findings, 0))
                       : v.action == security::ContentAction::kAllow
                           ? boost::json::value(cmd[3])
                           : boost::json::value(nullptr)}};
  std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

int scanCommand(std::vector<std::string> cmd, const core::Config& config, bool devMode) {
  const bool json = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() != 2 || cmd[1] != "status") return usage("scan status [--json]");
  const auto hosts = servedHosts(config, devMode);
  if (hosts.empty()) {
    std::cerr << "rampartctl: no tenants served from " << config.dataDir
              << " (start rampartd once, or give --config)\n";
    return 1;
  }
  int rc = 0;
  for (const auto& v :
       security::filescan::scanStatus(config, hosts, std::chrono::seconds(5))) {
    const auto& o = v.as_object();
    const bool configured = !o.at("socket").is_null();
    const bool reachable = o.at("reachable").as_bool();
    if (configured && !reachable) rc = 1;
    if (json) {
      std::cout << boost::json::serialize(o) << "\n";
      continue;
    }
    std::string tenants;
    for (const auto& t : o.at("tenants").as_array()) tenants += " " + std::string(t.as_string());
    if (!configured) {
      std::cout << "no virus scanning configured for" << tenants
                << " (content_security.clamd_socket)\n";
    } else if (!reachable) {
      std::cout << "clamd at " << o.at("socket").as_string() << " is NOT reachable: "
                << o.at("error").as_string() << "\n";
    } else {
      std::cout << "clamd at " << o.at("socket").as_string() << " is reachable: "
                << o.at("engine").as_string() << ", signatures "
                << (o.at("signature_version").is_null()
                        ? std::string("local databases only")
                        : std::string(o.at("signature_version").as_string()) +
                              (o.at("signature_date").is_null()
                                   ? std::string()
                                   : " of " + std::string(o.at("signature_date").as_string())))
                << " (tenants:" << tenants << ")\n";
    }
  }
  return rc;
}

int quarantineCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops,
                      const core::Config& config) {
  const bool json = std::erase(cmd, std::string("--json")) > 0;
  const std::string reason = flag(cmd, "--reason");
  const std::string status = flag(cmd, "--status");
  if (!status.empty() && status != "pending" && status != "approved" && status != "rejected") {
    return usage("--status must be pending, approved or rejected");
  }
  if (cmd.size() == 3 && cmd[1] == "list" && reason.empty()) {
    auto host = core::prepareDomainpart(cmd[2]);
    if (!host) return usage("not a valid host name: " + cmd[2]);
    storage::QuarantineFilter f;
    f.tenant = *host;
    f.status = status;
    f.limit = 1000;
    auto items = ops.listQuarantine(localActor(), f);
    if (!items.isOk()) return failed(items.status());
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
    for (const auto& q : items.value()) {
      const std::string created = security::audit::formatUtcMillis(q.createdMs);
      if (json) {
        boost::json::object o{{"id", q.id},
                              {"tenant", q.tenant},
                              {"status", q.status},
                              {"rule", q.rule},
                              {"sender", q.sender},
                              {"recipient", q.recipient},
                              {"created", created},
                              {"age_seconds", (now - q.createdMs) / 1000},
                              {"decided_by", q.decidedBy},
                              {"reason", q.reason},
                              {"reported", !q.report.empty()}};
        std::cout << boost::json::serialize(o) << "\n";
      } else {
        std::cout << q.id << " " << q.status << " " << created << " rule " << q.rule << " "
                  << q.sender << " -> " << q.recipient << (q.report.empty() ? "" : " (reported)")
                  << "\n";
      }
    }
    return 0;
  }
  if (cmd.size() == 3 && (cmd[1] == "approve" || cmd[1] == "reject") && !json && status.empty()) {
    char* end = nullptr;
    const long long id = std::strtoll(cmd[2].c_str(), &end, 10);
    if (*end != 0 || id <= 0) return usage("ID must be a held message's number");
    if (cmd[1] == "reject" && reason.empty()) return usage("quarantine reject ID --reason TEXT");
    if (auto st = ops.decideQuarantine(localActor(), id, cmd[1] == "approve", reason); !st.isOk()) {
      return failed(st);
    }
    tellServer(config);
    std::cout << "ok: held message " << id << (cmd[1] == "approve" ? " approved; rampartd "
                 "delivers it" : " rejected; rampartd tells the sender") << "\n";
    return 0;
  }
  return usage("quarantine list HOST [--status S] [--json] | quarantine approve ID [--reason "
               "TEXT] | quarantine reject ID --reason TEXT");
}

int lockCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops,
                const core::Config& config) {
  const bool json = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() == 2 && cmd[1] == "list") {
    auto locks = ops.listLocks(localActor());
    if (!locks.isOk()) return failed(locks.status());
    for (const auto& l : locks.value()) {
      const std::string until = security::audit::formatUtcMillis(l.lockedUntilMs);
      const std::string jid = l.user.empty() ? std::string() : l.user + "@" + l.host;
      if (json) {
        boost::json::object o{{"kind", l.kind}, {"account", jid},     {"source", l.source},
                              {"tenant", l.host}, {"failures", l.failures}, {"locked_until", until}};
        std::cout << boost::json::serialize(o) << "\n";
      } else {
        std::cout << l.kind << " " << (jid.empty() ? "-" : jid) << " "
                  << (l.source.empty() ? "-" : l.source) << " failures " << l.failures
                  << " locked until " << until << "\n";
      }
    }
    return 0;
  }
  if (cmd.size() == 3 && cmd[1] == "clear" && !json) {
    auto n = ops.clearLocks(localActor(), cmd[2]);
    if (!n.isOk()) return failed(n.status());
    tellServer(config);
    std::cout << "ok: cleared " << n.value() << " sign-in lock(s) of " << cmd[2] << "\n";
    return 0;
  }
  return usage("lock list [--json] | lock clear JID");
}

int auditCommand(std::vector<std::string> cmd, security::audit::AuditLog& log,
                 security::admin::AdminOps& ops) {
  const auto who = localActor();
  using security::AuditResult;
  namespace action = security::audit_action;
  if (cmd.size() >= 2 && cmd[1] == "verify") {
    std::vector<std::string> kept;
    for (std::string f; !(f = flag(cmd, "--checkpoint")).empty();) {
      std::ifstream in(f);
      if (!in) return usage("cannot read " + f);
      kept.emplace_back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    if (cmd.size() != 2) return usage("audit verify [--checkpoint FILE]...");
    auto v = log.verify(kept);
    if (!v.ok) {
      std::cout << "TAMPERED: " << v.problem << "\n";
      if (v.badSeq != 0) std::cout << "first bad record: " << v.badSeq << "\n";
      ops.record(who, action::kAuditVerify, "audit log", "", AuditResult::kFailure, v.problem);
      return 1;
    }
    const std::string root = core::hexEncode(v.root);
    if (auto st = ops.record(who, action::kAuditVerify, "audit log", "", AuditResult::kSuccess,
                             {}, {{"size", std::to_string(v.size)}});
        !st.isOk()) {
      return failed(st);
    }
    std::cout << "ok: audit log intact: " << v.records << " records checked, tree size " << v.size
              << ", root " << root << "\n";
    return 0;
  }
  if (cmd.size() >= 2 && cmd[1] == "tail") {
    const std::string n = flag(cmd, "-n");
    const bool json = std::erase(cmd, std::string("--json")) > 0;
    if (cmd.size() != 2) return usage("audit tail [-n N] [--json]");
    long count = 20;
    if (!n.empty()) {
      char* end = nullptr;
      count = std::strtol(n.c_str(), &end, 10);
      if (*end != 0 || count < 1 || count > 100000) return usage("-n must be 1-100000");
    }
    // Reading the audit log is itself audited, before anything is shown.
    if (auto st = ops.record(who, action::kAuditRead, "audit log", "", AuditResult::kSuccess, {},
                             {{"count", std::to_string(count)}});
        !st.isOk()) {
      return failed(st);
    }
    storage::AuditFilter f;
    f.limit = static_cast<std::size_t>(count);
    auto rows = log.query(f);
    if (!rows.isOk()) return failed(rows.status());
    for (auto it = rows.value().rbegin(); it != rows.value().rend(); ++it) {
      if (json) {
        std::cout << it->body << "\n";
        continue;
      }
      boost::system::error_code ec;
      auto v = boost::json::parse(it->body, ec);
      auto field = [&](const char* k) -> std::string {
        if (ec || !v.is_object()) return "?";
        const auto* f = v.as_object().if_contains(k);
        return f && f->is_string() ? std::string(f->as_string()) : std::string();
      };
      std::cout << it->seq << " " << field("time") << " " << field("actor")
                << (field("role").empty() ? "" : " (" + field("role") + ")") << " from "
                << field("source") << " " << field("action") << " " << field("object") << " "
                << field("result") << (field("reason").empty() ? "" : ": " + field("reason"))
                << (field("tenant").empty() ? "" : " [" + field("tenant") + "]") << "\n";
    }
    return 0;
  }
  if (cmd.size() == 2 && cmd[1] == "key") {
    std::cout << log.signer().verifierKey() << "\n";
    return 0;
  }
  if (cmd.size() == 2 && cmd[1] == "checkpoint") {
    auto h = log.head();
    if (!h.isOk()) return failed(h.status());
    std::cout << h.value().checkpoint;
    return 0;
  }
  return usage("audit verify | audit tail [-n N] [--json] | audit key | audit checkpoint");
}

// Envelope encryption ([encryption]) over the database, as rampartd has it.
// The storage: the home region's database and the residency regions', under encryption.
storage::regional::OpenedStorage gStorage;

storage::Storage& openStore(core::Config& c, bool devMode) {
  if (devMode && c.encryption.enabled) {
    // The hosts the server last started with name the tenants.
    auto served = servedHosts(c, devMode);
    if (!served.empty()) {
      c.hosts.clear();
      for (const auto& h : served) c.hosts.push_back(core::HostConfig{h});
    }
  }
  auto opened = storage::regional::openStorage(c, 10000, c.dbSynchronous);
  if (!opened.isOk()) throw core::ConfigError(opened.status().message());
  gStorage = std::move(opened).value();
  return *gStorage.store;
}

std::int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int keyCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops,
               const core::Config& config) {
  if (!gStorage.encryption.keyring) {
    std::cerr << "rampartctl: encryption is switched off ([encryption] enabled = false)\n";
    return 1;
  }
  auto& keyring = *gStorage.encryption.keyring;
  const bool asJson = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() == 3 && cmd[1] == "rotate") {
    auto host = core::prepareDomainpart(cmd[2]);
    if (!host) return usage("not a valid host name: " + cmd[2]);
    const auto who = localActor();
    auto v = keyring.rotate(*host);
    if (!v.isOk()) {
      ops.record(who, security::audit_action::kKeyRotate, *host, *host,
                 security::AuditResult::kFailure, v.status().message());
      return failed(v.status());
    }
    if (auto st = ops.record(who, security::audit_action::kKeyRotate, *host, *host,
                             security::AuditResult::kSuccess, {},
                             {{"version", std::to_string(v.value())},
                              {"provider", keyring.providerName()}});
        !st.isOk()) {
      return failed(st);
    }
    tellServer(config);
    std::cout << "ok: " << *host << " now writes with key version " << v.value()
              << "; older data is sealed again in the background (rampartctl key status)\n";
    return 0;
  }
  if ((cmd.size() == 2 || cmd.size() == 3) && cmd[1] == "status") {
    std::vector<std::string> tenants;
    if (cmd.size() == 3) {
      auto host = core::prepareDomainpart(cmd[2]);
      if (!host) return usage("not a valid host name: " + cmd[2]);
      tenants.push_back(*host);
    }
    auto status = security::encryption::keyStatus(keyring, tenants, nowMillis(),
                                                  config.encryption.maxKeyAgeDays);
    if (asJson) {
      std::cout << boost::json::serialize(status) << "\n";
    } else {
      std::cout << security::encryption::keyStatusText(status);
    }
    return 0;
  }
  return usage("key rotate HOST | key status [HOST] [--json]");
}

int privacyCommand(std::vector<std::string> cmd) {
  const bool asJson = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() != 2 || cmd[1] != "inventory") return usage("privacy inventory [--json]");
  boost::json::array out;
  for (const auto& f : storage::kDataInventory) {
    if (!f.personal) continue;
    if (asJson) {
      boost::json::array columns;
      std::string_view rest = f.columns;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        std::string_view c = rest.substr(0, comma);
        while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
        columns.push_back(boost::json::string(c));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      out.push_back(boost::json::object{
          {"location", std::string(f.database) + (f.database == "uploads" ? "/" : ":") +
                           std::string(f.table)},
          {"database", f.database},
          {"table", f.table},
          {"columns", std::move(columns)},
          {"data", f.what},
          {"purpose", f.purpose},
          {"retention", f.retention},
          {"protection", storage::protectionName(f.protection)}});
    } else {
      std::cout << f.database << (f.database == "uploads" ? "/" : ":") << f.table << " ("
                << f.columns << ")\n    data: " << f.what << "\n    purpose: " << f.purpose
                << "\n    kept: " << f.retention
                << "\n    protection: " << storage::protectionName(f.protection) << "\n";
    }
  }
  if (asJson) std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

// The retention policy per tenant, from the configuration (what rampartd's scheduler applies).
int retentionCommand(std::vector<std::string> cmd, const core::Config& config, bool devMode) {
  const bool asJson = std::erase(cmd, std::string("--json")) > 0;
  if (cmd.size() < 2 || cmd.size() > 3 || cmd[1] != "show") {
    return usage("retention show [HOST] [--json]");
  }
  std::vector<std::string> hosts = servedHosts(config, devMode);
  if (cmd.size() == 3) {
    if (std::find(hosts.begin(), hosts.end(), cmd[2]) == hosts.end()) {
      return failed(core::Status::notFound("not a host of this server: " + cmd[2]));
    }
    hosts = {cmd[2]};
  }
  boost::json::array out;
  for (const auto& h : hosts) {
    auto p = security::retention::policyJson(config, h);
    if (asJson) {
      out.push_back(std::move(p));
      continue;
    }
    std::cout << h << "\n";
    for (const auto& [kind, days] : p.at("days").as_object()) {
      const auto d = days.to_number<std::int64_t>();
      std::cout << "  " << std::string(kind) << ": "
                << (d == 0 ? std::string("kept forever") : std::to_string(d) + " days") << "\n";
    }
    for (const auto& [room, days] : p.at("rooms").as_object()) {
      const auto d = days.to_number<std::int64_t>();
      std::cout << "  room " << std::string(room) << ": "
                << (d == 0 ? std::string("kept forever") : std::to_string(d) + " days") << "\n";
    }
  }
  if (asJson) std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

// A person's rights: export and erasure, authorized and audited like every account change.
int privacyRightsCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops,
                         storage::Storage& store, const core::Config& config) {
  const bool asJson = std::erase(cmd, std::string("--json")) > 0;
  const std::string out = flag(cmd, "--out");
  const bool isExport = cmd[1] == "export";
  if (cmd.size() != 3 || (isExport && out.empty())) {
    return usage(isExport ? "user export JID --out FILE" : "user erase JID [--json]");
  }
  auto jid = core::Jid::parse(cmd[2]);
  if (!jid || jid->local().empty() || !jid->resource().empty()) {
    return usage("not an account JID (user@host): " + cmd[2]);
  }
  const security::privacy::Notices noNotices;
  security::privacy::Rights rights(store, ops, config, noNotices);
  if (isExport) {
    auto manifest = rights.exportTo(localActor(), jid->bareStr(), out);
    if (!manifest.isOk()) return failed(manifest.status());
    if (asJson) {
      std::cout << boost::json::serialize(manifest.value()) << "\n";
    } else {
      std::cout << "ok: exported " << jid->bareStr() << " to " << out << " "
                << boost::json::serialize(manifest.value().at("counts")) << "\n";
    }
    return 0;
  }
  auto report = rights.erase(localActor(), jid->bareStr());
  if (!report.isOk()) return failed(report.status());
  tellServer(config);  // its sessions end now
  if (asJson) {
    std::cout << boost::json::serialize(report.value()) << "\n";
  } else {
    std::cout << security::privacy::reportText(report.value());
  }
  return 0;
}

// Legal holds (security administrators set them; auditors see them).
int holdCommand(std::vector<std::string> cmd, security::admin::AdminOps& ops,
                storage::Storage& store, const core::Config& config) {
  const bool asJson = std::erase(cmd, std::string("--json")) > 0;
  const std::string reason = flag(cmd, "--reason");
  const auto who = localActor();
  if (cmd.size() == 2 && cmd[1] == "list") {
    if (auto st = ops.check(who, security::Permission::kHoldRead, "", "hold.list", "holds");
        !st.isOk()) {
      return failed(st);
    }
    auto holds = store.admin().holds();
    if (!holds.isOk()) return failed(holds.status());
    boost::json::array out;
    for (const auto& h : holds.value()) {
      const std::string jid = h.owner + "@" + h.host;
      if (asJson) {
        out.push_back(boost::json::object{{"jid", jid}, {"kind", h.kind}, {"reason", h.reason},
                                          {"set_by", h.setBy},
                                          {"set", core::formatDateTime(h.setMs * 1000)}});
      } else {
        std::cout << jid << " " << h.kind << " since " << core::formatDateTime(h.setMs * 1000)
                  << " by " << h.setBy << ": " << h.reason << "\n";
      }
    }
    if (asJson) std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  const bool set = cmd.size() == 3 && cmd[1] == "set";
  const bool clear = cmd.size() == 3 && cmd[1] == "clear";
  if ((!set && !clear) || (set && reason.empty())) {
    return usage("hold set JID|ROOM --reason TEXT | hold clear JID|ROOM [--reason TEXT] | "
                 "hold list [--json]");
  }
  auto jid = core::Jid::parse(cmd[2]);
  if (!jid || jid->local().empty() || !jid->resource().empty()) {
    return usage("not an account or room JID (name@domain): " + cmd[2]);
  }
  const auto tenancy = storage::encrypted::tenancyFor(config)(jid->domain());
  const std::string kind = tenancy.accounts ? "account" : "room";
  const auto action = set ? security::audit_action::kHoldSet : security::audit_action::kHoldClear;
  const std::string object = jid->bareStr();
  if (auto st = ops.check(who, security::Permission::kHoldWrite, tenancy.tenant, action, object);
      !st.isOk()) {
    return failed(st);
  }
  if (auto st = ops.record(who, action, object, tenancy.tenant, security::AuditResult::kSuccess,
                           reason, {{"kind", kind}});
      !st.isOk()) {
    return failed(st);
  }
  core::Status st =
      set ? store.admin().putHold(storage::LegalHold{jid->domain(), jid->local(), kind, reason,
                                                     who.name, nowMillis()})
          : store.admin().removeHold(jid->domain(), jid->local());
  if (!st.isOk()) {
    ops.record(who, action, object, tenancy.tenant, security::AuditResult::kFailure, st.message());
    return failed(st);
  }
  std::cout << "ok: legal hold " << (set ? "set on " : "cleared from ") << kind << " " << object
            << "\n";
  return 0;
}

int run(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() < 3) {
    return usage("missing arguments");
  }
  core::Config config;
  bool devMode = false;
  if (a[0] == "--config") {
    config = core::loadConfig(a[1]);
  } else if (a[0] == "--data-dir") {
    config = core::devConfig(a[1], "localhost");
    devMode = true;
  } else {
    return usage("first give --config FILE or --data-dir DIR");
  }
  std::vector<std::string> cmd(a.begin() + 2, a.end());
  if (cmd[0] == "dlp") {
    return dlpCommand(cmd, config);
  }
  if (cmd[0] == "scan") {
    return scanCommand(cmd, config, devMode);
  }
  if (cmd[0] == "privacy") {
    return privacyCommand(cmd);
  }
  if (cmd[0] == "retention") {
    return retentionCommand(cmd, config, devMode);
  }
  if (cmd[0] == "status") {
    const long pid = pidFromFile(config);
    if (pid == 0 || kill(static_cast<pid_t>(pid), 0) != 0) {
      std::cout << "rampartd is not running (data dir " << config.dataDir << ")\n";
      return 3;
    }
    std::ifstream portsf(config.dataDir + "/ports.json");
    std::stringstream ports;
    ports << portsf.rdbuf();
    std::cout << "rampartd is running: pid " << pid << "\n";
    std::cout << "ports: " << ports.str();
    storage::Storage& store = openStore(config, devMode);
    for (const auto& h : servedHosts(config, devMode)) {
      auto users = store.accounts().listAccounts(h);
      std::cout << "host " << h << ": " << (users.isOk() ? users.value().size() : 0)
                << " accounts\n";
    }
    return 0;
  }
  storage::Storage& store = openStore(config, devMode);
  auto audit = openAudit(config, devMode);
  security::admin::AdminOps ops(store, *audit, servedHosts(config, devMode),
                                config.scramIterations);
  security::password::PasswordPolicy passwordPolicy(config);
  ops.setPasswordPolicy(&passwordPolicy);
  if (cmd[0] == "key") {
    return keyCommand(cmd, ops, config);
  }
  if (cmd[0] == "hold") {
    return holdCommand(cmd, ops, store, config);
  }
  if (cmd[0] == "role") {
    return roleCommand(cmd, ops);
  }
  if (cmd[0] == "token") {
    return tokenCommand(cmd, ops);
  }
  if (cmd[0] == "audit") {
    return auditCommand(cmd, *audit, ops);
  }
  if (cmd[0] == "device") {
    const int rc = deviceCommand(cmd, ops);
    tellServer(config);
    return rc;
  }
  if (cmd[0] == "login-log") {
    return loginLogCommand(cmd, ops);
  }
  if (cmd[0] == "lock") {
    return lockCommand(cmd, ops, config);
  }
  if (cmd[0] == "quarantine") {
    return quarantineCommand(cmd, ops, config);
  }
  if (cmd[0] == "mfa") {
    if (cmd.size() != 3 || cmd[1] != "reset") return usage("mfa reset JID");
    if (auto st = ops.resetSecondFactor(localActor(), cmd[2]); !st.isOk()) return failed(st);
    tellServer(config);  // the person's notice goes out now
    std::cout << "ok: second factors of " << cmd[2] << " reset (TOTP, recovery codes, "
                 "passkeys); it enrols again where a second factor is required\n";
    return 0;
  }
  if (cmd[0] != "user" || cmd.size() < 2) {
    return usage("unknown command");
  }
  const std::string& sub = cmd[1];
  if (sub == "export" || sub == "erase") {
    return privacyRightsCommand(cmd, ops, store, config);
  }
  if (sub == "list") {
    if (cmd.size() != 3) return usage("user list HOST");
    auto host = core::prepareDomainpart(cmd[2]);
    if (!host) return usage("not a valid host name: " + cmd[2]);
    auto users = store.accounts().listAccounts(*host);
    if (!users.isOk()) {
      std::cerr << "rampartctl: " << users.status().message() << "\n";
      return 1;
    }
    for (const auto& u : users.value()) std::cout << u << "@" << *host << "\n";
    return 0;
  }
  if (cmd.size() < 3) return usage("user " + sub + " needs a JID");
  auto jid = core::Jid::parse(cmd[2]);
  if (!jid || jid->local().empty() || !jid->isBare()) {
    return usage("not a valid account JID (user@host): " + cmd[2]);
  }
  // With --data-dir, a server that never ran has written no hosts yet: any host goes.
  if (auto hosts = servedHosts(config, devMode);
      (!devMode || !hosts.empty()) &&
      std::find(hosts.begin(), hosts.end(), jid->domain()) == hosts.end()) {
    return usage("host " + jid->domain() +
                 (devMode ? " is not served by the rampartd of " + config.dataDir
                          : " is not configured in " + config.configPath));
  }
  const auto who = localActor();
  core::Status st;
  if (sub == "add" || sub == "passwd") {
    if (cmd.size() != 4) return usage("user " + sub + " JID PASSWORD");
    const std::string& pw = cmd[3];
    if (pw.empty() || pw.size() > 1023) return usage("the password must be 1-1023 bytes");
    if (!core::preparePassword(pw)) {
      return usage("the password holds characters not allowed in passwords (RFC 8265 "
                   "OpaqueString: no control characters or unassigned code points)");
    }
    st = sub == "add" ? ops.createUser(who, jid->bareStr(), pw)
                      : ops.setPassword(who, jid->bareStr(), pw);
  } else if (sub == "del") {
    if (cmd.size() != 3) return usage("user del JID");
    st = ops.deleteUser(who, jid->bareStr());
  } else if (sub == "freeze") {
    const std::string mode = flag(cmd, "--mode");
    const std::string until = flag(cmd, "--until");
    const std::string reason = flag(cmd, "--reason");
    if (cmd.size() != 3 || reason.empty()) {
      return usage("user freeze JID [--mode lock|suspend] [--until ISO8601] --reason TEXT");
    }
    std::int64_t untilMs = 0;
    if (!until.empty()) {
      auto us = core::parseDateTime(until);
      if (!us) return usage("--until must be an ISO 8601 date and time, e.g. 2027-01-31T18:00:00Z");
      untilMs = *us / 1000;
    }
    st = ops.freezeUser(who, jid->bareStr(), mode.empty() ? "lock" : mode, untilMs, reason);
  } else if (sub == "unfreeze") {
    const std::string reason = flag(cmd, "--reason");
    if (cmd.size() != 3 || reason.empty()) return usage("user unfreeze JID --reason TEXT");
    st = ops.unfreezeUser(who, jid->bareStr(), reason);
  } else if (sub == "logout") {
    const bool devices = std::erase(cmd, std::string("--revoke-devices")) > 0;
    if (cmd.size() != 3) return usage("user logout JID [--revoke-devices]");
    st = ops.logoutUser(who, jid->bareStr(), devices);
  } else {
    return usage("unknown user command " + sub);
  }
  if (!st.isOk()) {
    std::cerr << "rampartctl: " << jid->bareStr() << ": " << st.message() << "\n";
    return 1;
  }
  // The write is committed: rampartd reads credentials from the database at each sign-in,
  // and a running server applies the change to live sessions now.
  if (sub == "del" || sub == "freeze" || sub == "unfreeze" || sub == "logout") {
    tellServer(config);
  }
  std::cout << "ok: " << sub << " " << jid->bareStr() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The data directory holds credentials (SCRAM keys), messages and the TLS key: nothing
  // this process creates is readable by other users.
  ::umask(0077);
  try {
    const int rc = run(argc, argv);
    // The keys (and an HSM session) go before the process's static objects do: a PKCS#11
    // library's own may already be gone at exit.
    gStorage = {};
    return rc;
  } catch (const rampart::core::ConfigError& e) {
    gStorage = {};
    std::cerr << "rampartctl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    gStorage = {};
    std::cerr << "rampartctl: " << e.what() << "\n";
    return 1;
  }
}
