#include "core/module_host.h"

#include <algorithm>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/router_impl.h"

namespace rampart::core {

class ModuleHost::Context final : public ModuleContext {
 public:
  Context(ModuleHost& host, std::string name, const ModuleOptions* options)
      : host_(host), name_(std::move(name)), options_(options) {}

  const std::string& host() const override { return host_.host_; }
  void addFeature(std::string_view var) override { addOnce(host_.disco_.hostFeatures, var); }
  void addAccountFeature(std::string_view var) override {
    addOnce(host_.disco_.accountFeatures, var);
  }
  void addDiscoItem(std::string_view jid, std::string_view name) override {
    host_.disco_.items.push_back({std::string(jid), std::string(name)});
  }
  void addComponent(std::string domain, ComponentHandler handler) override {
    host_.router_.addComponent(std::move(domain), &host_, std::move(handler));
  }
  void addDiscoForm(Element form) override { host_.disco_.hostForms.push_back(std::move(form)); }
  http::Router& http() override { return *host_.services_.http; }
  const std::string& dataDir() const override { return host_.dataDir_; }
  std::string httpsBaseUrl() const override { return host_.services_.httpsBase(); }
  security::AccountService* accountService() override { return host_.services_.accounts; }
  security::ContentService* contentService() override { return host_.services_.content; }
  unsigned sessionFlag(std::string_view name) override {
    // One process-wide table: the same name means the same bit on every host.
    static std::mutex mu;
    static std::vector<std::string> names;
    std::lock_guard lock(mu);
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) {
      return static_cast<unsigned>(it - names.begin());
    }
    if (names.size() >= 32) {
      throw ConfigError("too many session flags");
    }
    names.emplace_back(name);
    return static_cast<unsigned>(names.size() - 1);
  }
  void onIq(IqScope scope, IqType type, std::string_view ns, IqHandler handler) override {
    host_.iq_[{scope, type, std::string(ns)}] = IqEntry{name_, std::move(handler)};
  }
  void hook(std::string_view event, int priority, Hook hook) override {
    auto& v = host_.hooks_[std::string(event)];
    v.push_back(HookEntry{priority, name_, std::move(hook)});
    std::stable_sort(v.begin(), v.end(),
                     [](const HookEntry& a, const HookEntry& b) { return a.priority > b.priority; });
  }
  Router& router() override { return host_.router_; }
  Metrics& metrics() override { return host_.metrics_; }

  bool optionBool(std::string_view name, bool fallback) const override {
    if (options_ != nullptr) {
      if (auto it = options_->bools.find(std::string(name)); it != options_->bools.end()) {
        return it->second;
      }
    }
    return fallback;
  }
  std::int64_t optionInt(std::string_view name, std::int64_t fallback, std::int64_t min,
                         std::int64_t max) const override {
    if (options_ != nullptr) {
      if (auto it = options_->ints.find(std::string(name)); it != options_->ints.end()) {
        if (it->second < min || it->second > max) {
          throw ConfigError("modules." + name_ + "." + std::string(name) + " must be between " +
                            std::to_string(min) + " and " + std::to_string(max));
        }
        return it->second;
      }
    }
    return fallback;
  }
  std::string optionString(std::string_view name, std::string_view fallback) const override {
    if (options_ != nullptr) {
      if (auto it = options_->strings.find(std::string(name)); it != options_->strings.end()) {
        return it->second;
      }
    }
    return std::string(fallback);
  }
  void addKeptFiles(storage::KeptFiles lister) override {
    if (host_.services_.addKeptFiles) host_.services_.addKeptFiles(std::move(lister));
  }
  void addRetention(DataKind kind, std::string where, Purger purger) override {
    if (host_.services_.addRetention) {
      host_.services_.addRetention(host_.host_, std::move(where), kind, std::move(purger));
    }
  }
  bool allowTransfer(std::string_view purpose, const std::string& subject,
                     const std::string& destination) override {
    return !host_.services_.allowTransfer ||
           host_.services_.allowTransfer(purpose, subject, destination);
  }
  void every(std::chrono::seconds interval, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(host_.workers_.next(), interval);
    timers_.push_back(timer);
    schedule(timer, interval, std::make_shared<std::function<void()>>(std::move(fn)));
  }
  static void schedule(const std::shared_ptr<boost::asio::steady_timer>& timer,
                       std::chrono::seconds interval,
                       std::shared_ptr<std::function<void()>> fn) {
    timer->async_wait([weak = std::weak_ptr(timer), interval, fn](boost::system::error_code ec) {
      auto t = weak.lock();
      if (ec || !t) {
        return;
      }
      (*fn)();
      t->expires_after(interval);
      schedule(t, interval, fn);
    });
  }
  void runStorage(std::function<void(storage::Storage&)> work) override {
    host_.storage_.run(std::move(work));
  }
  void runStorageAfter(std::chrono::milliseconds delay,
                       std::function<void(storage::Storage&)> work) override {
    host_.storage_.runAfter(delay, std::move(work));
  }
  bool filtered(Element& stanza) override {
    StanzaEvent ev{stanza, nullptr};
    return host_.fire(events::kStanzaFilter, ev);
  }
  void addStorageSyncHook(std::function<void(storage::Storage&)> hook) override {
    host_.storage_.addSyncHook(std::move(hook));
  }
  std::function<void(std::function<void()>)> currentThreadPoster() override {
    boost::asio::io_context* ctx = Workers::current();
    if (ctx == nullptr) {
      ctx = &host_.workers_.next();
    }
    return [ctx](std::function<void()> fn) { boost::asio::post(*ctx, std::move(fn)); };
  }

