// Sha256Hasher: incremental sha256 producing OCI digests ("sha256:<hex>").
// Not thread-safe; one per stream. Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kbr::registry {

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;

  void Update(std::string_view data);
  // The digest of everything passed to Update since construction or Reset.
  // Does not disturb the running state: Update may continue afterwards.
  std::string Digest() const;
  int64_t bytes() const { return bytes_; }
  void Reset();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
  int64_t bytes_ = 0;
};

// "sha256:<hex>" of data.
std::string DigestOf(std::string_view data);

}  // namespace kbr::registry
