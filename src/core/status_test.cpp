#include "core/status.h"

#include <gtest/gtest.h>

namespace kbr {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("x: must be even, got " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, AnnotateKeepsCodeAndCauses) {
  Status s = Status::InvalidArgument("bad").WithCauses({{"spec.x", "required"}});
  Status a = s.Annotate("create backup");
  EXPECT_EQ(a.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.message(), "create backup: bad");
  ASSERT_EQ(a.causes().size(), 1u);
  EXPECT_EQ(a.causes()[0].field, "spec.x");
}

TEST(StatusTest, HttpMapping) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kConflict), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 422);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
}

TEST(StatusTest, RetryableCodes) {
  EXPECT_TRUE(Status::Unavailable("x").retryable());
  EXPECT_TRUE(Status::ResourceExhausted("x").retryable());
  EXPECT_FALSE(Status::InvalidArgument("x").retryable());
  EXPECT_FALSE(Status::NotFound("x").retryable());
}

TEST(ResultTest, AssignOrReturnPropagates) {
  auto ok = Quarter(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "x: must be even, got 3");
}

}  // namespace
}  // namespace kbr