  static void addOnce(std::vector<std::string>& v, std::string_view var) {
    if (std::find(v.begin(), v.end(), var) == v.end()) {
      v.emplace_back(var);
    }
  }

  void unregister() {
    for (auto& t : timers_) {
      // Cancelled on its own thread; the handler sees the error and stops re-arming.
      boost::asio::post(t->get_executor(), [t] { t->cancel(); });
    }
    timers_.clear();
    std::erase_if(host_.iq_, [&](const auto& kv) { return kv.second.owner == name_; });
    for (auto& [event, v] : host_.hooks_) {
      std::erase_if(v, [&](const HookEntry& e) { return e.owner == name_; });
    }
  }

 private:
  ModuleHost& host_;
  std::string name_;
  const ModuleOptions* options_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;
};

ModuleHost::ModuleHost(std::string host, const Config& config, RouterImpl& router,
                       Metrics& metrics, HostServices& services, StorageRunner& storage, Workers& workers)
    : host_(std::move(host)),
      dataDir_(config.dataDirFor(host_)),
      config_(config),
      router_(router),
      metrics_(metrics),
      services_(services),
      storage_(storage),
      workers_(workers) {}

ModuleHost::~ModuleHost() { stopAll(); }

void ModuleHost::load(const std::string& name, std::unique_ptr<Module> module,
                      bool enabledByDefault) {
  std::optional<ModuleOptions> merged = config_.moduleOptions(host_, name);
  const ModuleOptions* opts = nullptr;
  if (merged) {
    opts = &(options_[name] = std::move(*merged));  // lives as long as this host
  }
  bool enabled = opts != nullptr && opts->enabledGiven ? opts->enabled : enabledByDefault;
  if (!enabled) {
    return;
  }
  auto ctx = std::make_unique<Context>(*this, name, opts);
  module->start(*ctx);
  modules_.emplace_back(std::move(ctx), std::move(module));
}

void ModuleHost::storedDataChanged() {
  for (auto& [ctx, module] : modules_) module->storedDataChanged();
}

void ModuleHost::stopAll() {
  for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
    it->second->stop();
    it->first->unregister();
  }
  modules_.clear();
}

const IqHandler* ModuleHost::iqHandler(IqScope scope, IqType type, std::string_view ns) const {
  auto it = iq_.find(std::make_tuple(scope, type, std::string(ns)));
  return it == iq_.end() ? nullptr : &it->second.handler;
}

bool ModuleHost::fire(std::string_view event, StanzaEvent& ev) const {
  auto it = hooks_.find(event);
  if (it == hooks_.end()) {
    return false;
  }
  for (const auto& h : it->second) {
    if (h.hook(ev)) {
      return true;
    }
  }
  return false;
}

}  // namespace rampart::core
