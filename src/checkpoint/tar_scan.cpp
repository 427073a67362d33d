#include "checkpoint/tar_scan.h"

#include <algorithm>
#include <cstring>

namespace kbr::checkpoint {

namespace {

constexpr size_t kBlock = 512;
constexpr size_t kMaxMetaSize = 64 << 10;  // long names and pax records we keep

std::string_view Field(const char* h, size_t off, size_t len) {
  std::string_view f(h + off, len);
  auto nul = f.find('\0');
  return nul == std::string_view::npos ? f : f.substr(0, nul);
}

// Octal (space/NUL terminated) or GNU base-256 numbers; -1 when malformed.
int64_t Number(const char* h, size_t off, size_t len) {
  const auto* p = reinterpret_cast<const unsigned char*>(h + off);
  if (p[0] & 0x80) {  // base-256, big-endian, first byte's top bit is the marker
    if (p[0] & 0x40) return -1;  // negative
    int64_t v = p[0] & 0x3f;
    for (size_t i = 1; i < len; ++i) {
      if (v > (INT64_MAX >> 8)) return -1;
      v = (v << 8) | p[i];
    }
    return v;
  }
  int64_t v = 0;
  size_t i = 0;
  while (i < len && p[i] == ' ') ++i;
  bool any = false;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v > (INT64_MAX >> 3)) return -1;
    v = v * 8 + (p[i] - '0');
    any = true;
  }
  if (i < len && p[i] != ' ' && p[i] != '\0') return -1;
  return any ? v : 0;
}

bool ChecksumOk(const char* h) {
  int64_t want = Number(h, 148, 8);
  if (want < 0) return false;
  int64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  return sum == want;
}

}  // namespace

TarMemberScanner::TarMemberScanner(std::vector<std::string> names, size_t max_member_size)
    : wanted_(std::move(names)), max_member_size_(max_member_size) {}

std::string TarMemberScanner::NormalizeName(std::string_view name) {
  for (;;) {
    if (name.substr(0, 2) == "./") {
      name.remove_prefix(2);
    } else if (!name.empty() && name[0] == '/') {
      name.remove_prefix(1);
    } else {
      break;
    }
  }
  return std::string(name);
}

void TarMemberScanner::Restart() {
  phase_ = Phase::kHeader;
  header_fill_ = 0;
  zero_blocks_ = 0;
  data_left_ = pad_left_ = 0;
  target_ = Target::kSkip;
  buf_.clear();
  capture_name_.clear();
  next_name_.clear();
  next_size_ = -1;
  entries_ = 0;
  members_.clear();
}

