// Registry authentication from WWW-Authenticate challenges (the distribution
// spec's token flow and plain Basic):
//   - Basic: "Authorization: Basic base64(user:password)" on every request once
//     the registry has asked for it.
//   - Bearer: a token from the challenge's realm (GET realm?service=..&scope=..,
//     with Basic credentials when configured, anonymous otherwise), cached per
//     scope until shortly before it expires.
//
// Secrets (passwords, tokens) never appear in a Status message or log line;
// messages name the registry host and the user name only.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/http.h"
#include "core/status.h"

namespace kbr::registry {

struct Credentials {
  std::string username;
  std::string password;
  bool empty() const { return username.empty() && password.empty(); }
};

// One challenge of a WWW-Authenticate header.
struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case keys: realm, service, scope, error
  std::string Param(const std::string& key) const;
};

// Parses a WWW-Authenticate value holding one or more challenges
// (`Bearer realm="https://a/token",service="reg",scope="repository:x:pull"`).
// Tolerates quoted commas; returns what it could parse (possibly nothing).
std::vector<Challenge> ParseChallenges(std::string_view header);

// "repository:<name>:<actions>" (actions "pull" or "pull,push").
std::string RepositoryScope(std::string_view repository, std::string_view actions);

// "base64(user:password)"-style standard base64 of data.
std::string Base64(std::string_view data);

// Holds what a client has learned about a registry's authentication.
// Thread-safe: one instance is shared by all requests to a registry. Token
// fetches for a scope happen under the instance's lock (one at a time).
class Authenticator {
 public:
  // `http` and `clock` must outlive the Authenticator. `registry_host` is
  // used in messages only.
  Authenticator(http::Client& http, std::string registry_host, Credentials creds, Clock& clock);

  // The Authorization header value for a request whose access is `scope`
  // (space-separated scopes, "" for registry-wide calls such as GET /v2/):
  //   "" when no challenge has been seen yet (send anonymously first);
  //   "Basic ..." after a Basic challenge;
  //   "Bearer ..." after a Bearer challenge, fetching a token for `scope`
  //   when none is cached or it is about to expire.
  // Errors are those of Authorize.
  Result<std::string> HeaderFor(const std::string& scope);

  // Learns from a 401 response and prepares credentials for `scope`, dropping
  // any cached token for it. OK means: retry the request with HeaderFor(scope).
  // Errors:
  //   Unauthenticated - the registry needs credentials and none are configured
  //                     (Basic), or the token server rejected the credentials,
  //                     or the 401 carries no challenge kbr understands;
  //   PermissionDenied - the token server refused the scope (403);
  //   Unavailable / DeadlineExceeded - the token server is unreachable or 5xx;
  //   Internal - the token server's answer has no token.
  Status Authorize(const http::Response& unauthorized, const std::string& scope);

  // "basic", "bearer", or "" before the first challenge.
  std::string scheme() const;
  bool has_credentials() const { return !creds_.empty(); }
  const std::string& username() const { return creds_.username; }
  const std::string& host() const { return host_; }

 private:
  struct Token {
    std::string value;
    TimePoint refresh_at;
  };
  Status FetchTokenLocked(const std::string& scope);

  http::Client& http_;
  const std::string host_;
  const Credentials creds_;
  Clock& clock_;

  mutable std::mutex mu_;
  std::string scheme_;                    // guarded by mu_
  std::string realm_;                     // guarded by mu_
  std::string service_;                   // guarded by mu_
  std::map<std::string, Token> tokens_;   // guarded by mu_; key: scope
};

}  // namespace kbr::registry
