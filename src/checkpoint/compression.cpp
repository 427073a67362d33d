#include "checkpoint/compression.h"

#include "checkpoint/block_queue.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace kbr::checkpoint {

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "?";
}

const char* LayerMediaType(Compression c) {
  switch (c) {
    case Compression::kNone: return kLayerTar;
    case Compression::kGzip: return kLayerTarGzip;
    case Compression::kZstd: return kLayerTarZstd;
  }
  return kLayerTar;
}

Result<Compression> ParseCompression(std::string_view name) {
  if (name.empty() || name == "zstd") return Compression::kZstd;
  if (name == "gzip") return Compression::kGzip;
  if (name == "none") return Compression::kNone;
  return Status::InvalidArgument("compression '" + std::string(name) + "': want zstd, gzip or none");
}

Result<Compression> CompressionOfMediaType(std::string_view mt) {
  if (mt == kLayerTar || mt == "application/vnd.docker.image.rootfs.diff.tar") return Compression::kNone;
  if (mt == kLayerTarGzip || mt == "application/vnd.docker.image.rootfs.diff.tar.gzip") return Compression::kGzip;
  if (mt == kLayerTarZstd || mt == "application/vnd.docker.image.rootfs.diff.tar.zstd") return Compression::kZstd;
  return Status::InvalidArgument("layer media type '" + std::string(mt) + "' is not a tar layer kbr can read");
}

// ---------------------------------------------------------------------------
// CompressingFileSource

struct CompressingFileSource::Codec {
  ZSTD_CCtx* zstd = nullptr;
  z_stream z{};
  bool z_init = false;
  ~Codec() {
    if (zstd) ZSTD_freeCCtx(zstd);
    if (z_init) deflateEnd(&z);
  }
};

CompressingFileSource::CompressingFileSource(std::string path, Options opts)
    : path_(std::move(path)), opts_(opts), in_buf_(new char[std::max<size_t>(opts.read_size, 4096)]) {}

CompressingFileSource::~CompressingFileSource() {
  StopWorker();
  if (fd_ >= 0) close(fd_);
}

Result<std::unique_ptr<CompressingFileSource>> CompressingFileSource::Open(const std::string& path,
                                                                           const Options& opts) {
  if (opts.level < 0 || (opts.compression == Compression::kGzip && opts.level > 9) ||
      (opts.compression == Compression::kZstd && opts.level > ZSTD_maxCLevel())) {
    return Status::InvalidArgument("compression level " + std::to_string(opts.level) + " is out of range for " +
                                   CompressionName(opts.compression));
  }
  std::unique_ptr<CompressingFileSource> s(new CompressingFileSource(path, opts));
  RETURN_IF_ERROR(s->OpenFile());
  RETURN_IF_ERROR(s->ResetCodec());
  s->StartWorker();
  return s;
}

// How far the worker may run ahead of the upload. bench/push measured no gain
// from more look-ahead (8 or 16 blocks), so it stays small.
constexpr size_t kAheadBlocks = 3;

void CompressingFileSource::StartWorker() {
  pending_ = {};
  drained_ = false;
  if (!threaded()) return;
  queue_ = std::make_unique<BlockQueue>(kAheadBlocks, 256 << 10);
  worker_ = std::thread([this] {
    for (;;) {
      char* block = queue_->Acquire();
      if (!block) return;  // the reader stopped (Rewind or destruction)
      size_t filled = 0;
      while (filled < queue_->block_size()) {
        auto n = Produce(block + filled, queue_->block_size() - filled);
        if (!n.ok()) {
          queue_->Close(n.status());
          return;
        }
        if (*n == 0) break;
        filled += *n;
      }
      if (filled == 0) {
        queue_->Close(Status::Ok());
        return;
      }
      queue_->Publish(filled);
    }
  });
}

void CompressingFileSource::StopWorker() {
  if (!worker_.joinable()) return;
  queue_->CloseConsumer();
  worker_.join();
}

Status CompressingFileSource::OpenFile() {
  if (fd_ >= 0) close(fd_);
  fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    std::string msg = "cannot open checkpoint archive '" + path_ + "': " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(msg);
    if (err == EACCES || err == EPERM) return Status::PermissionDenied(msg);
    return Status::Internal(msg);
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("checkpoint archive '" + path_ + "' is not a regular file");
  }
  file_size_ = st.st_size;
  posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  in_pos_ = in_len_ = 0;
  in_eof_ = done_ = false;
  in_total_ = out_total_ = 0;
  diff_hasher_.Reset();
  if (opts_.observer) opts_.observer->Restart();
  return Status::Ok();
}

