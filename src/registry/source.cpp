#include "registry/source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kbr::registry {

Result<size_t> StringSource::Read(char* buf, size_t len) {
  size_t n = std::min(len, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    int err = errno;
    std::string msg = "cannot open '" + path + "': " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(msg);
    if (err == EACCES) return Status::PermissionDenied(msg);
    return Status::Internal(msg);
  }
  return std::unique_ptr<FileSource>(new FileSource(path, f));
}

FileSource::~FileSource() { std::fclose(f_); }

Result<size_t> FileSource::Read(char* buf, size_t len) {
  size_t n = std::fread(buf, 1, len, f_);
  if (n == 0 && std::ferror(f_)) return Status::Internal("reading '" + path_ + "': " + std::strerror(errno));
  return n;
}

bool FileSource::Rewind() {
  std::clearerr(f_);
  return std::fseek(f_, 0, SEEK_SET) == 0;
}

}  // namespace kbr::registry
