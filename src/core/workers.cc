#include "core/workers.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sched.h>

#include <chrono>

namespace rampart::core {
namespace {
thread_local boost::asio::io_context* tCurrent = nullptr;
}

namespace {
// An io_context opens its reactor (epoll, eventfd and timerfd descriptors) with its first I/O
// object. Opened here, at start, it cannot fail later when the process has no descriptor left
// (which would throw out of the context's thread and end the process).
void openReactor(boost::asio::io_context& ctx) { boost::asio::steady_timer timer(ctx); }
}  // namespace

Workers::Workers(unsigned count) {
  if (count == 0) {
    // One thread per CPU this process may run on (taskset, cgroups), not per CPU installed.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      count = static_cast<unsigned>(CPU_COUNT(&set));
    }
    count = std::max(1u, count == 0 ? std::thread::hardware_concurrency() : count);
  }
  for (unsigned i = 0; i < count; ++i) {
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
    openReactor(*contexts_.back());
  }
}

Workers::~Workers() { stop(); }

boost::asio::io_context& Workers::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void Workers::start() {
  for (auto& ctx : contexts_) {
    threads_.emplace_back([c = ctx.get()] {
      tCurrent = c;
      c->run();
    });
  }
}

void Workers::stop() {
  for (auto& g : guards_) {
    g.reset();
  }
  for (auto& c : contexts_) {
    c->stop();
  }
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
}

boost::asio::io_context* Workers::current() { return tCurrent; }

StorageRunner::StorageRunner(storage::Storage& storage, Metrics& metrics)
    : storage_(storage),
      ioc_(1),
      guard_(ioc_.get_executor()),
      depth_(metrics.gauge("rampart_storage_queue_depth", {}, "Storage operations waiting")),
      ops_(metrics.counter("rampart_storage_operations_total", {}, "Storage operations run")),
      micros_(metrics.counter("rampart_storage_latency_microseconds_total", {},
                              "Time spent in storage operations")) {
  openReactor(ioc_);
  thread_ = std::thread([this] { ioc_.run(); });
}

StorageRunner::~StorageRunner() { drainAndStop(); }

void StorageRunner::run(std::function<void(storage::Storage&)> work) {
  depth_.fetch_add(1, std::memory_order_relaxed);
  boost::asio::post(ioc_, [this, work = std::move(work)] {
    depth_.fetch_sub(1, std::memory_order_relaxed);
    execute(work);
  });
}

void StorageRunner::sync(std::function<void()> done) {
  run([this, done = std::move(done)](storage::Storage& s) {
    for (const auto& hook : syncHooks_) {
      hook(s);
    }
    done();
  });
}

void StorageRunner::runAfter(std::chrono::milliseconds delay,
                             std::function<void(storage::Storage&)> work) {
  depth_.fetch_add(1, std::memory_order_relaxed);
  // The timer is created on the storage thread: io_context timers are not thread-safe objects.
  boost::asio::post(ioc_, [this, delay, work = std::move(work)]() mutable {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, delay);
    timer->async_wait([this, timer, work = std::move(work)](boost::system::error_code) {
      depth_.fetch_sub(1, std::memory_order_relaxed);
      execute(work);
    });
  });
}

void StorageRunner::execute(const std::function<void(storage::Storage&)>& work) {
  auto t0 = std::chrono::steady_clock::now();
  work(storage_);
  ops_.fetch_add(1, std::memory_order_relaxed);
  micros_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count(),
                    std::memory_order_relaxed);
}

void StorageRunner::drainAndStop() {
  guard_.reset();
  if (thread_.joinable()) {
    thread_.join();  // run() returns once the queue is empty
  }
}

}  // namespace rampart::core