Status CompressingFileSource::ResetCodec() {
  codec_ = std::make_unique<Codec>();
  if (opts_.compression == Compression::kZstd) {
    codec_->zstd = ZSTD_createCCtx();
    if (!codec_->zstd) return Status::Internal("zstd: cannot allocate a compression context");
    ZSTD_CCtx_setParameter(codec_->zstd, ZSTD_c_compressionLevel, opts_.level == 0 ? kDefaultZstdLevel : opts_.level);
    // The archive is immutable while we read it; a wrong size fails the frame.
    ZSTD_CCtx_setPledgedSrcSize(codec_->zstd, static_cast<unsigned long long>(file_size_));
  } else if (opts_.compression == Compression::kGzip) {
    // windowBits 15 + 16: a gzip wrapper with no name and mtime 0.
    if (deflateInit2(&codec_->z, opts_.level == 0 ? kDefaultGzipLevel : opts_.level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      return Status::Internal("zlib: deflateInit2 failed");
    }
    codec_->z_init = true;
  }
  return Status::Ok();
}

bool CompressingFileSource::Rewind() {
  StopWorker();
  if (!OpenFile().ok() || !ResetCodec().ok()) return false;
  StartWorker();
  return true;
}

Result<size_t> CompressingFileSource::ReadInput(char* buf, size_t len) {
  for (;;) {
    ssize_t n = read(fd_, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Internal("reading checkpoint archive '" + path_ + "': " + std::strerror(errno));
    if (n == 0) {
      in_eof_ = true;
      if (in_total_ != file_size_) {
        return Status::FailedPrecondition("checkpoint archive '" + path_ + "' changed while it was read (" +
                                          std::to_string(in_total_) + " bytes read, " +
                                          std::to_string(file_size_) + " expected)");
      }
      return size_t{0};
    }
    if (in_total_ + n > file_size_) {
      return Status::FailedPrecondition("checkpoint archive '" + path_ + "' grew while it was read (more than " +
                                        std::to_string(file_size_) + " bytes)");
    }
    std::string_view piece(buf, static_cast<size_t>(n));
    if (opts_.hash_uncompressed) diff_hasher_.Update(piece);
    if (opts_.observer) opts_.observer->Update(piece);
    in_total_ += n;
    return static_cast<size_t>(n);
  }
}

Result<size_t> CompressingFileSource::Read(char* buf, size_t len) {
  if (!threaded()) return Produce(buf, len);
  if (drained_ || len == 0) return size_t{0};
  if (pending_.empty()) {
    ASSIGN_OR_RETURN(pending_, queue_->Next());
    if (pending_.empty()) {
      drained_ = true;
      worker_.join();
      return size_t{0};
    }
  }
  size_t n = std::min(len, pending_.size());
  std::memcpy(buf, pending_.data(), n);
  pending_.remove_prefix(n);
  return n;
}

Result<size_t> CompressingFileSource::Produce(char* buf, size_t len) {
  if (done_ || len == 0) return size_t{0};
  if (opts_.compression == Compression::kNone) {
    ASSIGN_OR_RETURN(size_t n, ReadInput(buf, len));
    if (n == 0) done_ = true;
    out_total_ += static_cast<int64_t>(n);
    return n;
  }
  const size_t cap = std::max<size_t>(opts_.read_size, 4096);
  size_t produced = 0;
  while (produced == 0 && !done_) {
    if (in_pos_ == in_len_ && !in_eof_) {
      ASSIGN_OR_RETURN(in_len_, ReadInput(in_buf_.get(), cap));
      in_pos_ = 0;
    }
    if (opts_.compression == Compression::kZstd) {
      ZSTD_inBuffer in{in_buf_.get(), in_len_, in_pos_};
      ZSTD_outBuffer out{buf, len, 0};
      size_t r = ZSTD_compressStream2(codec_->zstd, &out, &in, in_eof_ ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(r)) return Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(r));
      in_pos_ = in.pos;
      produced = out.pos;
      if (in_eof_ && r == 0) done_ = true;
    } else {
      z_stream& z = codec_->z;
      z.next_in = reinterpret_cast<Bytef*>(in_buf_.get() + in_pos_);
      z.avail_in = static_cast<uInt>(in_len_ - in_pos_);
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = static_cast<uInt>(std::min<size_t>(len, UINT_MAX));
      int r = deflate(&z, in_eof_ ? Z_FINISH : Z_NO_FLUSH);
      if (r == Z_STREAM_ERROR) return Status::Internal("gzip compression failed");
      in_pos_ = in_len_ - z.avail_in;
      produced = std::min<size_t>(len, UINT_MAX) - z.avail_out;
      if (r == Z_STREAM_END) done_ = true;
    }
  }
  out_total_ += static_cast<int64_t>(produced);
  return produced;
}

// ---------------------------------------------------------------------------
// Decompressors

namespace {

constexpr size_t kOutSize = 256 << 10;

class PassThrough final : public Decompressor {
 public:
  Status Update(std::string_view in, const ByteSink& out) override { return in.empty() ? Status::Ok() : out(in); }
  Status Finish() override { return Status::Ok(); }
};

class ZstdDecompressor final : public Decompressor {
 public:
  ZstdDecompressor() : ctx_(ZSTD_createDCtx()), out_(new char[kOutSize]) {}
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }
  Status Update(std::string_view data, const ByteSink& sink) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    // Until the input is consumed and the output buffer is no longer filled
    // completely (then the context holds nothing more to flush).
    for (;;) {
      ZSTD_outBuffer out{out_.get(), kOutSize, 0};
      const size_t before = in.pos;
      size_t r = ZSTD_decompressStream(ctx_, &out, &in);
      if (ZSTD_isError(r)) return Status::InvalidArgument(std::string("corrupt zstd stream: ") + ZSTD_getErrorName(r));
      if (in.pos != before || out.pos > 0) {
        frame_open_ = r != 0;  // 0: a frame just ended
        seen_ = true;
      }
      if (out.pos > 0) RETURN_IF_ERROR(sink(std::string_view(out_.get(), out.pos)));
      if (in.pos == in.size && out.pos < out.size) break;
    }
    return Status::Ok();
  }
  Status Finish() override {
    if (frame_open_ || !seen_) return Status::InvalidArgument("corrupt zstd stream: it ends in the middle of a frame");
    return Status::Ok();
  }

 private:
  ZSTD_DCtx* ctx_;
  std::unique_ptr<char[]> out_;
  bool frame_open_ = false;
  bool seen_ = false;
};

