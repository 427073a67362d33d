#include "kube/errors.h"

#include <gtest/gtest.h>

namespace kbr::kube {
namespace {

std::string StatusBody(const std::string& reason, const std::string& message, int code) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":")" + reason + R"(","message":")" +
         message + R"(","code":)" + std::to_string(code) + "}";
}

TEST(ErrorsTest, ReasonDecidesCode) {
  struct Case {
    int http;
    std::string reason;
    StatusCode code;
  } cases[] = {
      {404, "NotFound", StatusCode::kNotFound},
      {409, "AlreadyExists", StatusCode::kAlreadyExists},
      {409, "Conflict", StatusCode::kConflict},
      {422, "Invalid", StatusCode::kInvalidArgument},
      {403, "Forbidden", StatusCode::kPermissionDenied},
      {401, "Unauthorized", StatusCode::kUnauthenticated},
      {429, "TooManyRequests", StatusCode::kResourceExhausted},
      {410, "Expired", StatusCode::kGone},
      {500, "InternalError", StatusCode::kUnavailable},
      {503, "ServiceUnavailable", StatusCode::kUnavailable},
      {504, "Timeout", StatusCode::kUnavailable},
  };
  for (const auto& c : cases) {
    Status s = StatusFromResponse(c.http, StatusBody(c.reason, "the message", c.http), "get secrets ns/x");
    EXPECT_EQ(s.code(), c.code) << c.reason;
    EXPECT_EQ(s.message(), "get secrets ns/x: the message");
  }
}

TEST(ErrorsTest, InvalidKeepsFieldCauses) {
  std::string body = R"({"kind":"Status","reason":"Invalid","message":"Secret \"A\" is invalid","code":422,
    "details":{"causes":[{"reason":"FieldValueInvalid","field":"metadata.name","message":"Invalid value: \"A\""}]}})";
  Status s = StatusFromResponse(422, body, "create secrets");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(s.causes().size(), 1u);
  EXPECT_EQ(s.causes()[0].field, "metadata.name");
}

TEST(ErrorsTest, NonStatusBodyFallsBackToHttpCode) {
  Status s = StatusFromResponse(503, "upstream connect error\n", "list pods");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "list pods: HTTP 503: upstream connect error");
  EXPECT_EQ(StatusFromResponse(403, "", "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusFromResponse(410, "", "x").code(), StatusCode::kGone);
}

}  // namespace
}  // namespace kbr::kube
