// BlobSource: the caller's side of a streaming blob upload.
//
// The registry client reads a blob front to back and hashes it on the way;
// it never asks to seek. A source that can Rewind (rewindable()) is streamed
// to the registry in one request without being buffered: to continue after a
// dropped connection the client rewinds it and reads up to the registry's
// offset again. From a plain stream (a pipe, a compressor that cannot start
// over) the client sends chunks it keeps buffered until the registry
// acknowledges them (see Registry::UploadBlob); such a source is asked to
// Rewind only when a registry loses the whole upload session.
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
  // True when Rewind is expected to succeed (it may still fail, e.g. when the
  // file was removed meanwhile).
  virtual bool rewindable() const { return false; }
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
  bool rewindable() const override { return true; }

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
  bool rewindable() const override { return true; }

 private:
  FileSource(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  std::FILE* f_;
};

}  // namespace kbr::registry
