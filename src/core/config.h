#pragma once
// Typed server configuration, loaded from TOML and validated at start-up. Immutable after
// load; shared read-only by every thread.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::core {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ListenerConfig {
  bool enabled = true;
  std::vector<std::string> addresses{"127.0.0.1"};
  std::uint16_t port = 0;
};

// Options of one module: flat key/value pairs from [modules.NAME].
struct ModuleOptions {
  bool enabled = true;
  bool enabledGiven = false;  // 'enabled' was set explicitly
  std::map<std::string, std::string> strings;
  std::map<std::string, std::int64_t> ints;
  std::map<std::string, bool> bools;
};

// Account security options ([account_security], and per tenant [hosts.account_security] over
// it). Unset options take their defaults (the password profile's, for password rules).
struct AccountSecurityOptions {
  std::optional<std::string> passwordProfile;  // "mlps" or "nist"
  std::optional<std::uint32_t> passwordMinLength;
  std::optional<std::uint32_t> passwordMaxAgeDays;
  std::optional<std::uint32_t> passwordHistory;
  std::optional<std::uint32_t> passwordMinClasses;
  // Sign-in lockout (security/lockout).
  std::optional<std::uint32_t> lockoutThreshold;       // failures from unfamiliar places
  std::optional<std::uint32_t> lockoutSeconds;         // first soft lock; doubles each time
  std::optional<std::uint32_t> sprayThreshold;         // failures on distinct accounts
  std::optional<std::uint32_t> sprayWindowSeconds;
  // Sign-in anomaly rules (security/logins).
  std::optional<std::vector<std::string>> anomalyRules;
  std::optional<std::string> anomalyAction;  // "alert" or "freeze"
  std::optional<std::uint32_t> failureBurstThreshold;
  std::optional<double> impossibleTravelKmh;
  // Second factor (security/mfa): required for every account of the tenant, or for accounts
  // holding one of these administrator roles; days to enrol before the main password stops
  // opening XMPP sessions.
  std::optional<bool> mfaRequired;
  std::optional<std::vector<std::string>> mfaRequiredRoles;
  std::optional<std::uint32_t> mfaGraceDays;
  // Password reset (account center): security questions as an extra factor (off by
  // default), and the tenant's SMS provider (empty: the development outbox file).
  std::optional<bool> resetQuestions;
  std::optional<std::string> smsGatewayUrl;
  std::optional<std::string> smsGatewaySecret;
  void overrideWith(const AccountSecurityOptions& o);
};

// Content security ([content_security], and per tenant [hosts.content_security] over it): the
// DLP detectors' and custom rules' actions, the tenant's rules, end-to-end encryption policy and
// the review queue. Actions are "allow", "mask", "warn", "block", "quarantine" or "off".
struct ContentRuleOptions {
  std::string name;
  std::vector<std::string> keywords;
  std::vector<std::string> patterns;
  std::string action = "warn";
};
struct ContentSecurityOptions {
  std::optional<bool> enabled;
  std::optional<std::string> e2ee;  // "allow", "internal" or "refuse"
  std::map<std::string, std::string> actions;         // rule name -> action
  std::map<std::string, std::string> contextActions;  // when context words make it certain
  std::vector<ContentRuleOptions> rules;
  std::optional<std::uint32_t> reviewAlertMinutes;  // alert when an item waits longer
  std::optional<std::uint32_t> evidenceDays;        // rejected items kept as evidence
  // Uploaded files (XEP-0363): clamd's local socket (empty: no virus scanning), what to do
  // when it cannot answer, the types refused whatever they are announced as, whether a real
  // type that contradicts the announced one is refused, whether refused files are kept in the
  // evidence area or deleted, and whether text files go through the DLP rules.
  std::optional<std::string> clamdSocket;
  std::optional<std::uint32_t> scanTimeoutSeconds;
  std::optional<std::string> scannerUnavailable;  // "refuse" or "accept"
  std::optional<std::vector<std::string>> forbiddenFileTypes;
  std::optional<std::string> typeMismatch;        // "refuse" or "allow"
  std::optional<std::string> refusedFiles;        // "keep" or "delete"
  std::optional<bool> inspectTextUploads;
  // Links: blocklist files (plain lists or URLhaus CSV exports), domains never flagged, and
  // words that make a link (or QR code) suspicious when they appear near it, besides the
  // built-in ones.
  std::optional<std::vector<std::string>> linkBlocklists;
  std::optional<std::vector<std::string>> linkAllowlist;
  std::optional<std::vector<std::string>> fraudCues;
  // A tenant's options over the server's: single values and actions replace, rules add (a
  // tenant rule of the same name replaces the server's).
  void overrideWith(const ContentSecurityOptions& o);
};

