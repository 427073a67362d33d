#include "api/list_query.h"

#include <gtest/gtest.h>

#include "core/json.h"

namespace kbr::api {
namespace {

namespace bj = boost::json;

std::vector<bj::value> Items() {
  return {bj::object{{"id", "b"}, {"name", "mysql-a"}, {"createdAt", "2026-11-27T10:00:00Z"}},
          bj::object{{"id", "a"}, {"name", "redis"}, {"createdAt", "2026-11-27T10:00:00Z"}},
          bj::object{{"id", "c"}, {"name", "MySQL-b"}, {"createdAt", "2026-11-27T11:00:00Z"}}};
}

std::vector<std::shared_ptr<const std::string>> Texts() {
  std::vector<std::shared_ptr<const std::string>> out;
  for (const auto& v : Items()) out.push_back(std::make_shared<const std::string>(json::Serialize(v)));
  return out;
}

std::vector<std::string> Ids(const bj::value& list, const std::string& plural) {
  std::vector<std::string> ids;
  for (const auto& item : json::Find(list, plural)->as_array()) ids.push_back(json::GetString(item, "id"));
  return ids;
}

TEST(ListQueryTest, NewestFirstBreaksTiesById) {
  ListQuery q = NewestFirstUnlessSorted({});
  EXPECT_EQ(Ids(Paginate(Items(), q, "x"), "x"), (std::vector<std::string>{"c", "b", "a"}));
  ListQuery asc{.sort_field = "name"};
  EXPECT_EQ(NewestFirstUnlessSorted(asc).sort_field, "name");
}

TEST(ListQueryTest, TextsAndValuesAnswerAlike) {
  ListQuery q{.page = 1, .items_per_page = 1, .descending = false, .sort_field = "creationTimestamp",
              .filters = {{"name", "mysql"}}};
  bj::value from_values = Paginate(Items(), q, "backups");
  bj::value from_texts = Paginate(Texts(), q, "backups");
  EXPECT_EQ(from_values, from_texts);
  EXPECT_EQ(json::GetInt(from_texts, "listMeta.totalItems"), 2);  // filters ignore case
  EXPECT_EQ(Ids(from_texts, "backups"), std::vector<std::string>{"b"});
  q.page = 2;
  EXPECT_EQ(Ids(Paginate(Texts(), q, "backups"), "backups"), std::vector<std::string>{"c"});
  q.page = 3;
  EXPECT_TRUE(Ids(Paginate(Texts(), q, "backups"), "backups").empty());
}

TEST(ListQueryTest, UnsortedTextsKeepTheirOrderAndPageOnly) {
  ListQuery q{.page = 2, .items_per_page = 2};
  bj::value page = Paginate(Texts(), q, "backups");
  EXPECT_EQ(json::GetInt(page, "listMeta.totalItems"), 3);
  EXPECT_EQ(Ids(page, "backups"), std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace kbr::api
