#include "checkpoint/synthetic_archive.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <functional>

#include "checkpoint/archive_writer.h"

namespace kbr::checkpoint::testing {

namespace {

constexpr size_t kPage = 4096;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9e3779b97f4a7c15ull | 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545f4914f6cdd1dull;
  }

 private:
  uint64_t s_;
};

// Fills whole pages; `len` is a multiple of kPage except possibly at the end.
class PageFiller {
 public:
  PageFiller(uint64_t seed, double compressible) : rng_(seed), compressible_(compressible) {}
  Status operator()(char* buf, size_t len) {
    for (size_t off = 0; off < len; off += kPage) Page(buf + off, std::min(kPage, len - off));
    return Status::Ok();
  }

 private:
  void Page(char* p, size_t n) {
    const double u = static_cast<double>(rng_.Next() % 10000) / 10000.0;
    if (u >= compressible_) {  // random: encrypted data, hashes, compressed caches
      for (size_t i = 0; i < n; i += 8) {
        uint64_t v = rng_.Next();
        std::memcpy(p + i, &v, std::min<size_t>(8, n - i));
      }
      return;
    }
    const double kind = u / compressible_;
    if (kind < 0.35) {  // zero pages
      std::memset(p, 0, n);
    } else if (kind < 0.65) {  // a repeated 64-byte structure with a counter
      char pattern[64];
      uint64_t tag = rng_.Next();
      for (size_t i = 0; i < 64; i += 8) std::memcpy(pattern + i, &tag, 8);
      for (size_t i = 0; i < n; i += 64) {
        uint32_t ctr = static_cast<uint32_t>(i / 64 + counter_);
        std::memcpy(pattern, &ctr, 4);
        std::memcpy(p + i, pattern, std::min<size_t>(64, n - i));
      }
      ++counter_;
    } else {  // heap-like text: key/value records
      size_t i = 0;
      char rec[64];
      while (i < n) {
        int len = std::snprintf(rec, sizeof rec, "user:%06u={\"visits\":%u,\"cart\":[%u]}\n",
                                static_cast<unsigned>(counter_ % 50000), static_cast<unsigned>(counter_ % 977),
                                static_cast<unsigned>(counter_ % 13));
        size_t m = std::min<size_t>(static_cast<size_t>(len), n - i);
        std::memcpy(p + i, rec, m);
        i += m;
        ++counter_;
      }
    }
  }
  Rng rng_;
  double compressible_;
  uint64_t counter_ = 0;
};

std::string Blob(size_t n, uint64_t seed) {
  Rng r(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(r.Next() >> 56);
  return s;
}

}  // namespace

Result<int64_t> WriteSyntheticCheckpoint(const std::string& path, const SyntheticCheckpoint& spec) {
  ASSIGN_OR_RETURN(auto w, CheckpointArchiveWriter::Create(path));
  const TimePoint created(std::chrono::seconds(1790000000));
  const TimePoint checkpointed(std::chrono::seconds(1790003600));
  RETURN_IF_ERROR(w->AddFile("config.dump", ConfigDumpJson(spec.dump, created, checkpointed), 0600));
  RETURN_IF_ERROR(w->AddFile("spec.dump", SpecDumpJson(spec.id, {"/usr/bin/kbr", "demo"}, {"/data"}), 0600));
  RETURN_IF_ERROR(w->AddFile("bind.mounts", R"([{"destination":"/data","source":"/var/lib/kubelet/pods/x/volumes/data"}])", 0600));
  RETURN_IF_ERROR(w->AddFile("dump.log", "(00.000000) Version: 3.19\n(00.012345) Dumping finished successfully\n", 0600));
  RETURN_IF_ERROR(w->AddFile("stats-dump", Blob(64, spec.seed + 1), 0600));
  RETURN_IF_ERROR(w->AddDirectory("checkpoint", 0700));
  const char* small[] = {"inventory.img", "core-1.img", "mm-1.img", "ids-1.img", "fs-1.img", "files.img",
                         "fdinfo-2.img", "pstree.img", "tty-info.img", "seccomp.img"};
  uint64_t s = spec.seed + 100;
  for (const char* name : small) {
    RETURN_IF_ERROR(w->AddFile(std::string("checkpoint/") + name, Blob(300 + s % 700, s), 0600));
    ++s;
  }
  // Memory pages: most in the main process' pages file, the rest in a child's.
  const int64_t pages = spec.pages_bytes / static_cast<int64_t>(kPage) * static_cast<int64_t>(kPage);
  const int64_t first = pages / 4 * 3 / static_cast<int64_t>(kPage) * static_cast<int64_t>(kPage);
  PageFiller fill(spec.seed, spec.compressible);
  RETURN_IF_ERROR(w->AddFile("checkpoint/pagemap-1.img", Blob(512, s++), 0600));
  RETURN_IF_ERROR(w->AddStreamedFile("checkpoint/pages-1.img", first, std::ref(fill), 0600));
  RETURN_IF_ERROR(w->AddFile("checkpoint/pagemap-2.img", Blob(256, s++), 0600));
  RETURN_IF_ERROR(w->AddStreamedFile("checkpoint/pages-2.img", pages - first, std::ref(fill), 0600));
  RETURN_IF_ERROR(w->AddSymlink("checkpoint/pages-main.img", "pages-1.img"));
  ASSIGN_OR_RETURN(std::string diff, TarInMemory({{"tmp/demo.pid", "1\n"},
                                                  {"var/lib/demo/state.json", R"({"counter":42,"kv":{"a":"1"}})"}}));
  RETURN_IF_ERROR(w->AddFile("rootfs-diff.tar", diff, 0600));
  RETURN_IF_ERROR(w->Close());
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Status::Internal("stat " + path);
  return static_cast<int64_t>(st.st_size);
}

}  // namespace kbr::checkpoint::testing
