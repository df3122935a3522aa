#pragma once
// Network threads (one io_context per core, connections pinned to one) and the storage
// thread that runs every blocking storage call. Start/stop pair lives in server wiring.

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "rampart/core/metrics.h"
#include "rampart/storage/stores.h"

namespace rampart::core {

class Workers {
 public:
  explicit Workers(unsigned count);
  ~Workers();
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  // Round-robin choice for a new connection.
  boost::asio::io_context& next();

  void start();
  void stop();  // stops the loops and joins

  // The io_context of the calling network thread, or null on other threads.
  static boost::asio::io_context* current();

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

// Serializes storage work onto one thread: SQLite has a single writer, and FIFO order keeps
// offline messages in the order they were sent.
class StorageRunner {
 public:
  StorageRunner(storage::Storage& storage, Metrics& metrics);
  ~StorageRunner();
  StorageRunner(const StorageRunner&) = delete;
  StorageRunner& operator=(const StorageRunner&) = delete;

  void run(std::function<void(storage::Storage&)> work);
  // Runs `work` on the storage thread once `delay` has passed (group commit: writes that may
  // wait a few milliseconds gather into one transaction). A shutdown waits for it.
  void runAfter(std::chrono::milliseconds delay, std::function<void(storage::Storage&)> work);
  // Start-up only: work that makes writes still gathering for a group commit durable (an
  // archive's pending batch); sync() runs every such hook.
  void addSyncHook(std::function<void(storage::Storage&)> hook) {
    syncHooks_.push_back(std::move(hook));
  }
  // Runs `done` on the storage thread once everything queued before it has run and every
  // sync hook has written what it gathered: what was handed to storage so far is durable.
  void sync(std::function<void()> done);
  // On the storage thread: every sync hook writes what it gathered now (before an export or
  // an erasure reads the archives).
  void flushPending(storage::Storage& s) {
    for (const auto& hook : syncHooks_) hook(s);
  }
  // Runs everything queued, then stops the thread (shutdown flush).
  void drainAndStop();

 private:
  void execute(const std::function<void(storage::Storage&)>& work);
  storage::Storage& storage_;
  std::vector<std::function<void(storage::Storage&)>> syncHooks_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::atomic<std::int64_t>& depth_;
  std::atomic<std::int64_t>& ops_;
  std::atomic<std::int64_t>& micros_;
};

}  // namespace rampart::core
