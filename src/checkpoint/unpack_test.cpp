#include "checkpoint/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kbr::checkpoint {
namespace {

namespace fs = std::filesystem;

struct E {
  std::string name;
  unsigned type = AE_IFREG;
  std::string data;
  std::string link;  // symlink target, or hardlink target when hard
  bool hard = false;
  int perm = 0644;
};

class UnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kbr-unpack-test-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    for (auto& p : fs::recursive_directory_iterator(root_, ec)) fs::permissions(p.path(), fs::perms::owner_all,
                                                                                fs::perm_options::add, ec);
    fs::remove_all(root_, ec);
  }

  std::string WriteTar(const std::vector<E>& entries) {
    std::string path = root_ + "/in.tar";
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_filename(a, path.c_str());
    for (const auto& e : entries) {
      struct archive_entry* ae = archive_entry_new();
      archive_entry_set_pathname(ae, e.name.c_str());
      archive_entry_set_filetype(ae, e.type);
      archive_entry_set_perm(ae, e.perm);
      if (e.hard) {
        archive_entry_set_hardlink(ae, e.link.c_str());
      } else if (e.type == AE_IFLNK) {
        archive_entry_set_symlink(ae, e.link.c_str());
      }
      archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
      EXPECT_GE(archive_write_header(a, ae), ARCHIVE_WARN) << archive_error_string(a);
      if (!e.data.empty()) archive_write_data(a, e.data.data(), e.data.size());
      archive_entry_free(ae);
    }
    archive_write_close(a);
    archive_write_free(a);
    return path;
  }

  static std::string Read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Nothing but the input tar is left in root_.
  void ExpectClean() {
    int n = 0;
    for (auto& p : fs::directory_iterator(root_)) {
      EXPECT_EQ(p.path().filename(), "in.tar") << "left behind: " << p.path();
      ++n;
    }
    EXPECT_EQ(n, 1);
    EXPECT_FALSE(fs::exists("/tmp/kbr-evil-escape"));
  }

  std::string root_;
};

