#include "api/envelope.h"

#include "core/json.h"

namespace kbr::api {

namespace bj = boost::json;

Reply Ok(bj::value data, int status, const std::string& message) {
  bj::object env{{"code", status}, {"message", message}, {"data", std::move(data)}};
  return http::ServerResponse::Json(status, bj::serialize(env));
}

Reply Error(int http_status, const std::string& message) {
  bj::object env{{"code", http_status}, {"message", message}, {"data", nullptr}};
  return http::ServerResponse::Json(http_status, bj::serialize(env));
}

Reply Error(const Status& s) {
  int code = HttpStatusFor(s.code());
  bj::object env{{"code", code}, {"message", s.message()}, {"data", nullptr}};
  if (!s.causes().empty()) {
    bj::array causes;
    for (const auto& c : s.causes()) causes.push_back({{"field", c.field}, {"message", c.message}});
    env["data"] = bj::object{{"causes", std::move(causes)}};
  }
  return http::ServerResponse::Json(code, bj::serialize(env));
}

Result<bj::object> ParseBody(const Request& req) {
  if (req.http.body.empty()) return Status::InvalidArgument("body: a JSON object is required");
  ASSIGN_OR_RETURN(bj::value v, json::Parse(req.http.body, "body"));
  if (!v.is_object()) return Status::InvalidArgument("body: expected a JSON object");
  return std::move(v.as_object());
}

}  // namespace kbr::api
