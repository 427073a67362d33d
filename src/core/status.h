// Status and Result<T>: the one error type of kbr.
//
// A Status is a code plus a human-readable message that already names what
// failed ("registryId: registry 'x' not found"). Functions that can fail return
// Status or Result<T>; exceptions never cross a module boundary.
//
// Choosing a code (after absl::StatusCode):
//   InvalidArgument    - the caller's input is malformed; retrying is pointless.
//   NotFound           - the named thing does not exist.
//   AlreadyExists      - a create collided with an existing object.
//   Conflict           - optimistic concurrency lost (stale resourceVersion).
//   FailedPrecondition - the system is not in a state where this is allowed.
//   Unauthenticated    - no or bad credentials.  PermissionDenied - not allowed.
//   ResourceExhausted  - rate-limited (429).  DeadlineExceeded - timed out.
//   Unavailable        - transient; back off and retry.
//   Internal           - a bug or an unexpected answer from a peer.
//   Unimplemented      - not built yet.  Gone - a watch resourceVersion expired.
// Unavailable / ResourceExhausted / DeadlineExceeded are retryable; the rest
// are terminal for a reconcile.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace kbr {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kDeadlineExceeded,
  kUnavailable,
  kInternal,
  kUnimplemented,
  kGone,
};

// One field-level cause of an InvalidArgument (mirrors metav1.StatusCause).
struct FieldCause {
  std::string field;
  std::string message;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Gone(std::string m) { return {StatusCode::kGone, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldCause>& causes() const { return causes_; }
  Status& WithCauses(std::vector<FieldCause> causes) {
    causes_ = std::move(causes);
    return *this;
  }

  // Returns a copy whose message is "<context>: <message>".
  Status Annotate(const std::string& context) const;
  // True for codes a caller may retry after backing off.
  bool retryable() const;
  // "NotFound: <message>" (or "OK").
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<FieldCause> causes_;
};

const char* StatusCodeName(StatusCode code);
// The HTTP status a REST handler answers for this code (200 for OK).
int HttpStatusFor(StatusCode code);

// Result<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT
  Result(Status status) : v_(std::move(status)) {}             // NOLINT: REQUIRES !status.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kbr

#define KBR_CONCAT_INNER(a, b) a##b
#define KBR_CONCAT(a, b) KBR_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                   \
  do {                                          \
    ::kbr::Status kbr_status_ = (expr);         \
    if (!kbr_status_.ok()) return kbr_status_;  \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(KBR_CONCAT(kbr_result_, __LINE__), lhs, expr)
