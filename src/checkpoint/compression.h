// Layer compression for checkpoint images: the layer media types, a
// BlobSource that reads an archive file once and yields its compressed bytes
// (hashing the uncompressed ones on the way), and a push-style decompressor
// for the restore side.
//
// Memory is constant: the source holds one read buffer (Options::read_size)
// plus the codec's state (zstd level 1: about 1.5 MiB; gzip: about 300 KiB);
// the decompressor holds a 256 KiB output buffer plus the codec's window.
// Output is deterministic for a given input, codec, level and library version
// (gzip headers carry no name and mtime 0), so a retried push of the same
// archive yields the same layer digest.
//
// Thread-safety: none; one object per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "registry/digest.h"
#include "registry/source.h"

namespace kbr::checkpoint {

enum class Compression { kNone, kGzip, kZstd };

// zstd level 1: checkpoint archives are mostly memory pages that are either
// trivially compressible (zero, repeated, text) or random, so level 1 keeps
// ~99% of level 3's ratio at about three times its speed and a smaller window.
inline constexpr int kDefaultZstdLevel = 1;
inline constexpr int kDefaultGzipLevel = 6;

inline constexpr const char* kLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kLayerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

// "none", "gzip", "zstd".
const char* CompressionName(Compression c);
// The OCI layer media type for c.
const char* LayerMediaType(Compression c);
// Parses "none" | "gzip" | "zstd" (also "" → zstd, the default).
// InvalidArgument naming the value otherwise.
Result<Compression> ParseCompression(std::string_view name);
// The compression of an OCI or Docker layer media type. InvalidArgument for
// media types that are not tar layers (or use another codec).
Result<Compression> CompressionOfMediaType(std::string_view media_type);

class BlockQueue;

// Sees the uncompressed bytes of a stream in order. Restart() is called when
// the stream starts over from its first byte.
class ByteObserver {
 public:
  virtual ~ByteObserver() = default;
  virtual void Update(std::string_view data) = 0;
  virtual void Restart() = 0;
};

// Reads a file front to back once and yields it compressed. Every
// uncompressed byte is hashed (diff_id) and shown to the observer; nothing
// is written to disk. Rewind() reopens the file by path and starts over, so
// a restarted registry upload gets the same bytes again.
//
// With Options::background (the default) zstd/gzip run on a worker thread
// that reads, hashes and compresses ahead into three 256 KiB blocks, so
// compression overlaps the upload on another core; the observer is then
// called on that thread. Without it (and always for kNone) everything
// happens inside Read().
class CompressingFileSource final : public registry::BlobSource {
 public:
  struct Options {
    Compression compression = Compression::kZstd;
    int level = 0;                 // 0: kbr's default (zstd 1, gzip 6); see kDefaultZstdLevel
    size_t read_size = 1 << 20;    // bytes read from the file at a time
    bool hash_uncompressed = true; // false: diff_id() stays "" (for kNone the blob digest is the diff_id)
    ByteObserver* observer = nullptr;  // not owned; must outlive the source
    bool background = true;            // compress on a worker thread (zstd, gzip)
  };

  // Opens the file. NotFound / PermissionDenied naming the path when it
  // cannot be opened; InvalidArgument for a bad level or a non-regular file.
  static Result<std::unique_ptr<CompressingFileSource>> Open(const std::string& path, const Options& opts);
  ~CompressingFileSource() override;

  // Fills buf with compressed bytes; 0 once the whole file is consumed and
  // the codec flushed. Errors: Internal for read or codec failures;
  // FailedPrecondition when the file's size changed while it was read.
  Result<size_t> Read(char* buf, size_t len) override;
  bool Rewind() override;
  bool rewindable() const override { return true; }

  // Valid after Read returned 0 (for the last pass when rewound), not during a pass:
  std::string diff_id() const { return opts_.hash_uncompressed ? diff_hasher_.Digest() : ""; }
  int64_t uncompressed_bytes() const { return in_total_; }
  int64_t compressed_bytes() const { return out_total_; }
  int64_t file_size() const { return file_size_; }

 private:
  struct Codec;
  CompressingFileSource(std::string path, Options opts);
  Status OpenFile();
  Status ResetCodec();
  Result<size_t> ReadInput(char* buf, size_t len);  // file → buf, observed
  Result<size_t> Produce(char* buf, size_t len);    // the synchronous pipeline
  void StartWorker();
  void StopWorker();
  bool threaded() const { return opts_.background && opts_.compression != Compression::kNone; }

  std::string path_;
  Options opts_;
  int fd_ = -1;
  int64_t file_size_ = 0;
  std::unique_ptr<Codec> codec_;
  std::unique_ptr<char[]> in_buf_;
  size_t in_pos_ = 0, in_len_ = 0;
  bool in_eof_ = false;
  bool done_ = false;
  int64_t in_total_ = 0, out_total_ = 0;
  registry::Sha256Hasher diff_hasher_;
  // Background mode: the worker fills queue_; Read drains pending_.
  std::unique_ptr<BlockQueue> queue_;
  std::thread worker_;
  std::string_view pending_;
  bool drained_ = false;
};

// Receives decompressed bytes; a non-OK return stops decompression with it.
using ByteSink = std::function<Status(std::string_view)>;

// Push-style decompression of a layer stream of a known codec.
class Decompressor {
 public:
  virtual ~Decompressor() = default;
  // A decompressor for c (kNone passes bytes through).
  static Result<std::unique_ptr<Decompressor>> New(Compression c);
  // Decompresses `in`, handing every produced piece to `out` in order.
  // Errors: InvalidArgument("corrupt <codec> stream: ...") or out's error.
  virtual Status Update(std::string_view in, const ByteSink& out) = 0;
  // The input ended. InvalidArgument when it stopped in the middle of a
  // frame / member, or no frame was seen at all for a non-empty stream.
  virtual Status Finish() = 0;
};

}  // namespace kbr::checkpoint