// Privacy ([privacy], and per tenant [hosts.privacy] over it): the tenant's privacy notice that
// people accept before using the account center and the web client (PIPL arts. 14 and 17, GDPR
// arts. 7 and 13), and whether people see a legal hold on their own data.
struct PrivacyOptions {
  std::optional<std::string> noticeVersion;  // empty: the tenant has no notice, nothing is asked
  std::optional<std::string> noticeFile;     // the notice as plain text (English, the fallback)
  std::optional<std::string> noticeFileZh;   // the same in Simplified Chinese
  std::optional<bool> showLegalHold;         // default false
  void overrideWith(const PrivacyOptions& o);
};

// Retention ([retention], and per tenant [hosts.retention] over it), enforced by one scheduler
// (security/retention). Days; 0 keeps forever. Unset: the module's retention_days (365).
struct RetentionOptions {
  std::optional<std::uint32_t> archiveDays;      // 1:1 message archives (XEP-0313)
  std::optional<std::uint32_t> roomArchiveDays;  // group chat archives
  std::optional<std::uint32_t> fileDays;         // uploaded files (XEP-0363)
  std::optional<std::uint32_t> loginDays;        // sign-in records (default: the audit log's)
  std::map<std::string, std::uint32_t> rooms;    // one room (bare JID) -> its archive's days
  void overrideWith(const RetentionOptions& o);
};

struct HostConfig {
  std::string name;
  std::string displayName;  // the tenant's name shown to people (web client); empty: the name
  std::string certFile;  // empty: the server-wide certificate
  std::string keyFile;
  // Per-tenant module options ([hosts.modules.NAME]), over the server-wide [modules.NAME].
  std::map<std::string, ModuleOptions> modules;
  AccountSecurityOptions accountSecurity;
  ContentSecurityOptions contentSecurity;
  PrivacyOptions privacy;
  RetentionOptions retention;
  // Data residency: the region whose storage holds this tenant's data ([residency.regions]);
  // empty: the home region (the server's data_dir).
  std::string region;
};

struct Config {
  std::string dataDir = "var";
  unsigned threads = 0;  // 0: one per core
  std::string logLevel = "info";
  std::string pidFile;  // empty: DATA_DIR/rampartd.pid

  std::string dbPath;  // empty: DATA_DIR/rampart.db
  std::string dbSynchronous = "full";

  std::string certFile;
  std::string keyFile;
  std::string tlsMinVersion = "1.2";

  ListenerConfig c2s{true, {"127.0.0.1"}, 5222};
  ListenerConfig c2sTls{true, {"127.0.0.1"}, 5223};
  ListenerConfig https{true, {"127.0.0.1"}, 5281};
  std::string httpsPublicUrl;  // how clients reach the HTTPS listener; empty: https://HOST:PORT
  std::string webAccountDir;  // the built account center; empty: web/account/dist beside the tree
  // The account center (/account/ on the HTTPS listener): web sessions' idle and absolute
  // timeouts in seconds.
  bool accountCenter = true;
  std::uint32_t accountSessionIdle = 900;
  std::uint32_t accountSessionMaxAge = 8 * 3600;
  std::string webChatDir;  // the bundled web client; empty: web/chat beside the binary's tree
  std::string webAdminDir;  // the built admin console; empty: web/admin/dist beside the tree