class GzipDecompressor final : public Decompressor {
 public:
  GzipDecompressor() : out_(new char[kOutSize]) { ok_ = inflateInit2(&z_, 15 + 16) == Z_OK; }
  ~GzipDecompressor() override {
    if (ok_) inflateEnd(&z_);
  }
  Status Update(std::string_view data, const ByteSink& sink) override {
    if (!ok_) return Status::Internal("zlib: inflateInit2 failed");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    while (z_.avail_in > 0 || member_open_) {
      if (!member_open_) {  // another gzip member follows (concatenated gzip)
        if (inflateReset(&z_) != Z_OK) return Status::Internal("zlib: inflateReset failed");
        member_open_ = true;
      }
      z_.next_out = reinterpret_cast<Bytef*>(out_.get());
      z_.avail_out = kOutSize;
      int r = inflate(&z_, Z_NO_FLUSH);
      if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR) {
        return Status::InvalidArgument(std::string("corrupt gzip stream: ") + (z_.msg ? z_.msg : "inflate failed"));
      }
      size_t n = kOutSize - z_.avail_out;
      if (n > 0) RETURN_IF_ERROR(sink(std::string_view(out_.get(), n)));
      if (r == Z_STREAM_END) {
        member_open_ = false;
        seen_end_ = true;
      } else if (n == 0 && z_.avail_in == 0) {
        break;  // needs more input
      }
    }
    return Status::Ok();
  }
  Status Finish() override {
    if (member_open_ || !seen_end_) return Status::InvalidArgument("corrupt gzip stream: it ends in the middle of a member");
    return Status::Ok();
  }

 private:
  z_stream z_{};
  bool ok_ = false;
  bool member_open_ = true;
  bool seen_end_ = false;
  std::unique_ptr<char[]> out_;
};

}  // namespace

Result<std::unique_ptr<Decompressor>> Decompressor::New(Compression c) {
  switch (c) {
    case Compression::kNone: return std::unique_ptr<Decompressor>(new PassThrough());
    case Compression::kGzip: return std::unique_ptr<Decompressor>(new GzipDecompressor());
    case Compression::kZstd: return std::unique_ptr<Decompressor>(new ZstdDecompressor());
  }
  return Status::InvalidArgument("unknown compression");
}

}  // namespace kbr::checkpoint
