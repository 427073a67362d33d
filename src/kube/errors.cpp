#include "kube/errors.h"

#include "core/json.h"

namespace kbr::kube {

namespace {

StatusCode CodeForReason(const std::string& reason, int http_status) {
  if (reason == "NotFound") return StatusCode::kNotFound;
  if (reason == "AlreadyExists") return StatusCode::kAlreadyExists;
  if (reason == "Conflict") return StatusCode::kConflict;
  if (reason == "Invalid" || reason == "BadRequest") return StatusCode::kInvalidArgument;
  if (reason == "Forbidden") return StatusCode::kPermissionDenied;
  if (reason == "Unauthorized") return StatusCode::kUnauthenticated;
  if (reason == "TooManyRequests") return StatusCode::kResourceExhausted;
  if (reason == "Expired" || reason == "Gone") return StatusCode::kGone;
  if (reason == "Timeout" || reason == "ServerTimeout") return StatusCode::kUnavailable;
  if (reason == "ServiceUnavailable" || reason == "InternalError") return StatusCode::kUnavailable;
  if (reason == "MethodNotAllowed" || reason == "NotAcceptable" || reason == "UnsupportedMediaType") {
    return StatusCode::kInvalidArgument;
  }
  switch (http_status) {
    case 400: return StatusCode::kInvalidArgument;
    case 401: return StatusCode::kUnauthenticated;
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 409: return StatusCode::kConflict;
    case 410: return StatusCode::kGone;
    case 422: return StatusCode::kInvalidArgument;
    case 429: return StatusCode::kResourceExhausted;
    default: return http_status >= 500 ? StatusCode::kUnavailable : StatusCode::kInternal;
  }
}

}  // namespace

Status StatusFromResponse(int http_status, const std::string& body, const std::string& what) {
  std::string reason, message;
  std::vector<FieldCause> causes;
  auto parsed = json::Parse(body);
  if (parsed.ok() && json::GetString(*parsed, "kind") == "Status") {
    reason = json::GetString(*parsed, "reason");
    message = json::GetString(*parsed, "message");
    if (const auto* cs = json::Find(*parsed, "details.causes"); cs && cs->is_array()) {
      for (const auto& c : cs->as_array()) {
        causes.push_back({json::GetString(c, "field"), json::GetString(c, "message")});
      }
    }
  }
  if (message.empty()) {
    message = "HTTP " + std::to_string(http_status);
    std::string snippet = body.substr(0, 200);
    while (!snippet.empty() && (snippet.back() == '\n' || snippet.back() == '\r')) snippet.pop_back();
    if (!snippet.empty()) message += ": " + snippet;
  }
  Status s(CodeForReason(reason, http_status), what + ": " + message);
  s.WithCauses(std::move(causes));
  return s;
}

}  // namespace kbr::kube
