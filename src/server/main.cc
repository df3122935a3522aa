// rampartd: the one place that knows every piece and wires them together.

#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>

#include "core/cidr.h"
#include "rampart/core/hex.h"
#include "core/log_value.h"
#include "core/config.h"
#include "core/refusal_log.h"
#include "core/credentials.h"
#include "core/module_host.h"
#include "core/router_impl.h"
#include "core/sasl/scram.h"
#include "core/workers.h"
#include "http/admin/admin_api.h"
#include "http/https_server.h"
#include "http/account/account_center.h"
#include "security/reset/sms_gateway.h"
#include "http/web_client.h"
#include "http/well_known.h"
#include "modules/offline/offline.h"
#include "modules/xep0049_private/private.h"
#include "modules/xep0054_vcard/vcard.h"
#include "modules/xep0077_register/register.h"
#include "modules/privacy_notice/privacy_notice.h"
#include "modules/xep0494_cam/cam.h"
#include "modules/xep0191_blocking/blocking.h"
#include "modules/xep0280_carbons/carbons.h"
#include "modules/xep0313_mam/mam.h"
#include "modules/xep0163_pep/pep.h"
#include "modules/xep0045_muc/muc.h"
#include "modules/xep0363_upload/upload.h"
#include "modules/xep0357_push/push.h"
#include "modules/rfc6121_im/im.h"
#include "modules/xep0030_disco/disco.h"
#include "modules/xep0092_version/version.h"
#include "modules/xep0199_ping/ping.h"
#include "net/c2s_connection.h"
#include "security/admin/admin_ops.h"
#include "security/privacy/rights.h"
#include "security/retention/scheduler.h"
#include "storage/regional/setup.h"
#include "security/alerts/alert_pipeline.h"
#include "security/logins/login_recorder.h"
#include "security/dlp/content_ops.h"
#include "security/dlp/evidence.h"
#include "rampart/security/masker.h"
#include "security/masking/log_masking.h"
#include "modules/content_security/content_security.h"
#include "security/password/password_policy.h"
#include "security/alerts/cert_watch.h"
#include "security/audit/audit_log.h"
#include "security/audit/syslog_forwarder.h"
#include "rampart/core/random.h"
#include "security/throttle/connection_limiter.h"
#include "security/throttle/sign_in_throttle.h"
#include "security/secrets/key_file.h"
#include "net/listener.h"
#include "net/tls.h"
#include "storage/encrypted/reencryption.h"
#include "storage/encrypted/setup.h"
#include "storage/sqlite/sqlite_storage.h"

namespace {

using namespace rampart;

constexpr const char* kUsage =
    "usage: rampartd --config FILE\n"
    "       rampartd --dev --data-dir DIR [--host NAME] [--c2s-port N] [--tls-port N] "
    "[--https-port N] [--admin-port N]\n";

struct Args {
  std::string config;
  bool dev = false;
  std::string dataDir;
  std::string host = "localhost";
  std::optional<int> c2sPort, tlsPort, httpsPort, adminPort;
};

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        throw core::ConfigError(k + " needs a value");
      }
      return argv[++i];
    };
    auto port = [&]() {
      std::string v = val();
      char* end = nullptr;
      long p = std::strtol(v.c_str(), &end, 10);
      if (*end != 0 || p < 0 || p > 65535) {
        throw core::ConfigError(k + " must be a port number 0-65535");
      }
      return static_cast<int>(p);
    };
    if (k == "--config") a.config = val();
    else if (k == "--dev") a.dev = true;
    else if (k == "--data-dir") a.dataDir = val();
    else if (k == "--host") a.host = val();
    else if (k == "--c2s-port") a.c2sPort = port();
    else if (k == "--tls-port") a.tlsPort = port();
    else if (k == "--https-port") a.httpsPort = port();
    else if (k == "--admin-port") a.adminPort = port();
    else if (k == "--help" || k == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      throw core::ConfigError("unknown argument " + k);
    }
  }
  if (!a.dev && a.config.empty()) {
    throw core::ConfigError("give --config FILE, or --dev --data-dir DIR");
  }
  if (a.dev && a.dataDir.empty()) {
    throw core::ConfigError("--dev needs --data-dir DIR");
  }
  return a;
}

