// BlobSource: the caller's side of a streaming blob upload.
//
// The registry client reads a blob once, front to back, and hashes it on the
// way; it never asks to seek. To survive a dropped connection it keeps the
// bytes of the chunk in flight buffered until the registry acknowledges them
// (see Registry::UploadBlob), so a plain stream (a pipe, an on-the-fly
// compressor) is enough. Only when a registry loses the whole upload session
// does the client ask the source to Rewind and start over.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr::registry {

class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // Fills buf with up to len (> 0) bytes; returns how many, 0 at the end of
  // the blob. An error aborts the upload and is returned by UploadBlob.
  virtual Result<size_t> Read(char* buf, size_t len) = 0;
  // Starts over so that Read yields the same bytes again from the first.
  // Returns false (the default) when the source cannot.
  virtual bool Rewind() { return false; }
};

// The bytes of a string_view; the viewed memory must outlive the source.
class StringSource final : public BlobSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t len) override;
  bool Rewind() override {
    pos_ = 0;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// A file read from its beginning; rewindable. Open returns NotFound or
// PermissionDenied (naming the path) when the file cannot be opened.
class FileSource final : public BlobSource {
 public:
  static Result<std::unique_ptr<FileSource>> Open(const std::string& path);
  ~FileSource() override;
  Result<size_t> Read(char* buf, size_t len) override;
  bool Rewind() override;

 private:
  FileSource(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  std::FILE* f_;
};

}  // namespace kbr::registry
