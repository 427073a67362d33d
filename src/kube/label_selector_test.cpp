#include "kube/label_selector.h"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace kbr::kube {
namespace {

TEST(LabelSelectorTest, MatchesLikeTheApiserver) {
  std::map<std::string, std::string> labels{{"app", "mysql"}, {"tier", "db"}, {"kbr.io/backup-id", "b1"}};
  struct Case {
    std::string sel;
    bool match;
  } cases[] = {
      {"", true},
      {"app=mysql", true},
      {"app==mysql", true},
      {"app=redis", false},
      {"app!=redis", true},
      {"app in (redis, mysql)", true},
      {"app notin (mysql)", false},
      {"tier", true},
      {"!tier", false},
      {"!missing", true},
      {"app=mysql,tier=db,kbr.io/backup-id=b1", true},
      {"app=mysql,tier=web", false},
      {"missing!=x", true},
  };
  for (const auto& c : cases) {
    auto s = LabelSelector::Parse(c.sel);
    ASSERT_TRUE(s.ok()) << c.sel << ": " << s.status().message();
    EXPECT_EQ(s->Matches(labels), c.match) << c.sel;
  }
}

TEST(LabelSelectorTest, RejectsMalformedTerms) {
  for (const char* bad : {"app in mysql", "a b=c", "app=x,,b=y", "=x"}) {
    auto s = LabelSelector::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_NE(s.status().message().find("label selector"), std::string::npos);
    }
  }
}

TEST(LabelSelectorTest, MatchesObjectLabels) {
  auto obj = boost::json::parse(R"({"metadata":{"labels":{"type":"backup"}}})");
  EXPECT_TRUE(LabelSelector::Parse("type=backup")->Matches(obj));
  EXPECT_FALSE(LabelSelector::Parse("type=recovery")->Matches(obj));
}

}  // namespace
}  // namespace kbr::kube
