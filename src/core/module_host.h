#pragma once
// One virtual host's module tables: IQ handlers, hooks, disco features, and a
// ModuleContext per loaded module. Filled during start-up, read-only while threads run.

#include "rampart/security/account_service.h"
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "core/config.h"
#include "core/workers.h"
#include "rampart/core/module_context.h"

namespace rampart::core {

class RouterImpl;

// What every host's modules share beyond routing: the HTTPS routes and where the listener
// can be reached. Filled by the server wiring; the URL once listeners are bound.
struct HostServices {
  http::Router* http = nullptr;
  security::AccountService* accounts = nullptr;  // set before modules start
  security::ContentService* content = nullptr;   // set before modules start
  // The retention scheduler's registration (tenant, where, kind, purger); set before modules
  // start.
  std::function<void(std::string, std::string, DataKind, Purger)> addRetention;
  // Where modules' kept files are listed for re-encryption (ModuleContext::addKeptFiles).
  std::function<void(storage::KeptFiles)> addKeptFiles;
  // Data residency's transfer policy (ModuleContext::allowTransfer); unset: allowed.
  std::function<bool(std::string_view, const std::string&, const std::string&)> allowTransfer;
  void setHttpsBaseUrl(std::string url) {
    std::lock_guard lock(mu);
    httpsBaseUrl = std::move(url);
  }
  std::string httpsBase() const {
    std::lock_guard lock(mu);
    return httpsBaseUrl;
  }

 private:
  mutable std::mutex mu;
  std::string httpsBaseUrl;
};

class ModuleHost {
 public:
  ModuleHost(std::string host, const Config& config, RouterImpl& router, Metrics& metrics,
             HostServices& services,
             StorageRunner& storage, Workers& workers);
  ~ModuleHost();

  const std::string& host() const { return host_; }

  // Starts a module unless the configuration disables it.
  void load(const std::string& name, std::unique_ptr<Module> module, bool enabledByDefault);
  void stopAll();
  // Tells every module that stored data was rewritten (Module::storedDataChanged).
  void storedDataChanged();

  // Dispatch, called by the router.
  const IqHandler* iqHandler(IqScope scope, IqType type, std::string_view ns) const;
  // Runs hooks for `event` by descending priority until one returns true.
  bool fire(std::string_view event, StanzaEvent& ev) const;
  const DiscoRegistry& disco() const { return disco_; }

 private:
  class Context;
  struct HookEntry {
    int priority;
    std::string owner;
    Hook hook;
  };
  struct IqEntry {
    std::string owner;
    IqHandler handler;
  };
  friend class Context;

  std::string host_;
  std::string dataDir_;  // the host's region's data directory (data residency)
  const Config& config_;
  RouterImpl& router_;
  Metrics& metrics_;
  HostServices& services_;
  StorageRunner& storage_;
  Workers& workers_;
  std::map<std::tuple<IqScope, IqType, std::string>, IqEntry, std::less<>> iq_;
  std::map<std::string, std::vector<HookEntry>, std::less<>> hooks_;
  DiscoRegistry disco_;
  std::map<std::string, ModuleOptions> options_;  // merged per-module options of this host
  std::vector<std::pair<std::unique_ptr<Context>, std::unique_ptr<Module>>> modules_;
};

}  // namespace rampart::core
