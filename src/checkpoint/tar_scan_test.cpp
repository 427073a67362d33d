#include "checkpoint/tar_scan.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kbr::checkpoint {
namespace {

struct Entry {
  std::string name;
  std::string data;
  int format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED;
};

// A tar in memory in the given libarchive format.
std::string MakeTar(const std::vector<Entry>& entries, int format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED) {
  size_t cap = 1 << 20;
  for (const auto& e : entries) cap += e.data.size() + 4096;
  std::string out(cap, '\0');
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format(a, format);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& e : entries) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
    archive_write_header(a, ae);
    archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

void Feed(TarMemberScanner& s, const std::string& tar, size_t piece) {
  for (size_t off = 0; off < tar.size(); off += piece) s.Update(std::string_view(tar).substr(off, piece));
}

TEST(TarMemberScannerTest, CapturesWantedMembersAtAnyFeedSize) {
  const std::string config = R"({"id":"abc","rootfsImageName":"docker.io/library/redis:7"})";
  const std::string tar = MakeTar({{"checkpoint/pages-1.img", std::string(70000, 'p')},
                                   {"config.dump", config},
                                   {"spec.dump", "{}"},
                                   {"checkpoint/other/config.dump", "nested, not wanted"}});
  for (size_t piece : {size_t{1}, size_t{100}, size_t{512}, size_t{4096}, tar.size()}) {
    TarMemberScanner s({"config.dump", "spec.dump"});
    Feed(s, tar, piece);
    ASSERT_TRUE(s.Member("config.dump").has_value()) << piece;
    EXPECT_EQ(*s.Member("config.dump"), config);
    EXPECT_EQ(*s.Member("spec.dump"), "{}");
    EXPECT_EQ(s.entries(), 4);
    EXPECT_TRUE(s.finished()) << piece;
    EXPECT_FALSE(s.gave_up());
  }
}

TEST(TarMemberScannerTest, FormatsAndNames) {
  const std::string long_dir(150, 'd');
  for (int format : {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED,
                     ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE}) {
    std::vector<Entry> entries = {{"./config.dump", "dotted"}};
    if (format != ARCHIVE_FORMAT_TAR_USTAR) entries.push_back({long_dir + "/" + long_dir + "/x", "long"});
    entries.push_back({"spec.dump", "after long"});
    TarMemberScanner s({"config.dump", "spec.dump", long_dir + "/" + long_dir + "/x"});
    Feed(s, MakeTar(entries, format), 333);
    EXPECT_EQ(s.Member("config.dump").value_or("-"), "dotted") << format;
    EXPECT_EQ(s.Member("spec.dump").value_or("-"), "after long") << format;
    if (format != ARCHIVE_FORMAT_TAR_USTAR) {
      EXPECT_EQ(s.Member(long_dir + "/" + long_dir + "/x").value_or("-"), "long") << format;
    }
  }
}

TEST(TarMemberScannerTest, SkipsOversizedMembersAndRestarts) {
  const std::string tar = MakeTar({{"config.dump", std::string(5000, 'c')}, {"spec.dump", "s"}});
  TarMemberScanner s({"config.dump", "spec.dump"}, 1000);
  Feed(s, tar, 4096);
  EXPECT_FALSE(s.Member("config.dump").has_value());
  EXPECT_EQ(s.Member("spec.dump").value_or("-"), "s");
  s.Restart();
  EXPECT_FALSE(s.Member("spec.dump").has_value());
  EXPECT_EQ(s.entries(), 0);
  Feed(s, tar, 4096);
  EXPECT_EQ(s.Member("spec.dump").value_or("-"), "s");
}

TEST(TarMemberScannerTest, GivesUpOnNonTar) {
  TarMemberScanner s({"config.dump"});
  std::string junk(4096, 'x');
  s.Update(junk);
  EXPECT_TRUE(s.gave_up());
  EXPECT_FALSE(s.Member("config.dump").has_value());
  s.Update(junk);  // harmless afterwards
}

TEST(TarMemberScannerTest, NormalizeName) {
  EXPECT_EQ(TarMemberScanner::NormalizeName("./a/b"), "a/b");
  EXPECT_EQ(TarMemberScanner::NormalizeName("/config.dump"), "config.dump");
  EXPECT_EQ(TarMemberScanner::NormalizeName("././x"), "x");
  EXPECT_EQ(TarMemberScanner::NormalizeName("x"), "x");
}

}  // namespace
}  // namespace kbr::checkpoint
