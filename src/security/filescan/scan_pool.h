#pragma once
// The threads that do slow content work (clamd scans, type checks, image decoding) off the
// network threads and the storage thread, behind a bounded queue: when it is full, submit()
// refuses at once instead of letting work pile up. Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace rampart::security::filescan {

class ScanPool {
 public:
  ScanPool(std::size_t threads, std::size_t queueLimit);
  // Finishes the jobs that are running and runs the ones queued, then joins.
  ~ScanPool();
  ScanPool(const ScanPool&) = delete;
  ScanPool& operator=(const ScanPool&) = delete;

  // False when `queueLimit` jobs are already waiting.
  bool submit(std::function<void()> job);

 private:
  void run();
  std::size_t limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace rampart::security::filescan
