// TarMemberScanner: follows the headers of a tar stream as its bytes go by
// (no seeking, constant memory) and keeps the contents of a few wanted
// members. The image builder uses it to pick config.dump out of a checkpoint
// archive during its single upload pass, so the archive is never read twice.
//
// Understands ustar/GNU/pax headers: GNU long names ('L'), pax extended
// headers ('x': path, size), ustar prefixes, octal and base-256 sizes. When
// the stream stops looking like tar (bad header checksum) the scanner gives
// up quietly: members already captured stay available, later ones are not.
// It never fails the stream it watches.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/compression.h"

namespace kbr::checkpoint {

class TarMemberScanner final : public ByteObserver {
 public:
  // `names`: member paths to capture ("config.dump"; a leading "./" or "/"
  // in the archive is ignored). Members larger than max_member_size are
  // skipped (not captured).
  explicit TarMemberScanner(std::vector<std::string> names, size_t max_member_size = 1 << 20);

  void Update(std::string_view data) override;
  void Restart() override;  // forget everything; the stream starts over

  // The complete contents of a wanted regular-file member seen so far (the
  // last one when it occurs twice), or nullopt.
  std::optional<std::string> Member(const std::string& name) const;
  // Entries whose header was seen.
  int64_t entries() const { return entries_; }
  // True once the scanner saw the end-of-archive marker.
  bool finished() const { return phase_ == Phase::kEnd; }
  // True when it stopped because the stream was not valid tar.
  bool gave_up() const { return phase_ == Phase::kGaveUp; }

  // Strips "./" prefixes and leading slashes: "./a/b" → "a/b".
  static std::string NormalizeName(std::string_view name);

 private:
  enum class Phase { kHeader, kData, kPadding, kEnd, kGaveUp };
  enum class Target { kSkip, kCapture, kLongName, kPax };
  void OnHeader();
  void OnDataEnd();
  void ParsePax(std::string_view records);

  const std::vector<std::string> wanted_;
  const size_t max_member_size_;
  Phase phase_ = Phase::kHeader;
  char header_[512];
  size_t header_fill_ = 0;
  int zero_blocks_ = 0;
  int64_t data_left_ = 0;
  int64_t pad_left_ = 0;
  Target target_ = Target::kSkip;
  std::string buf_;           // captured member / long name / pax records
  std::string capture_name_;  // wanted member being captured
  std::string next_name_;     // from a GNU 'L' or pax path, for the next entry
  int64_t next_size_ = -1;    // from a pax size, for the next entry
  int64_t entries_ = 0;
  std::map<std::string, std::string> members_;
};

}  // namespace kbr::checkpoint