TEST_F(UnpackTest, ExtractsACheckpointLayout) {
  std::string tar = WriteTar({{"./", AE_IFDIR, "", "", false, 0755},
                              {"config.dump", AE_IFREG, R"({"id":"x"})"},
                              {"checkpoint", AE_IFDIR, "", "", false, 0700},
                              {"checkpoint/pages-1.img", AE_IFREG, std::string(100000, 'p'), "", false, 0600},
                              {"checkpoint/link", AE_IFLNK, "", "pages-1.img"},
                              {"checkpoint/hard", AE_IFREG, "", "checkpoint/pages-1.img", true},
                              {"suid", AE_IFREG, "s", "", false, 04755},
                              {"ro", AE_IFDIR, "", "", false, 0555},
                              {"ro/file", AE_IFREG, "inside a read-only dir"}});
  auto stats = UnpackTarFile(tar, root_ + "/out");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->entries, 8);
  const std::string out = root_ + "/out";
  EXPECT_EQ(Read(out + "/config.dump"), R"({"id":"x"})");
  EXPECT_EQ(Read(out + "/checkpoint/pages-1.img"), std::string(100000, 'p'));
  EXPECT_EQ(fs::read_symlink(out + "/checkpoint/link"), "pages-1.img");
  EXPECT_TRUE(fs::equivalent(out + "/checkpoint/hard", out + "/checkpoint/pages-1.img"));
  EXPECT_EQ(Read(out + "/ro/file"), "inside a read-only dir");
  struct stat st {};
  ASSERT_EQ(stat((out + "/checkpoint/pages-1.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(stat((out + "/suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07000, 0u) << "setuid must not survive";
  ASSERT_EQ(stat((out + "/ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0555u);
}

struct Unsafe {
  const char* what;
  std::vector<E> entries;
};

TEST_F(UnpackTest, RejectsUnsafeEntriesAndLeavesNothing) {
  const std::vector<Unsafe> cases = {
      {"absolute path", {{"/tmp/kbr-evil-escape", AE_IFREG, "x"}}},
      {"dotdot", {{"../kbr-evil-escape", AE_IFREG, "x"}}},
      {"inner dotdot", {{"a/../../kbr-evil-escape", AE_IFREG, "x"}}},
      {"absolute symlink", {{"etc", AE_IFLNK, "", "/etc"}}},
      {"escaping symlink", {{"a/up", AE_IFLNK, "", "../../.."}}},
      {"write through symlink", {{"dir", AE_IFLNK, "", "."}, {"dir/x", AE_IFREG, "through"}}},
      {"hardlink escape", {{"h", AE_IFREG, "", "../../etc/passwd", true}}},
      {"absolute hardlink", {{"h", AE_IFREG, "", "/etc/passwd", true}}},
      {"device node", {{"dev", AE_IFCHR, ""}}},
      {"fifo", {{"fifo", AE_IFIFO, ""}}},
      {"late bad entry", {{"ok", AE_IFREG, std::string(50000, 'o')}, {"../kbr-evil-escape", AE_IFREG, "x"}}},
  };
  for (const auto& c : cases) {
    std::string tar = WriteTar(c.entries);
    auto r = UnpackTarFile(tar, root_ + "/out");
    EXPECT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what << ": " << r.status().ToString();
    EXPECT_FALSE(fs::exists(root_ + "/out")) << c.what;
    ExpectClean();
  }
}

TEST_F(UnpackTest, TargetRules) {
  std::string tar = WriteTar({{"f", AE_IFREG, "x"}});
  fs::create_directory(root_ + "/exists");
  EXPECT_EQ(UnpackTarFile(tar, root_ + "/exists").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(UnpackTarFile(tar, root_ + "/missing/parent").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(UnpackTarFile(tar, root_ + "/..").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnpackTarFile(root_ + "/none.tar", root_ + "/x").status().code(), StatusCode::kNotFound);
  auto ok = UnpackTarFile(tar, root_ + "/fresh/");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(Read(root_ + "/fresh/f"), "x");
}

TEST_F(UnpackTest, CorruptTarIsAnError) {
  std::string tar = WriteTar({{"f", AE_IFREG, std::string(10000, 'z')}});
  std::string bytes = Read(tar);
  bytes[148] ^= 0x11;  // header checksum
  std::ofstream(tar, std::ios::binary | std::ios::trunc) << bytes;
  auto r = UnpackTarFile(tar, root_ + "/out");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_FALSE(fs::exists(root_ + "/out"));
}

TEST(CheckEntryTest, Table) {
  struct Row {
    const char* path;
    EntryKind kind;
    const char* link;
    bool ok;
    const char* normalized;
  };
  const Row rows[] = {
      {"a/b", EntryKind::kFile, "", true, "a/b"},
      {"./a//./b", EntryKind::kFile, "", true, "a/b"},
      {"./", EntryKind::kDirectory, "", true, ""},
      {"./", EntryKind::kFile, "", false, ""},
      {"", EntryKind::kFile, "", false, ""},
      {"/a", EntryKind::kFile, "", false, ""},
      {"a/..", EntryKind::kDirectory, "", false, ""},
      {"a/b/l", EntryKind::kSymlink, "../c", true, "a/b/l"},
      {"a/b/l", EntryKind::kSymlink, "../../c", true, "a/b/l"},
      {"a/b/l", EntryKind::kSymlink, "../../../c", false, ""},
      {"l", EntryKind::kSymlink, "x/../../y", false, ""},
      {"l", EntryKind::kSymlink, "", false, ""},
      {"h", EntryKind::kHardlink, "./a/b", true, "h"},
      {"h", EntryKind::kHardlink, "a/../../b", false, ""},
      {"h", EntryKind::kHardlink, "./", false, ""},
      {"s", EntryKind::kOther, "", false, ""},
  };
  for (const auto& r : rows) {
    auto got = CheckEntry(r.path, r.kind, r.link);
    EXPECT_EQ(got.ok(), r.ok) << r.path << " -> " << r.link << ": " << got.status().ToString();
    if (got.ok()) {
      EXPECT_EQ(got->path, r.normalized) << r.path;
    }
  }
  EXPECT_EQ(CheckEntry("h", EntryKind::kHardlink, "./a/b")->link, "a/b");
}

}  // namespace
}  // namespace kbr::checkpoint
