// Dashboard-style list parameters: page (1-based), itemsPerPage (default 10,
// at most 1000; 0 or absent with no page means all), sortBy "<a|d>,<field>"
// and filterBy "<field>,<substring>[,<field>,<substring>...]" over the fields
// of the items as the API returns them (case-insensitive substring match).
#pragma once

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/router.h"
#include "core/status.h"

namespace kbr::api {

struct ListQuery {
  int64_t page = 1;
  int64_t items_per_page = 0;  // 0 = all
  bool descending = false;
  std::string sort_field;
  std::vector<std::pair<std::string, std::string>> filters;
};

// InvalidArgument naming the parameter for malformed values.
Result<ListQuery> ParseListQuery(const http::ServerRequest& req);

// The query, sorted newest first (createdAt descending) unless it asks
// for another order.
ListQuery NewestFirstUnlessSorted(ListQuery q);

// {"listMeta": {"totalItems": N}, "<plural>": [page of items]}; totalItems
// counts items after filtering. Items with equal sort fields are ordered by
// "id" in the same direction. Field "creationTimestamp" also matches
// "createdAt" so dashboard clients' sortBy works.
boost::json::value Paginate(std::vector<boost::json::value> items, const ListQuery& q, const std::string& plural);
// The same over items kept as JSON text (the informer's cache): each is
// parsed only while looked at; nothing but the page is kept.
boost::json::value Paginate(const std::vector<std::shared_ptr<const std::string>>& texts, const ListQuery& q,
                            const std::string& plural);

}  // namespace kbr::api
