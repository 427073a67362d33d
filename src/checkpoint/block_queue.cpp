#include "checkpoint/block_queue.h"

#include <algorithm>
#include <cstring>

namespace kbr::checkpoint {

BlockQueue::BlockQueue(size_t blocks, size_t block_size) : block_size_(block_size) {
  for (size_t i = 0; i < blocks; ++i) {
    storage_.emplace_back(new char[block_size]);
    free_.push_back(static_cast<int>(i));
  }
}

char* BlockQueue::Acquire() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !free_.empty() || consumer_closed_; });
  if (consumer_closed_) return nullptr;
  writing_ = free_.front();
  free_.pop_front();
  written_ = 0;
  return storage_[writing_].get();
}

void BlockQueue::Publish(size_t len) {
  std::lock_guard<std::mutex> l(mu_);
  full_.emplace_back(writing_, len);
  writing_ = -1;
  written_ = 0;
  cv_.notify_all();
}

void BlockQueue::Write(std::string_view data) {
  while (!data.empty()) {
    if (writing_ < 0 && !Acquire()) return;  // consumer gone: drop
    size_t n = std::min(data.size(), block_size_ - written_);
    std::memcpy(storage_[writing_].get() + written_, data.data(), n);
    written_ += n;
    data.remove_prefix(n);
    if (written_ == block_size_) Publish(written_);
  }
}

void BlockQueue::Close(const Status& status) {
  if (status.ok() && writing_ >= 0 && written_ > 0) Publish(written_);
  std::lock_guard<std::mutex> l(mu_);
  producer_closed_ = true;
  producer_status_ = status;
  cv_.notify_all();
}

Result<std::string_view> BlockQueue::Next() {
  std::unique_lock<std::mutex> l(mu_);
  if (reading_ >= 0) {
    free_.push_back(reading_);
    reading_ = -1;
    cv_.notify_all();
  }
  cv_.wait(l, [&] { return !full_.empty() || producer_closed_; });
  if (!full_.empty()) {
    auto [idx, len] = full_.front();
    full_.pop_front();
    reading_ = idx;
    return std::string_view(storage_[idx].get(), len);
  }
  if (!producer_status_.ok()) return producer_status_;
  return std::string_view();
}

void BlockQueue::CloseConsumer() {
  std::lock_guard<std::mutex> l(mu_);
  consumer_closed_ = true;
  cv_.notify_all();
}

}  // namespace kbr::checkpoint
