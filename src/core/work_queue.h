// WorkQueue: keys waiting to be reconciled, each at most once in the queue
// (adding a queued key again is a no-op), handed out in FIFO order — the
// level-based controller's queue: a worker reconciles a key to whatever the
// object looks like when it gets to it.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace kbr {

class WorkQueue {
 public:
  void Add(const std::string& key) {
    std::lock_guard<std::mutex> l(mu_);
    if (shut_down_ || !queued_.insert(key).second) return;
    keys_.push_back(key);
    cv_.notify_one();
  }

  // Blocks until a key is queued (and takes it) or ShutDown() (nullopt).
  std::optional<std::string> Next() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [this] { return shut_down_ || !keys_.empty(); });
    if (shut_down_) return std::nullopt;
    std::string key = std::move(keys_.front());
    keys_.pop_front();
    queued_.erase(key);
    return key;
  }

  // Wakes every Next() with nullopt; later Adds are ignored.
  void ShutDown() {
    std::lock_guard<std::mutex> l(mu_);
    shut_down_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> keys_;  // GUARDED_BY(mu_)
  std::set<std::string> queued_;  // GUARDED_BY(mu_)
  bool shut_down_ = false;        // GUARDED_BY(mu_)
};

}  // namespace kbr
