// rampartctl: account administration and status, working on the same database as a running
// rampartd (SQLite WAL allows a second writer to wait its turn).

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/config.h"
#include "core/credentials.h"
#include "rampart/core/jid.h"
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
    "  status                    show whether rampartd runs, its ports and accounts\n"
    "exit codes: 0 ok, 1 operation failed, 2 usage or configuration error, 3 not running\n";

int usage(const std::string& why) {
  std::cerr << "rampartctl: " << why << "\n" << kUsage;
  return 2;
}

std::unique_ptr<storage::sqlite::SqliteStorage> openDb(const core::Config& c) {
  auto r = storage::sqlite::SqliteStorage::open({c.resolvedDbPath(), c.dbSynchronous, 10000});
  if (!r.isOk()) {
    throw core::ConfigError(r.status().message());
  }
  return std::move(r).value();
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
    auto db = openDb(config);
    for (const auto& h : servedHosts(config, devMode)) {
      auto users = db->listAccounts(h);
      std::cout << "host " << h << ": " << (users.isOk() ? users.value().size() : 0)
                << " accounts\n";
    }
    return 0;
  }
  if (cmd[0] != "user" || cmd.size() < 2) {
    return usage("unknown command");
  }
  const std::string& sub = cmd[1];
  auto db = openDb(config);
  if (sub == "list") {
    if (cmd.size() != 3) return usage("user list HOST");
    auto host = core::prepareDomainpart(cmd[2]);
    if (!host) return usage("not a valid host name: " + cmd[2]);
    auto users = db->listAccounts(*host);
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
  core::Status st;
  if (sub == "add" || sub == "passwd") {
    if (cmd.size() != 4) return usage("user " + sub + " JID PASSWORD");
    const std::string& pw = cmd[3];
    if (pw.empty() || pw.size() > 1023) return usage("the password must be 1-1023 bytes");
    auto prepared = core::preparePassword(pw);
    if (!prepared) {
      return usage("the password holds characters not allowed in passwords (RFC 8265 "
                   "OpaqueString: no control characters or unassigned code points)");
    }
    auto creds = core::makeCredentials(*prepared, config.scramIterations);
    st = sub == "add" ? db->createAccount(jid->domain(), jid->local(), creds)
                      : db->setCredentials(jid->domain(), jid->local(), creds);
  } else if (sub == "del") {
    if (cmd.size() != 3) return usage("user del JID");
    st = db->deleteAccount(jid->domain(), jid->local());
  } else {
    return usage("unknown user command " + sub);
  }
  if (!st.isOk()) {
    std::cerr << "rampartctl: " << jid->bareStr() << ": " << st.message() << "\n";
    return 1;
  }
  // The write is committed: rampartd reads credentials from the database at each sign-in.
  if (sub == "del") {
    // A running server ends the deleted account's sessions.
    const long pid = pidFromFile(config);
    std::string comm;
    if (pid != 0 &&
        std::getline(std::ifstream("/proc/" + std::to_string(pid) + "/comm"), comm) &&
        comm == "rampartd") {
      kill(static_cast<pid_t>(pid), SIGUSR1);
    }
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
    return run(argc, argv);
  } catch (const rampart::core::ConfigError& e) {
    std::cerr << "rampartctl: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "rampartctl: " << e.what() << "\n";
    return 1;
  }
}