  std::uint32_t scramIterations = 4096;
  bool allowPlain = false;
  std::size_t maxStanzaBytes = 256 * 1024;
  std::size_t maxOutboundBytes = 4 * 1024 * 1024;
  std::uint32_t resumeTimeoutSeconds = 300;  // XEP-0198: how long a dropped session waits
  std::size_t maxUnacked = 10000;            // XEP-0198: unacknowledged stanzas kept
  std::size_t csiMaxQueue = 500;             // XEP-0352: stanzas held for an inactive client
  std::uint32_t maxAuthFailures = 5;  // per connection before it is closed
  // Sign-in pacing (security/throttle): answers spaced 250 ms doubling up to this, per
  // address and per account, while they have recent failures.
  std::uint32_t throttleMaxDelayMs = 8000;
  // RFC 5802 section 6: "y" while -PLUS is offered is a downgrade and fails, unless this
  // compatibility switch (for slixmpp <= 1.8 on TLS 1.3) is on. See docs/security.md.
  bool acceptCbDowngrade = false;
  // Deadlines for each negotiation phase (seconds) and caps on connections still negotiating.
  std::uint32_t tlsHandshakeTimeout = 30;
  std::uint32_t streamOpenTimeout = 30;
  std::uint32_t authTimeout = 60;
  std::uint32_t bindTimeout = 30;
  std::size_t maxNegotiatingPerAddress = 256;  // an office NAT reconnecting after a restart
  std::size_t maxNegotiating = 4096;
  // HTTPS: deadline for a request's header, and the slowest body transfer accepted (after a
  // grace of https_body_grace seconds).
  std::uint32_t httpsHeaderTimeout = 30;
  std::uint32_t httpsMinBodyRate = 8192;  // bytes per second
  std::uint32_t httpsBodyGrace = 10;
  // The admin plane ([admin]): its own HTTPS listener, reachable only from `adminAllow`.
  ListenerConfig admin{true, {"127.0.0.1"}, 5282};
  std::vector<std::string> adminAllow{"127.0.0.0/8", "::1/128"};
  // Who may read /metrics on the admin listener without an API token (CIDR list).
  std::vector<std::string> metricsAllow{"127.0.0.0/8", "::1/128"};
  struct AdminRole {
    std::vector<std::string> allow;  // empty: the listener's list alone
    bool clientCertificate = false;  // also require a client certificate from adminClientCa
  };
  std::map<std::string, AdminRole> adminRoles;  // by role name
  std::string adminClientCa;                    // PEM file of the operators' CA
  std::uint32_t adminSessionIdle = 900;         // seconds
  std::uint32_t adminSessionMaxAge = 28800;     // seconds
  std::uint32_t adminMaxFailures = 5;           // per account and per address, then a lock
  std::uint32_t adminLockoutSeconds = 900;
  std::uint32_t auditRetentionDays = 180;
  std::string auditSyslog;  // "udp://HOST:PORT" or "tcp://HOST:PORT"; empty: no forwarding
  // [alerts]: where security alerts go besides the log and the console.
  std::string alertWebhookUrl;
  std::string alertWebhookSecret;
  std::string alertWebhookCa;
  bool alertXmpp = true;
  std::uint32_t alertQuietSeconds = 60;
  std::uint32_t certificateWarningDays = 30;
  bool crossHostTraffic = false;
  std::string conflictPolicy = "kick_old";  // or "refuse_new"
  AccountSecurityOptions accountSecurity;  // server-wide; tenants may override
  // A common-password list (one per line) refused by every profile; empty: none.
  std::string passwordBlocklist = "/usr/share/john/password.lst";
  ContentSecurityOptions contentSecurity;  // server-wide; tenants may override
  // [masking]: data type name -> "KEEP_START+KEEP_END" (security/masking).
  std::map<std::string, std::string> masking;
  // [masking] log_addresses: client addresses in log lines masked (default) or in clear (for
  // tools such as fail2ban that act on the log).
  bool maskLogAddresses = true;
  // [masking] alert_addresses: client addresses in alerts sent to the webhook masked, or in
  // clear (default: the webhook is the security team's, which acts on addresses).
  bool maskAlertAddresses = false;
  // A MaxMind DB file (GeoLite2/GeoIP2 City format) for login records' places; empty: none.
  std::string geoipDatabase;
  PrivacyOptions privacy;      // server-wide; tenants may override
  RetentionOptions retention;  // server-wide; tenants may override
  // [encryption]: envelope encryption of stored data (security/encryption).
  struct Encryption {
    bool enabled = true;
    std::string provider = "file";  // "file" or "pkcs11"
    std::string keyFile;            // empty: DATA_DIR/master.key
    std::string keysDb;             // empty: DATA_DIR/keys.db
    std::uint32_t maxKeyAgeDays = 365;  // a tenant key older than this raises an alert
    std::string pkcs11Module;       // the PKCS#11 library (e.g. libsofthsm2.so)
    std::string pkcs11Token;        // the token's label
    std::string pkcs11PinFile;      // a file holding the user PIN
    std::string pkcs11KeyLabel = "rampart-master";  // the AES key's label on the token
  } encryption;
  std::string resolvedKeyFile() const {
    return encryption.keyFile.empty() ? dataDir + "/master.key" : encryption.keyFile;
  }
  std::string resolvedKeysDb() const {
    return encryption.keysDb.empty() ? dataDir + "/keys.db" : encryption.keysDb;
  }

