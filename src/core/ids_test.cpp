#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace kbr {
namespace {

TEST(IdsTest, NewIdIsASlugPlusRandomSuffix) {
  std::string id = NewId("MySQL Daily Backup!");
  EXPECT_EQ(id.substr(0, 19), "mysql-daily-backup-");
  EXPECT_EQ(id.size(), 24u);
  EXPECT_TRUE(IsDns1123Label(id, 40));
  EXPECT_TRUE(IsDns1123Label(NewId(std::string(200, 'x')), 40));
  EXPECT_EQ(NewId("???").substr(0, 3), "id-");
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(NewId("same"));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(IdsTest, Dns1123) {
  EXPECT_TRUE(IsDns1123Label("a"));
  EXPECT_TRUE(IsDns1123Label("a-1"));
  EXPECT_FALSE(IsDns1123Label("-a"));
  EXPECT_FALSE(IsDns1123Label("a-"));
  EXPECT_FALSE(IsDns1123Label("A"));
  EXPECT_FALSE(IsDns1123Label("a_b"));
  EXPECT_FALSE(IsDns1123Label(""));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
  EXPECT_TRUE(IsDns1123Subdomain("kbr.io"));
  EXPECT_FALSE(IsDns1123Subdomain("kbr..io"));
  Status s = ValidateDns1123Label("targetNamespace", "Dev_NS");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("targetNamespace: 'Dev_NS' is not a valid name", 0), 0u);
}

}  // namespace
}  // namespace kbr
