#include "api/list_query.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <functional>

#include "core/json.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

Result<int64_t> ParsePositive(const std::string& name, const std::string& v, int64_t max) {
  if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
    return Status::InvalidArgument(name + ": '" + v.substr(0, 20) + "' is not a non-negative integer");
  }
  int64_t n = std::stoll(v);
  if (n > max) return Status::InvalidArgument(name + ": at most " + std::to_string(max));
  return n;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t c = s.find(',', start);
    out.push_back(s.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (c == std::string::npos) return out;
    start = c + 1;
  }
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The item's field as text for sorting and filtering.
std::string FieldText(const bj::value& item, const std::string& field) {
  const bj::value* v = json::Find(item, field);
  if (!v && field == "creationTimestamp") v = json::Find(item, "createdAt");
  if (!v && field == "createdAt") v = json::Find(item, "creationTimestamp");
  if (!v || v->is_null()) return "";
  if (v->is_string()) return std::string(v->get_string());
  return bj::serialize(*v);
}

}  // namespace

Result<ListQuery> ParseListQuery(const http::ServerRequest& req) {
  ListQuery q;
  if (auto p = req.query.find("page"); p != req.query.end()) {
    ASSIGN_OR_RETURN(q.page, ParsePositive("page", p->second, 1000000));
    if (q.page == 0) return Status::InvalidArgument("page: starts at 1");
  }
  if (auto p = req.query.find("itemsPerPage"); p != req.query.end()) {
    ASSIGN_OR_RETURN(q.items_per_page, ParsePositive("itemsPerPage", p->second, 1000));
  } else if (req.query.count("page")) {
    q.items_per_page = 10;
  }
  if (auto s = req.query.find("sortBy"); s != req.query.end() && !s->second.empty()) {
    auto parts = SplitComma(s->second);
    if (parts.size() != 2 || (parts[0] != "a" && parts[0] != "d") || parts[1].empty()) {
      return Status::InvalidArgument("sortBy: expected '<a|d>,<field>', e.g. 'd,creationTimestamp'");
    }
    q.descending = parts[0] == "d";
    q.sort_field = parts[1];
  }
  if (auto f = req.query.find("filterBy"); f != req.query.end() && !f->second.empty()) {
    auto parts = SplitComma(f->second);
    if (parts.size() % 2 != 0) {
      return Status::InvalidArgument("filterBy: expected '<field>,<value>' pairs, e.g. 'name,mysql'");
    }
    for (size_t i = 0; i < parts.size(); i += 2) q.filters.emplace_back(parts[i], Lower(parts[i + 1]));
  }
  return q;
}

ListQuery NewestFirstUnlessSorted(ListQuery q) {
  if (q.sort_field.empty()) {
    q.sort_field = "createdAt";
    q.descending = true;
  }
  return q;
}

namespace {

// Calls visit(item i) for i < n; an item may exist only during the call.
using ItemVisitor = std::function<void(size_t i, const std::function<void(const bj::value&)>& visit)>;

// Filters and sorts by looking at each item once; only the page's items are
// copied into the answer. A plain page looks at nothing but its own items.
bj::value PaginateItems(size_t n, const ItemVisitor& item_at, const ListQuery& q, const std::string& plural) {
  const bool plain = q.filters.empty() && q.sort_field.empty();
  std::vector<size_t> order;  // unless plain: indices of the matching items, in answer order
  if (!plain) {
    using Keyed = std::pair<std::pair<std::string, std::string>, size_t>;  // ((field, id), index)
    std::vector<Keyed> kept;
    for (size_t i = 0; i < n; ++i) {
      item_at(i, [&](const bj::value& item) {
        for (const auto& [field, value] : q.filters) {
          if (Lower(FieldText(item, field)).find(value) == std::string::npos) return;
        }
        if (q.sort_field.empty()) {
          kept.push_back({{}, i});
        } else {
          kept.push_back({{FieldText(item, q.sort_field), json::GetString(item, "id")}, i});
        }
      });
    }
    if (!q.sort_field.empty()) {
      std::sort(kept.begin(), kept.end(), [&](const Keyed& a, const Keyed& b) {
        return q.descending ? a.first > b.first : a.first < b.first;
      });
    }
    order.reserve(kept.size());
    for (const auto& k : kept) order.push_back(k.second);
  }
  size_t total = plain ? n : order.size();
  size_t begin = 0, end = total;
  if (q.items_per_page > 0) {
    begin = std::min(total, static_cast<size_t>((q.page - 1) * q.items_per_page));
    end = std::min(total, begin + static_cast<size_t>(q.items_per_page));
  }
  bj::array page;
  page.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    item_at(plain ? i : order[i], [&](const bj::value& item) { page.push_back(item); });
  }
  return bj::object{{"listMeta", {{"totalItems", total}}}, {plural, std::move(page)}};
}

}  // namespace

bj::value Paginate(std::vector<bj::value> items, const ListQuery& q, const std::string& plural) {
  return PaginateItems(
      items.size(), [&](size_t i, const auto& visit) { visit(items[i]); }, q, plural);
}

bj::value Paginate(const std::vector<std::shared_ptr<const std::string>>& texts, const ListQuery& q,
                   const std::string& plural) {
  return PaginateItems(
      texts.size(),
      [&](size_t i, const auto& visit) {
        // Parsed into a stack buffer that is dropped right after: sorting
        // 10,000 cached items allocates next to nothing.
        unsigned char buffer[8192];
        bj::monotonic_resource scratch(buffer, sizeof buffer);
        bj::error_code ec;
        bj::value item = bj::parse(*texts[i], ec, &scratch);
        if (!ec) visit(item);
      },
      q, plural);
}

}  // namespace kbr::api