  // [residency]: each region's storage location (its own database file and upload directory,
  // under data_dir), and whether personal data may be sent to a service of another region
  // (push notifications to an app server of a host in another region): "refuse" or "allow";
  // both are audited (data.transfer).
  struct Region {
    std::string dataDir;
  };
  std::map<std::string, Region> regions;
  std::string crossRegion = "refuse";
  // The region of a configured host, or of a service domain under one ("" for the home
  // region and for anything else).
  std::string regionOf(std::string_view host) const;
  // Where `host`'s files live: its region's data_dir, or the server's.
  std::string dataDirFor(std::string_view host) const;
  std::string dataDirOfRegion(std::string_view region) const {
    auto it = regions.find(std::string(region));
    return it == regions.end() ? dataDir : it->second.dataDir;
  }

  std::vector<HostConfig> hosts;
  std::map<std::string, ModuleOptions> modules;

  std::string configPath;  // where it was loaded from, empty in --dev mode

  std::string resolvedWebChatDir() const;
  std::string resolvedWebAdminDir() const;
  std::string resolvedWebAccountDir() const;
  std::string resolvedDbPath() const { return dbPath.empty() ? dataDir + "/rampart.db" : dbPath; }
  std::string resolvedPidFile() const {
    return pidFile.empty() ? dataDir + "/rampartd.pid" : pidFile;
  }
  const ModuleOptions* moduleOptions(const std::string& name) const {
    auto it = modules.find(name);
    return it == modules.end() ? nullptr : &it->second;
  }
  // The options of module `name` for `host`: the host's own over the server-wide ones;
  // nullopt when neither is configured.
  std::optional<ModuleOptions> moduleOptions(const std::string& host,
                                             const std::string& name) const;
  // The account security options of `host`: its own over the server-wide ones.
  AccountSecurityOptions accountSecurityFor(std::string_view host) const;
  // The content security options of `host`: its own over the server-wide ones.
  ContentSecurityOptions contentSecurityFor(std::string_view host) const;
  PrivacyOptions privacyFor(std::string_view host) const;
  RetentionOptions retentionFor(std::string_view host) const;
};

// Throws ConfigError with a message that says what to fix.
Config loadConfig(const std::string& path);
// Development defaults: every listener on 127.0.0.1, data in dataDir.
Config devConfig(const std::string& dataDir, const std::string& host);
void validate(const Config& c);

}  // namespace rampart::core
