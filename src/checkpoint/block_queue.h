// BlockQueue: a bounded single-producer single-consumer queue of fixed-size
// byte blocks, the hand-off between two threads of a streaming pipeline
// (compress while uploading; download while unpacking). Memory is
// blocks × block_size, allocated once.
//
// Thread-safety: one producer thread and one consumer thread at a time.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace kbr::checkpoint {

class BlockQueue {
 public:
  BlockQueue(size_t blocks, size_t block_size);
  size_t block_size() const { return block_size_; }

  // Producer: a free block to fill (waits while all are in use), or nullptr
  // once the consumer closed its side.
  char* Acquire();
  // Producer: hands the acquired block over with its first len bytes.
  void Publish(size_t len);
  // Producer: copies data in, publishing blocks as they fill (the last,
  // partial one on Close). Data is dropped once the consumer closed.
  void Write(std::string_view data);
  // Producer: no more blocks; the consumer sees `status` after the last one
  // (OK: a clean end). A partially written block is published first when OK.
  void Close(const Status& status);

  // Consumer: the next block (valid until the next call), an empty view at
  // a clean end, or the producer's error.
  Result<std::string_view> Next();
  // Consumer: stop; the producer's Acquire returns nullptr and Write drops.
  void CloseConsumer();

 private:
  const size_t block_size_;
  std::vector<std::unique_ptr<char[]>> storage_;
  int writing_ = -1;  // producer's block (producer thread only)
  size_t written_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> free_;                     // guarded by mu_
  std::deque<std::pair<int, size_t>> full_;  // guarded by mu_
  int reading_ = -1;                         // guarded by mu_
  bool producer_closed_ = false;             // guarded by mu_
  Status producer_status_;                   // guarded by mu_
  bool consumer_closed_ = false;             // guarded by mu_
};

}  // namespace kbr::checkpoint