std::optional<std::string> TarMemberScanner::Member(const std::string& name) const {
  auto it = members_.find(NormalizeName(name));
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

void TarMemberScanner::Update(std::string_view data) {
  while (!data.empty()) {
    switch (phase_) {
      case Phase::kEnd:
      case Phase::kGaveUp:
        return;
      case Phase::kHeader: {
        size_t n = std::min(kBlock - header_fill_, data.size());
        std::memcpy(header_ + header_fill_, data.data(), n);
        header_fill_ += n;
        data.remove_prefix(n);
        if (header_fill_ == kBlock) {
          header_fill_ = 0;
          OnHeader();
        }
        break;
      }
      case Phase::kData: {
        size_t n = static_cast<size_t>(std::min<int64_t>(data_left_, static_cast<int64_t>(data.size())));
        if (target_ != Target::kSkip) buf_.append(data.data(), n);
        data_left_ -= static_cast<int64_t>(n);
        data.remove_prefix(n);
        if (data_left_ == 0) OnDataEnd();
        break;
      }
      case Phase::kPadding: {
        size_t n = static_cast<size_t>(std::min<int64_t>(pad_left_, static_cast<int64_t>(data.size())));
        pad_left_ -= static_cast<int64_t>(n);
        data.remove_prefix(n);
        if (pad_left_ == 0) phase_ = Phase::kHeader;
        break;
      }
    }
  }
}

void TarMemberScanner::OnHeader() {
  if (std::all_of(header_, header_ + kBlock, [](char c) { return c == 0; })) {
    if (++zero_blocks_ == 2) phase_ = Phase::kEnd;
    return;
  }
  zero_blocks_ = 0;
  if (!ChecksumOk(header_)) {
    phase_ = Phase::kGaveUp;
    return;
  }
  int64_t size = Number(header_, 124, 12);
  if (size < 0) {
    phase_ = Phase::kGaveUp;
    return;
  }
  const char type = header_[156];
  target_ = Target::kSkip;
  buf_.clear();
  if (type == 'L') {
    if (size <= static_cast<int64_t>(kMaxMetaSize)) target_ = Target::kLongName;
  } else if (type == 'x') {
    if (size <= static_cast<int64_t>(kMaxMetaSize)) target_ = Target::kPax;
  } else if (type != 'g' && type != 'K') {
    ++entries_;
    std::string name = next_name_;
    if (name.empty()) {
      name = std::string(Field(header_, 0, 100));
      std::string_view magic(header_ + 257, 5);
      std::string_view prefix = Field(header_, 345, 155);
      if (magic == "ustar" && !prefix.empty()) name = std::string(prefix) + "/" + name;
    }
    if (next_size_ >= 0) size = next_size_;
    next_name_.clear();
    next_size_ = -1;
    capture_name_ = NormalizeName(name);
    bool regular = type == '0' || type == '\0' || type == '7';
    bool wanted = std::find(wanted_.begin(), wanted_.end(), capture_name_) != wanted_.end();
    if (regular && wanted && size <= static_cast<int64_t>(max_member_size_)) target_ = Target::kCapture;
  }
  data_left_ = size;
  pad_left_ = (static_cast<int64_t>(kBlock) - size % static_cast<int64_t>(kBlock)) % static_cast<int64_t>(kBlock);
  if (data_left_ == 0) {
    OnDataEnd();
  } else {
    phase_ = Phase::kData;
  }
}

void TarMemberScanner::OnDataEnd() {
  switch (target_) {
    case Target::kCapture:
      members_[capture_name_] = std::move(buf_);
      break;
    case Target::kLongName:
      next_name_ = std::string(Field(buf_.data(), 0, buf_.size()));
      break;
    case Target::kPax:
      ParsePax(buf_);
      break;
    case Target::kSkip:
      break;
  }
  buf_.clear();
  target_ = Target::kSkip;
  phase_ = pad_left_ > 0 ? Phase::kPadding : Phase::kHeader;
}

// Records are "<len> <key>=<value>\n", len counting the whole record.
void TarMemberScanner::ParsePax(std::string_view records) {
  while (!records.empty()) {
    size_t sp = records.find(' ');
    if (sp == std::string_view::npos) return;
    size_t len = 0;
    for (char c : records.substr(0, sp)) {
      if (c < '0' || c > '9') return;
      len = len * 10 + static_cast<size_t>(c - '0');
      if (len > records.size()) return;
    }
    if (len <= sp + 1 || len > records.size()) return;
    std::string_view rec = records.substr(sp + 1, len - sp - 1);
    if (!rec.empty() && rec.back() == '\n') rec.remove_suffix(1);
    records.remove_prefix(len);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = rec.substr(0, eq), value = rec.substr(eq + 1);
    if (key == "path") {
      next_name_ = std::string(value);
    } else if (key == "size") {
      int64_t v = 0;
      bool ok = !value.empty();
      for (char c : value) {
        if (c < '0' || c > '9' || v > (INT64_MAX / 10 - 9)) {
          ok = false;
          break;
        }
        v = v * 10 + (c - '0');
      }
      if (ok) next_size_ = v;
    }
  }
}

}  // namespace kbr::checkpoint