std::string tomlString(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

using Ports = std::map<std::string, int>;  // listener name -> bound port

std::string portOf(const Ports& ports, const char* listener) {
  auto it = ports.find(listener);
  return std::to_string(it != ports.end() ? it->second : 0);
}

// --dev: the configuration the server runs with, as a file to edit and run with --config
// (written once; an existing file is left alone).
void writeDevConfig(const core::Config& c, const Ports& ports) {
  const std::filesystem::path dir = std::filesystem::absolute(c.dataDir);
  const std::filesystem::path file = dir / "rampart.toml";
  if (std::filesystem::exists(file)) {
    return;
  }
  auto port = [&](const char* k) { return portOf(ports, k); };
  std::ofstream f(file);
  f << "# Rampart development configuration, written by rampartd --dev on its first start.\n"
    << "# Run it with: rampartd --config " << file.string() << "\n"
    << "# Every option: docs/configuration.md\n\n"
    << "[server]\ndata_dir = " << tomlString(dir.string()) << "\nlog_level = \"info\"\n\n"
    << "[storage]\ndriver = \"sqlite\"\nsynchronous = \"normal\"\n\n"
    << "[tls]\ncertificate = " << tomlString(std::filesystem::absolute(c.certFile).string())
    << "\nprivate_key = " << tomlString(std::filesystem::absolute(c.keyFile).string())
    << "\n\n[c2s.starttls]\naddresses = [\"127.0.0.1\"]\nport = " << port("c2s")
    << "\n[c2s.direct_tls]\naddresses = [\"127.0.0.1\"]\nport = " << port("c2s_tls")
    << "\n\n[https]\naddresses = [\"127.0.0.1\"]\nport = " << port("https")
    << "\n\n# The admin plane: API and console, reachable from these addresses only.\n"
    << "[admin]\naddresses = [\"127.0.0.1\"]\nport = " << port("admin")
    << "\nallow = [\"127.0.0.0/8\", \"::1/128\"]\nsession_idle_timeout = 900\n"
    << "session_max_age = 28800\n";
  for (const auto& h : c.hosts) {
    f << "\n[[hosts]]\nname = " << tomlString(h.name) << "\n";
  }
  if (f) {
    std::cout << "  Development configuration written to " << file.string() << "\n";
  }
}

int run(int argc, char** argv) {
  // A peer that vanishes while OpenSSL writes to its socket must cost that connection only.
  std::signal(SIGPIPE, SIG_IGN);
  Args args = parseArgs(argc, argv);
  core::Config config;
  if (args.dev) {
    config = core::devConfig(args.dataDir, args.host);
    if (args.c2sPort) config.c2s.port = static_cast<std::uint16_t>(*args.c2sPort);
    if (args.tlsPort) config.c2sTls.port = static_cast<std::uint16_t>(*args.tlsPort);
    if (args.httpsPort) config.https.port = static_cast<std::uint16_t>(*args.httpsPort);
    if (args.adminPort) config.admin.port = static_cast<std::uint16_t>(*args.adminPort);
    std::filesystem::create_directories(config.dataDir);
    std::vector<std::string> names;
    for (const auto& h : config.hosts) names.push_back(h.name);
    net::ensureSelfSignedCertificate(config.certFile, config.keyFile, names);
    core::validate(config);
  } else {
    config = core::loadConfig(args.config);
    std::filesystem::create_directories(config.dataDir);
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  spdlog::set_level(spdlog::level::from_str(config.logLevel));
  // The masking rules of [masking]; from here on every log line is masked (personal data and
  // client addresses keep only their rules' ends).
  {
    security::Masker masker;
    for (const auto& [type, rule] : config.masking) {
      masker.setRule(*security::parseDataType(type), *security::Masker::parseRule(rule));
    }
    security::Masker::configure(masker);
  }
  security::masking::installLogMasking(config.maskLogAddresses);

  // The home region's database and one per residency region, each under envelope encryption,
  // with the router over them: everything below uses `store`.
  auto opened = storage::regional::openStorage(config, 5000, config.dbSynchronous);
  if (!opened.isOk()) {
    throw core::ConfigError(opened.status().message());
  }
  storage::regional::OpenedStorage storageSet = std::move(opened).value();
  storage::Storage* store = storageSet.store;
  storage::encrypted::Encryption& encryption = storageSet.encryption;

  // The audit log (its own database, signing key and checkpoint file in the data directory).
  std::vector<std::string> hostNames;
  for (const auto& h : config.hosts) hostNames.push_back(h.name);
  security::audit::AuditLogOptions auditOptions;
  auditOptions.dbPath = config.dataDir + "/audit.db";
  auditOptions.keyFile = config.dataDir + "/audit-signing.key";
  auditOptions.checkpointFile = config.dataDir + "/audit.checkpoint";
  auditOptions.origin = config.hosts.front().name + "/audit";
  auto auditOpened = security::audit::AuditLog::open(auditOptions);
  if (!auditOpened.isOk()) {
    throw core::ConfigError(auditOpened.status().message());
  }
  std::unique_ptr<security::audit::AuditLog> auditLog = std::move(auditOpened).value();
  // Every record also goes to the SIEM over syslog (RFC 5424), when configured.
  std::unique_ptr<security::audit::SyslogForwarder> syslog;
  if (!config.auditSyslog.empty()) {
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    auto fwd = security::audit::SyslogForwarder::create(config.auditSyslog, name);
    if (!fwd.isOk()) {
      throw core::ConfigError(fwd.status().message());
    }
    syslog = std::move(fwd).value();
    auditLog->setForwarder([fwd = syslog.get()](const storage::AuditRow& row) { fwd->forward(row); });
  }
  // The tenants' password policy (wherever a password is set).
  security::password::PasswordPolicy passwordPolicy(config);
  security::admin::AdminOps adminOps(*store, *auditLog, hostNames, config.scramIterations);
  adminOps.setPasswordPolicy(&passwordPolicy);
  const security::admin::Actor service{"rampartd", std::nullopt, "local", "rampartd", {}};
  // Fail closed: a server that cannot record that it starts does not start.
  if (auto st = adminOps.record(service, security::audit_action::kServiceStart, "rampartd", "",
                                security::AuditResult::kSuccess, {},
                                {{"version", RAMPART_VERSION}, {"pid", std::to_string(getpid())}});
      !st.isOk()) {
    throw core::ConfigError("the audit log cannot be written: " + st.message());
  }

  // A configuration file changed since the last start is audited (the file itself is the
  // operator's; this records that the running policy differs, and its digest).
  if (!config.configPath.empty()) {
    std::ifstream in(config.configPath, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unsigned char md[32];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
    const std::string digest = core::hexEncode(std::string_view(reinterpret_cast<char*>(md), 32));
    const std::string seenFile = config.dataDir + "/config-fingerprint";
    std::string previous;
    std::getline(std::ifstream(seenFile), previous);
    if (previous != digest) {
      if (auto st = adminOps.record(service, security::audit_action::kConfigChange,
                                    config.configPath, "", security::AuditResult::kSuccess, {},
                                    {{"sha256", digest},
                                     {"previous", previous.empty() ? "none" : previous}});
          !st.isOk()) {
        throw core::ConfigError("the audit log cannot be written: " + st.message());
      }
      std::ofstream(seenFile + ".tmp") << digest << "\n";
      std::filesystem::rename(seenFile + ".tmp", seenFile);
    }
  }
  // First start: one administrator per role, each with a one-time password shown only now.
  const std::string& firstHost = config.hosts.front().name;
  auto created = adminOps.bootstrap(firstHost);
  if (!created.isOk()) {
    throw core::ConfigError("creating the first administrators failed: " +
                            created.status().message());
  }
  if (!created.value().empty()) {
    std::cout << "\n  First start: created one administrator per role (no account holds more "
                 "than one).\n  Each password works once: change it and enrol a second factor "
                 "at the first sign-in\n  to the admin console.\n";
    for (const auto& a : created.value()) {
      std::cout << "    " << a.jid << " (" << security::roleName(a.role)
                << ")  password: " << a.password << "\n";
    }
    std::cout << "\n" << std::flush;
  }

  core::Metrics metrics;
  core::Workers workers(config.threads);
  core::StorageRunner storageRunner(*store, metrics);
  core::RouterImpl router(config, metrics);
  http::Router httpRoutes;
  core::HostServices services;
  services.http = &httpRoutes;
  // XEP-0077 password changes go through the same operations (policy, audit) as the admin
  // plane's; the module calls it on the storage thread, where this AdminOps is used.
  // The tenants' privacy notices, asked for at sign-in (account center, web client).
  auto loadedNotices = security::privacy::Notices::load(config);
  if (!loadedNotices.isOk()) throw core::ConfigError(loadedNotices.status().message());
  const security::privacy::Notices notices = std::move(loadedNotices).value();
  security::privacy::Rights xmppRights(*store, adminOps, config, notices);
  struct SelfService final : security::AccountService {
    security::admin::AdminOps& ops;
    security::privacy::Rights& rights;
    SelfService(security::admin::AdminOps& o, security::privacy::Rights& r) : ops(o), rights(r) {}
    core::Result<std::optional<NoticeState>> privacyNotice(const std::string& jid,
                                                           std::string_view lang) override {
      auto account = core::Jid::parse(jid);
      if (!account) return core::Status::invalidArgument("not an account");
      const auto* notice = rights.notices().of(account->domain());
      if (notice == nullptr) return std::optional<NoticeState>();
      auto accepted = rights.accepted(account->domain(), account->local());
      if (!accepted.isOk()) return accepted.status();
      NoticeState n;
      n.version = notice->version;
      n.text = notice->textFor(lang);
      if (!accepted.value().empty()) {
        n.acceptedVersion = accepted.value().back().version;
        n.acceptedMs = accepted.value().back().timeMs;
      }
      n.required = security::privacy::consentNeeded(notice, accepted.value());
      return std::optional<NoticeState>(std::move(n));
    }
    core::Status acceptNotice(const std::string& jid, const std::string& version,
                              const std::string& client) override {
      auto account = core::Jid::parse(jid);
      if (!account) return core::Status::invalidArgument("not an account");
      return rights.accept(
          security::admin::Actor{jid, std::nullopt, "xmpp", "xmpp:" + client, {}, true},
          account->domain(), account->local(), version,
          client.starts_with("converse") ? "web-client" : "xmpp");
    }
    core::Status changeOwnPassword(const std::string& jid, const std::string& password,
                                   const std::string& client) override {
      return ops.changeAccountPassword(
          security::admin::Actor{jid, std::nullopt, "xmpp", "xmpp:" + client, {}, true}, password);
    }
    core::Result<std::vector<storage::DeviceCredential>> devices(const std::string& jid) override {
      return ops.listDevices(security::admin::Actor{jid, std::nullopt, "xmpp", "xmpp", {}, true},
                             jid);
    }
    core::Status revokeDevice(const std::string& jid, const std::string& id,
                              const std::string& client) override {
      return ops.revokeDevice(
          security::admin::Actor{jid, std::nullopt, "xmpp", "xmpp:" + client, {}, true}, jid, id);
    }
  } selfService(adminOps, xmppRights);
  services.accounts = &selfService;
  // Content security: the tenants' DLP rules (compiled once; a rule that does not compile stops
  // start-up) and the quarantine behind them.
  auto inspector = security::dlp::Inspector::build(config);
  if (!inspector.isOk()) {
    throw core::ConfigError(inspector.status().message());
  }
  // Set once the alert pipeline exists (below), before the first housekeeping runs.
  security::dlp::ContentOps::Alert contentAlert;
  security::dlp::ContentOps contentOps(
      std::move(inspector).value(), config, *store, *auditLog,
      [&contentAlert](std::string_view rule, std::string_view severity, const std::string& tenant,
                      const std::string& summary) {
        if (contentAlert) contentAlert(rule, severity, tenant, summary);
      });
  services.content = &contentOps;
  // Retention: one scheduler decides what has expired for every kind of data; the modules and
  // the core register how their kinds are deleted.
  security::retention::Scheduler retention(config, *auditLog);
  // Data residency: personal data leaving its tenant's region (a push notification to an app
  // server of a host in another region, or outside this server) follows [residency]
  // cross_region, and every such transfer, sent or refused, is audited.
  services.allowTransfer = [&config, &storageRunner, &auditLog](std::string_view purpose,
                                                                const std::string& subject,
                                                                const std::string& destination) {
    auto s = core::Jid::parse(subject);
    auto d = core::Jid::parse(destination);
    const auto regionOf = [&config](const std::string& domain) -> std::string {
      for (const auto& h : config.hosts) {
        if (domain == h.name || domain.ends_with("." + h.name)) {
          return h.region.empty() ? "home" : h.region;
        }
      }
      return "outside";  // not served here
    };
    const std::string from = s ? regionOf(s->domain()) : "outside";
    const std::string to = d ? regionOf(d->domain()) : "outside";
    if (from == to) return true;
    const bool allowed = config.crossRegion == "allow";
    security::AuditEvent e;
    e.action = security::audit_action::kDataTransfer;
    e.actor = "rampartd";
    e.source = "local";
    e.client = "rampartd";
    e.tenant = s ? s->domain() : std::string();
    e.object = s ? s->bareStr() : subject;
    e.result = allowed ? security::AuditResult::kSuccess : security::AuditResult::kDenied;
    if (!allowed) e.reason = "residency.cross_region = \"refuse\"";
    e.details = {{"purpose", std::string(purpose)},
                 {"from_region", from},
                 {"to_region", to},
                 {"destination", destination}};
    storageRunner.run([&auditLog, e](storage::Storage&) { (void)auditLog->record(e); });
    return allowed;
  };
  std::vector<storage::KeptFiles> keptFiles;  // handed to the re-encryption below
  services.addKeptFiles = [&keptFiles](storage::KeptFiles lister) {
    keptFiles.push_back(std::move(lister));
  };
  services.addRetention = [&retention](std::string tenant, std::string where,
                                       core::DataKind kind, core::Purger purger) {
    retention.add(std::move(tenant), std::move(where), kind, std::move(purger));
  };
  for (const auto& h : config.hosts) {
    retention.add(h.name, h.name, core::DataKind::kLogin,
                  [host = h.name](storage::Storage& s, const core::RetentionCutoff& c) {
                    auto n = s.accountSecurity().pruneLogins(host, c.beforeUs / 1000);
                    return n.isOk() ? n.value() : std::size_t{0};
                  });
    retention.add(h.name, h.name, core::DataKind::kEvidence,
                  [host = h.name, dir = config.dataDirFor(h.name)](
                      storage::Storage& s, const core::RetentionCutoff& c) {
                    auto n = s.content().pruneQuarantine(host, c.beforeUs / 1000);
                    // Refused uploads kept as evidence, but for those of held accounts.
                    const std::size_t files = security::dlp::removeEvidence(
                        dir, host, [&](const std::string& owner, std::int64_t timeMs) {
                          if (timeMs >= c.beforeUs / 1000) return true;
                          const auto at = owner.find('@');
                          auto held = s.admin().holdOn(host, owner.substr(0, at));
                          return !held.isOk() || held.value().has_value();
                        });
                    return (n.isOk() ? n.value() : std::size_t{0}) + files;
                  });
  }
  std::vector<std::unique_ptr<core::ModuleHost>> hosts;
  for (const auto& h : config.hosts) {
    auto mh = std::make_unique<core::ModuleHost>(h.name, config, router, metrics, services,
                                                 storageRunner, workers);
    mh->load("disco", std::make_unique<modules::disco::DiscoModule>(mh->disco()), true);
    mh->load("ping", std::make_unique<modules::ping::PingModule>(), true);
    mh->load("version", std::make_unique<modules::version::VersionModule>(), false);
    mh->load("roster", std::make_unique<modules::im::ImModule>(), true);
    mh->load("offline", std::make_unique<modules::offline::OfflineModule>(), true);
    mh->load("private", std::make_unique<modules::privatexml::PrivateModule>(), true);
    mh->load("vcard", std::make_unique<modules::vcard::VcardModule>(), true);
    mh->load("blocking", std::make_unique<modules::blocking::BlockingModule>(), true);
    mh->load("content_security", std::make_unique<modules::content::ContentModule>(), true);
    mh->load("carbons", std::make_unique<modules::carbons::CarbonsModule>(), true);
    mh->load("mam", std::make_unique<modules::mam::MamModule>(), true);
    mh->load("pep", std::make_unique<modules::pep::PepModule>(), true);
    mh->load("muc", std::make_unique<modules::muc::MucModule>(), true);
    mh->load("upload", std::make_unique<modules::upload::UploadModule>(), true);
    mh->load("push", std::make_unique<modules::push::PushModule>(), true);
    mh->load("register", std::make_unique<modules::registration::RegisterModule>(), true);
    mh->load("cam", std::make_unique<modules::cam::CamModule>(), true);
    mh->load("privacy_notice",
             std::make_unique<modules::privacy_notice::PrivacyNoticeModule>(), true);
    router.addHost(mh.get());
    hosts.push_back(std::move(mh));
  }

  net::TlsContexts c2sTls(config, "");
  net::TlsContexts directTls(config, "xmpp-client");
  net::TlsContexts httpsTls(config, "http/1.1");
  security::throttle::ThrottlePolicy throttlePolicy;
  throttlePolicy.maxDelay = std::chrono::milliseconds(config.throttleMaxDelayMs);
  security::throttle::SignInThrottle throttle(throttlePolicy);
  // Each tenant's lockout settings ([account_security] and [hosts.account_security]).
  {
    std::map<std::string, security::throttle::TenantLockout, std::less<>> lockouts;
    for (const auto& h : config.hosts) {
      const auto o = config.accountSecurityFor(h.name);
      security::throttle::TenantLockout t;
      t.threshold = o.lockoutThreshold.value_or(t.threshold);
      t.lockFor = std::chrono::seconds(o.lockoutSeconds.value_or(t.lockFor.count()));
      t.sprayThreshold = o.sprayThreshold.value_or(t.sprayThreshold);
      t.sprayWindow = std::chrono::seconds(o.sprayWindowSeconds.value_or(t.sprayWindow.count()));
      lockouts[h.name] = t;
    }
    throttle.setTenantPolicy([lockouts](const std::string& host) {
      auto it = lockouts.find(host);
      return it == lockouts.end() ? security::throttle::TenantLockout{} : it->second;
    });
  }
  security::throttle::ConnectionLimiter limiter(config.maxNegotiatingPerAddress,
                                                config.maxNegotiating);
  core::RefusalLog refusals(metrics);
  metrics.gauge("rampart_c2s_negotiating", {}, "Client connections still negotiating");
  net::ConnectionSet connections;
  net::SmRegistry smRegistry;
  std::unique_ptr<security::logins::GeoIp> geoip;
  if (!config.geoipDatabase.empty()) {
    auto g = security::logins::GeoIp::open(config.geoipDatabase);
    if (!g.isOk()) {
      throw core::ConfigError("account_security.geoip_database: " + g.status().message());
    }
    geoip = std::move(g).value();
  }
  security::logins::LoginRecorder logins(config, storageRunner, std::move(geoip), {});
  core::sasl::AuthDeps authDeps{config, storageRunner, throttle, refusals,
                                core::sasl::randomBytes(32),
                                [&logins](storage::LoginRecord r) { logins.record(std::move(r)); },
                                &passwordPolicy};
  {
    auto fastKey = security::secrets::loadOrCreateKey(config.dataDir + "/fast-token.key");
    if (!fastKey.isOk()) {
      throw core::ConfigError("FAST token key: " + fastKey.status().message());
    }
    authDeps.fastKey = std::move(fastKey).value();
  }
  net::C2SDeps deps{config,  router,   storageRunner, metrics,     c2sTls,
                    authDeps, limiter, refusals,      connections, &smRegistry};
  net::C2SDeps directDeps{config,   router,  storageRunner, metrics,     directTls,
                          authDeps, limiter, refusals,      connections, &smRegistry};

  httpRoutes.add("GET", "/healthz", [](const http::Request&) {
    http::Response r;
    r.body = "{\"status\":\"ok\"}";
    return r;
  });
  // RFC 7395 XMPP over WebSocket and its XEP-0156 discovery, on the HTTPS listener.
  std::vector<http::WebSocketRoute> websockets;
  websockets.push_back(http::WebSocketRoute{
      "/xmpp-websocket", "xmpp", config.maxStanzaBytes + 4096,
      [&deps](std::unique_ptr<http::WebSocketStream> ws, std::string peer) {
        auto transport = std::make_unique<net::WsTransport>(std::move(ws), std::move(peer));
        std::make_shared<net::C2SConnection>(std::move(transport), deps)->start();
      }});
  {
    std::vector<std::string> names;
    for (const auto& h : config.hosts) names.push_back(h.name);
    std::map<std::string, std::string> displayNames;
    for (const auto& h : config.hosts) displayNames[h.name] = h.displayName;
    http::addWebClient(httpRoutes, config.resolvedWebChatDir(), names, displayNames,
                       config.accountCenter ? "/account/" : "");
    if (std::string_view u = config.httpsPublicUrl; u.starts_with("https://")) {
      // The name clients reach the listener by (a proxy's), when configured.
      u.remove_prefix(8);
      names.emplace_back(u.substr(0, u.find_first_of(":/")));
    }
    http::addHostMeta(httpRoutes, "/xmpp-websocket", std::move(names));
  }

  http::HttpsOptions httpsOptions{std::chrono::seconds(config.httpsHeaderTimeout),
                                  config.httpsMinBodyRate,
                                  std::chrono::seconds(config.httpsBodyGrace), &refusals};
  std::vector<std::unique_ptr<net::Listener>> listeners;
  Ports ports;
  if (config.c2s.enabled) {
    listeners.push_back(std::make_unique<net::Listener>(
        workers, config.c2s.addresses, config.c2s.port, [&deps](boost::asio::ip::tcp::socket s) {
          std::make_shared<net::C2SConnection>(std::move(s), deps, false)->start();
        }));
    ports["c2s"] = listeners.back()->port();
  }
  if (config.c2sTls.enabled) {
    listeners.push_back(std::make_unique<net::Listener>(
        workers, config.c2sTls.addresses, config.c2sTls.port,
        [&directDeps](boost::asio::ip::tcp::socket s) {
          std::make_shared<net::C2SConnection>(std::move(s), directDeps, true)->start();
        }));
    ports["c2s_tls"] = listeners.back()->port();
  }
  // The admin plane: its own router, TLS contexts (asking for operators' client certificates
  // when a CA is configured) and listener.
  http::Router adminRoutes;
  net::TlsContexts adminTls(config, "http/1.1");
  if (!config.adminClientCa.empty()) {
    adminTls.requestClientCertificates(config.adminClientCa);
  }
  http::admin::AdminHooks hooks;
  hooks.metricsText = [&]() {
    metrics.gauge("rampart_c2s_negotiating")
        .store(static_cast<std::int64_t>(limiter.negotiating()), std::memory_order_relaxed);
    std::string text = metrics.renderPrometheus();
    // Heap actually in use (not merely mapped): what sizing decisions need.
    struct mallinfo2 mi = mallinfo2();
    text += "# HELP rampart_heap_in_use_bytes Heap bytes allocated and not freed\n"
            "# TYPE rampart_heap_in_use_bytes gauge\nrampart_heap_in_use_bytes " +
            std::to_string(mi.uordblks + mi.hblkhd) + "\n";
    return text;
  };
  hooks.statusJson = [&]() {
    auto value = [&](std::string_view name) {
      return metrics.gauge(name).load(std::memory_order_relaxed);
    };
    return "{\"status\":\"ok\",\"version\":\"" RAMPART_VERSION "\",\"connections\":" +
           std::to_string(connections.size()) +
           ",\"sessions\":" + std::to_string(value("rampart_sessions")) +
           ",\"negotiating\":" + std::to_string(limiter.negotiating()) +
           ",\"messages_routed\":" +
           std::to_string(metrics.counter("rampart_stanzas_routed_total").load()) + "}";
  };
  hooks.sessionsOf = [&](const std::string& bare) {
    std::vector<http::admin::AdminHooks::Session> out;
    for (auto& s : connections.sessionsOf(bare)) {
      out.push_back({s.fullJid, s.peer, s.sinceMs});
    }
    return out;
  };
  // Notices to users queued by AdminOps (here or by rampartctl) go out from the host.
  auto sendNotices = [&] {
    storageRunner.run([&](storage::Storage& s) {
      for (const auto& h : config.hosts) {
        auto queued = s.keyValue().list(h.name, "", security::admin::kNoticeStore);
        if (!queued.isOk()) continue;
        for (const auto& kv : queued.value()) {
          s.keyValue().remove(h.name, "", security::admin::kNoticeStore, kv.key);
          const auto nl = kv.value.find('\n');
          if (nl == std::string::npos) continue;
          router.route(core::makeNotice(h.name, kv.value.substr(0, nl) + "@" + h.name,
                                        "Account security", kv.value.substr(nl + 1)));
        }
      }
    });
  };
  authDeps.services = &services;
  authDeps.noticesQueued = sendNotices;
  hooks.endSessionsOf = [&](const std::string& bare) {
    return connections.closeSessionsOf(bare, "policy-violation");
  };
  // Security alerts: stored for the console, logged, POSTed to the webhook, and sent to the
  // tenant's security administrators over XMPP.
  security::alerts::AlertOptions alertOptions;
  alertOptions.webhookUrl = config.alertWebhookUrl;
  alertOptions.webhookSecret = config.alertWebhookSecret;
  alertOptions.webhookCa = config.alertWebhookCa;
  alertOptions.xmpp = config.alertXmpp;
  alertOptions.quiet = std::chrono::seconds(config.alertQuietSeconds);
  alertOptions.maskWebhookAddresses = config.maskAlertAddresses;
  for (const auto& h : config.hosts) {
    alertOptions.accountDomains.push_back(h.name);
  }
  security::alerts::AlertPipeline alerts(
      alertOptions, storageRunner, config.hosts.front().name,
      [&router](const std::string& from, const std::string& to, const std::string& subject,
                const std::string& body) {
        router.route(core::makeNotice(from, to, subject, body));
      });
  hooks.alert = [&alerts](std::string_view rule, const std::string& tenant,
                          const std::string& summary) {
    const bool critical = rule.starts_with("audit-") || rule == "storage-errors";
    alerts.raise(rule, critical ? "critical" : "warning", tenant, summary);
  };
  contentAlert = [&alerts](std::string_view rule, std::string_view severity,
                           const std::string& tenant, const std::string& summary) {
    alerts.raise(rule, severity, tenant, summary);
  };
  // Sign-in anomalies: alerts, a message to the user, and (when configured) a freeze, made by
  // the same operations as an administrator's, as "rampartd".
  logins.setHooks(security::logins::RecorderHooks{
      [&alerts](std::string_view rule, const std::string& tenant, const std::string& summary,
                const std::string& subject) {
        alerts.raise(rule, "warning", tenant, summary, subject);
      },
      [&router](const std::string& host, const std::string& user, const std::string& body) {
        router.route(core::makeNotice(host, user + "@" + host, "New sign-in", body));
      },
      [&](const std::string& host, const std::string& user, const std::string& reason) {
        const security::admin::Actor rule{"rampartd", std::nullopt, "local", "anomaly rules", {}};
        if (adminOps.freezeUser(rule, user + "@" + host, "lock", 0, reason).isOk()) {
          hooks.accountChanged(host, user);
        }
      },
      [&](const std::string& host, const std::string& user, const std::string& reason) {
        const security::admin::Actor rule{"rampartd", std::nullopt, "local", "anomaly rules", {}};
        if (adminOps.requireSecondFactor(rule, user + "@" + host, reason).isOk()) {
          hooks.accountChanged(host, user);
        }
      },
      [&services, &config]() -> std::string {
        const std::string base = services.httpsBase();
        return config.accountCenter && !base.empty() ? base + "/account/" : std::string();
      }});
  // Sign-in locks are kept in the database (administrators list and clear them there, and a
  // restart keeps them) and raise an alert; so does a tenant crossing its spraying threshold.
  throttle.setLockListener([&](const security::throttle::LockEvent& e) {
    const auto untilMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             e.until.time_since_epoch())
                             .count();
    const std::string what =
        e.kind == "tenant" ? "password spraying against " + e.host + ": " +
                                 std::to_string(e.failures) +
                                 " failed sign-ins from unfamiliar places; unfamiliar attempts "
                                 "are now slowed"
                           : "sign-in lock (" + e.kind + ") on " +
                                 (e.user.empty() ? std::string() : e.user + "@" + e.host + " ") +
                                 (e.source.empty() ? std::string() : "from " + e.source + " ") +
                                 "after " + std::to_string(e.failures) + " failures, until " +
                                 security::audit::formatUtcMillis(untilMs);
    // Locks from console sign-ins are alerted by the console itself (admin-sign-in-failures).
    if (e.scope.empty()) {
      alerts.raise(e.kind == "tenant" ? security::alerts::rule::kPasswordSpraying
                                      : security::alerts::rule::kSignInLock,
                   "warning", e.host, what, e.key);
    }
    if (e.kind == "tenant") {
      return;
    }
    storage::SignInLock lock{e.key, e.kind, e.host, e.user, e.source, e.failures, untilMs,
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count()};
    storageRunner.run([lock](storage::Storage& s) { s.accountSecurity().putLock(lock); });
  });
  // The locks the database still holds are the ones in force (administrators clear them
  // there, with rampartctl or the admin API).
  auto syncLocks = [&] {
    storageRunner.run([&throttle](storage::Storage& s) {
      auto locks = s.accountSecurity().locks();
      if (!locks.isOk()) return;
      std::vector<std::string> keys;
      for (const auto& l : locks.value()) keys.push_back(l.key);
      if (auto n = throttle.keepLocks(keys); n > 0) {
        spdlog::info("event=sign_in_locks_cleared count={}", n);
      }
    });
  };
  hooks.accountChanged = [&](const std::string& host, const std::string& user) {
    connections.recheck(user + "@" + host);
    sendNotices();
    syncLocks();
  };
  hooks.accountErased = [&](const std::string& host, const std::string& user) {
    hooks.accountChanged(host, user);
    for (auto& mh : hosts) mh->storedDataChanged();
  };
  // What accounts change themselves over XMPP (XEP-0077, XEP-0494) reaches live sessions too.
  adminOps.setAccountChanged(hooks.accountChanged);
  // Locks in force survive a restart, and so do the addresses each account signed in from
  // (the last 30 days of successful sign-ins), so a lock still stops strangers only.
  {
    const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() -
                       30LL * 86400000;
    auto familiar = store->accountSecurity().recentSuccesses(since, 100000);
    if (familiar.isOk()) {
      for (auto it = familiar.value().rbegin(); it != familiar.value().rend(); ++it) {
        throttle.rememberFamiliar(
            security::throttle::SignInThrottle::accountKey(it->host, it->user), it->source);
      }
    }
  }
  {
    auto locks = store->accountSecurity().locks();
    const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    if (locks.isOk()) {
      for (const auto& l : locks.value()) {
        if (l.lockedUntilMs > nowMs) {
          throttle.restoreLock(l.key, std::chrono::milliseconds(l.lockedUntilMs - nowMs));
        }
      }
    }
  }
  for (auto& [region, database] : storageSet.databases) {
    database->setErrorHook([&alerts](std::string_view what) {
      alerts.raise(security::alerts::rule::kStorageErrors, "critical", "",
                   "storage error: " + std::string(what));
    });
  }
  // An audit event that cannot be written stops its action (AdminOps) and raises an alert.
  auditLog->setFailureHook([alert = hooks.alert](const core::Status& st) {
    alert("audit-unwritable", "", "the audit log cannot be written: " + st.message());
  });
  http::admin::AdminApiDeps adminDeps{config,    storageRunner, store,       *auditLog,
                                      hostNames, hooks,         &passwordPolicy};
  adminDeps.throttle = &throttle;
  adminDeps.fingerprintKey = authDeps.fakeSaltKey;
  adminDeps.recordLogin = authDeps.recordLogin;
  adminDeps.executor = workers.at(0).get_executor();
  http::admin::AdminApi adminApi(std::move(adminDeps));
  adminApi.registerRoutes(adminRoutes);
  http::addAdminConsole(adminRoutes, config.resolvedWebAdminDir());
  adminRoutes.add("GET", "/healthz", [](const http::Request&) {
    http::Response r;
    r.body = "{\"status\":\"ok\"}";
    return r;
  });
  // The account center on the client listener: the same operations, audit, alerts, throttle
  // and login records as the rest of the server.
  // Reset and phone-confirmation codes by text message (the tenant's provider, or the
  // development outbox file); outlives the account center.
  security::reset::SmsGateway sms(config);
  std::unique_ptr<http::account::AccountCenter> accountCenter;
  if (config.accountCenter) {
    http::account::AccountCenterDeps ad{config, storageRunner, store, *auditLog, hostNames,
                                        throttle, &passwordPolicy, workers.at(0).get_executor(),
                                        authDeps.fakeSaltKey};
    ad.sessionsOf = [&connections](const std::string& bare) {
      std::vector<http::account::AccountCenterDeps::XmppSession> out;
      for (auto& s : connections.sessionsOf(bare)) out.push_back({s.fullJid, s.peer, s.sinceMs});
      return out;
    };
    ad.accountChanged = hooks.accountChanged;
    ad.accountErased = hooks.accountErased;
    ad.recordLogin = authDeps.recordLogin;
    ad.alert = hooks.alert;
    ad.sms = &sms;
    ad.notices = &notices;
    accountCenter = std::make_unique<http::account::AccountCenter>(std::move(ad));
    accountCenter->registerRoutes(httpRoutes, config.resolvedWebAccountDir());
  }
  if (config.https.enabled) {
    listeners.push_back(std::make_unique<net::Listener>(
        workers, config.https.addresses, config.https.port,
        [&httpsTls, &httpRoutes, &websockets, &httpsOptions](boost::asio::ip::tcp::socket s) {
          http::serveHttps(std::move(s), httpsTls, httpRoutes, websockets, httpsOptions);
        }));
    ports["https"] = listeners.back()->port();
    // What upload slots and discovery documents point at: https.public_url, else the first
    // host on the bound port.
    services.setHttpsBaseUrl(config.httpsPublicUrl.empty()
                                 ? "https://" + config.hosts.front().name + ":" +
                                       std::to_string(ports["https"])
                                 : config.httpsPublicUrl);
  }

  static const std::vector<http::WebSocketRoute> kNoWebSockets;
  if (config.admin.enabled) {
    listeners.push_back(std::make_unique<net::Listener>(
        workers, config.admin.addresses, config.admin.port,
        [&adminTls, &adminRoutes, &httpsOptions](boost::asio::ip::tcp::socket s) {
          http::serveHttps(std::move(s), adminTls, adminRoutes, kNoWebSockets, httpsOptions);
        }));
    ports["admin"] = listeners.back()->port();
  }

  if (args.dev) {
    writeDevConfig(config, ports);
    auto port = [&](const char* k) { return portOf(ports, k); };
    const std::string& host = config.hosts.front().name;
    std::cout << "  Connect any XMPP client as USER@" << host << " to 127.0.0.1 port "
              << port("c2s") << " (STARTTLS) or " << port("c2s_tls")
              << " (direct TLS); the certificate is self-signed (" << config.certFile << ").\n"
              << "  Web client: https://localhost:" << port("https") << "/chat/\n"
              << "  Account center (each user's own security): https://localhost:"
              << port("https") << "/account/\n"
              << "  Admin console: https://localhost:" << port("admin")
              << "/  (API: /api/v1/, described by /api/v1/openapi.json)\n"
              << "  Add users:  rampartctl --data-dir " << config.dataDir << " user add alice@"
              << host << " PASSWORD\n\n"
              << std::flush;
  }
  // SIGUSR1 (sent by `rampartctl user del`): sessions of deleted accounts end.
  boost::asio::signal_set accountsChanged(workers.at(0), SIGUSR1);
  std::function<void()> watchAccounts = [&] {
    accountsChanged.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      // Keys destroyed by another process (an erased or deleted account) are forgotten here
      // too, before anything could be sealed under a cached copy.
      if (encryption.keyring) encryption.keyring->forgetKeys();
      connections.recheck();
      for (auto& mh : hosts) mh->storedDataChanged();  // an erasure's tombstones
      sendNotices();
      syncLocks();
      watchAccounts();
    });
  };
  watchAccounts();
  // Operators' scripts and rampartctl find the running server through these two files.
  const std::string pidFile = config.resolvedPidFile();
  {
    std::ofstream(pidFile) << getpid() << "\n";
    std::string json = "{";
    for (const auto& [k, v] : ports) {
      json += (json.size() > 1 ? "," : "") + std::string("\"") + k + "\":" + std::to_string(v);
    }
    json += "}\n";
    std::ofstream(config.dataDir + "/ports.json") << json;
    // The hosts this server serves, one per line (rampartctl --data-dir checks JIDs against it).
    std::ofstream hostsFile(config.dataDir + "/hosts");
    for (const auto& h : config.hosts) hostsFile << h.name << "\n";
  }

  std::promise<void> stopped;
  boost::asio::signal_set signals(workers.at(0), SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("event=shutdown signal={}", sig);
    for (auto& l : listeners) l->stop();
    connections.closeAll("system-shutdown");
    stopped.set_value();
  });
  for (auto& l : listeners) l->start();
  workers.start();
  for (const auto& [k, v] : ports) {
    spdlog::info("event=listening service={} port={}", k, v);
  }
  spdlog::info("event=started hosts={} threads={}", config.hosts.size(), workers.size());

  // Daily checks on their own thread (the first right now): certificates close to expiry and
  // the audit log's integrity.
  std::mutex maintenanceMu;
  std::condition_variable maintenanceCv;
  bool maintenanceStop = false;
  // An event of the server itself (not on a network thread: the audit log may block on disk).
  auto auditEvent = [&](std::string_view action, std::string object, security::AuditResult result,
                        std::vector<std::pair<std::string, std::string>> details) {
    security::AuditEvent e;
    e.action = action;
    e.actor = "rampartd";
    e.source = "local";
    e.client = "rampartd";
    e.object = std::move(object);
    e.result = result;
    e.details = std::move(details);
    return auditLog->record(e);
  };
  std::thread maintenance([&] {
    // Certificate changes since the last start are audited.
    std::vector<std::string> certFiles{config.certFile};
    for (const auto& h : config.hosts) {
      if (!h.certFile.empty()) certFiles.push_back(h.certFile);
    }
    {
      const std::string seenFile = config.dataDir + "/tls-fingerprints";
      std::map<std::string, std::string> seen;
      {
        std::ifstream in(seenFile);
        for (std::string file, fp; in >> fp && std::getline(in >> std::ws, file);) seen[file] = fp;
      }
      std::ofstream out(seenFile + ".tmp");
      for (const auto& f : certFiles) {
        auto info = security::alerts::inspectCertificate(f);
        if (!info.readable) continue;
        out << info.fingerprint << " " << f << "\n";
        if (seen[f] != info.fingerprint) {
          auditEvent(security::audit_action::kTlsCertificate, f, security::AuditResult::kSuccess,
                     {{"sha256", info.fingerprint}, {"subject", info.subject},
                      {"not_after", security::audit::formatUtcMillis(info.notAfterMs)},
                      {"previous", seen[f].empty() ? "none" : seen[f]}});
        }
      }
      out.close();
      // Kept for the next start; when it cannot be written now (no descriptor or disk space
      // left), the old list stays and the next start audits the certificates again.
      std::error_code renamed;
      if (out) {
        std::filesystem::rename(seenFile + ".tmp", seenFile, renamed);
      }
      if (!out || renamed) {
        spdlog::warn("event=tls_fingerprints_not_saved file={}", seenFile);
      }
    }
    std::unique_lock lock(maintenanceMu);
    do {
      lock.unlock();
      const auto nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      for (const auto& f : certFiles) {
        auto info = security::alerts::inspectCertificate(f);
        const std::int64_t left = info.notAfterMs - nowMs;
        if (info.readable && left < std::int64_t{config.certificateWarningDays} * 86400000) {
          alerts.raise(security::alerts::rule::kCertificateExpiry, left <= 0 ? "critical" : "warning",
                       "", "certificate " + f + " (" + info.subject + ") " +
                               (left <= 0 ? "has expired" : "expires") + " at " +
                               security::audit::formatUtcMillis(info.notAfterMs));
        }
      }
      auto v = auditLog->verify();
      if (!v.ok) {
        alerts.raise(security::alerts::rule::kAuditVerification, "critical", "",
                     "audit log verification failed: " + v.problem);
      }
      lock.lock();
    } while (!maintenanceCv.wait_for(lock, std::chrono::hours(24), [&] { return maintenanceStop; }));
  });

  // The audit log's own retention (server-wide, at least the legal minimum) goes through the
  // scheduler too; the log records its pruning itself.
  retention.add("", "audit log", core::DataKind::kAudit,
                [&](storage::Storage&, const core::RetentionCutoff& c) {
                  auto pruned = auditLog->pruneBefore(c.beforeUs / 1000);
                  if (!pruned.isOk() || pruned.value() == 0) return std::size_t{0};
                  (void)auditEvent(
                      security::audit_action::kAuditPrune, "audit log",
                      security::AuditResult::kSuccess,
                      {{"records", std::to_string(pruned.value())},
                       {"retention_days",
                        std::to_string(security::retention::policyFor(config, "").auditDays)}});
                  return pruned.value();
                });
  // Retention passes: at start, then hourly, each on the storage thread.
  std::thread retentionPasses([&] {
    std::unique_lock lock(maintenanceMu);
    do {
      lock.unlock();
      std::promise<void> done;
      storageRunner.run([&](storage::Storage& s) {
        retention.runOnce(s, std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
        done.set_value();
      });
      done.get_future().wait();
      lock.lock();
    } while (!maintenanceCv.wait_for(lock, std::chrono::hours(1), [&] { return maintenanceStop; }));
  });

  // Re-encryption after a key rotation (by rampartctl or at start), a batch at a time on the
  // storage thread; and the maximum key age, checked hourly.
  std::thread keyMaintenance;
  std::unique_ptr<storage::encrypted::Reencryption> reencryption;
  if (encryption.storage) {
    // One pass over every region's cells (the router's, with residency regions).
    reencryption = std::make_unique<storage::encrypted::Reencryption>(
        *encryption.storage, *encryption.keyring,
        [] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
        },
        &store->sealedCells());
    for (auto& lister : keptFiles) reencryption->addFiles(*store, std::move(lister));
    keyMaintenance = std::thread([&] {
      std::int64_t lastAgeCheckMs = 0;
      std::unique_lock lock(maintenanceMu);
      while (!maintenanceStop) {
        lock.unlock();
        bool more = false;
        {
          std::promise<bool> done;
          auto doneFuture = done.get_future();
          storageRunner.run([&](storage::Storage&) {
            reencryption->check();
            done.set_value(reencryption->step());
          });
          more = doneFuture.get();
        }
        const std::int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
        if (nowMs - lastAgeCheckMs >= 3600 * 1000) {
          lastAgeCheckMs = nowMs;
          const std::int64_t maxAgeMs = std::int64_t{config.encryption.maxKeyAgeDays} * 86400000;
          std::vector<std::pair<std::string, std::int64_t>> old;
          {
            auto& kr = *encryption.keyring;
            std::lock_guard klock(kr.storeMutex());
            auto tenants = kr.store().tenants();
            for (const auto& t : tenants.isOk() ? tenants.value() : std::vector<std::string>{}) {
              auto keys = kr.store().tenantKeys(t);
              if (keys.isOk() && !keys.value().empty() &&
                  nowMs - keys.value().back().createdMs > maxAgeMs) {
                old.emplace_back(t, (nowMs - keys.value().back().createdMs) / 86400000);
              }
            }
          }
          for (const auto& [t, days] : old) {
            alerts.raise(security::alerts::rule::kKeyAge, "warning", t,
                         "the data key of " + t + " is " + std::to_string(days) +
                             " days old (encryption.max_key_age_days = " +
                             std::to_string(config.encryption.maxKeyAgeDays) +
                             "): rotate it with rampartctl key rotate " + t);
          }
        }
        lock.lock();
        if (!more) {
          maintenanceCv.wait_for(lock, std::chrono::seconds(2), [&] { return maintenanceStop; });
        }
      }
    });
  }

  stopped.get_future().wait();
  {
    std::lock_guard lock(maintenanceMu);
    maintenanceStop = true;
  }
  maintenanceCv.notify_all();
  maintenance.join();
  retentionPasses.join();
  retention.clear();  // the purgers belong to modules about to stop
  if (keyMaintenance.joinable()) keyMaintenance.join();
  // Let the <system-shutdown/> errors reach the clients, then flush storage.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  contentOps.stopScanning();
  workers.stop();
  for (auto& h : hosts) h->stopAll();
  storageRunner.drainAndStop();
  adminOps.record(service, security::audit_action::kServiceStop, "rampartd", "",
                  security::AuditResult::kSuccess);
  std::filesystem::remove(pidFile);
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The data directory holds credentials (SCRAM keys), messages and the TLS key: nothing
  // this process creates is readable by other users.
  ::umask(0077);
  // Every connection is a descriptor: use all the hard limit allows (the soft limit is often
  // 1024). What happens when even that runs out: net/listener.cc.
  if (struct rlimit rl{}; ::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  try {
    return run(argc, argv);
  } catch (const rampart::core::ConfigError& e) {
    std::cerr << "rampartd: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "rampartd: fatal: " << e.what() << "\n";
    return 1;
  }
}
