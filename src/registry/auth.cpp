#include "registry/auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "core/json.h"

namespace kbr::registry {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::vector<std::string> SplitScopes(const std::string& scope) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < scope.size()) {
    auto sp = scope.find(' ', start);
    if (sp == std::string::npos) sp = scope.size();
    if (sp > start) out.push_back(scope.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

}  // namespace

std::string Challenge::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? "" : it->second;
}

std::vector<Challenge> ParseChallenges(std::string_view h) {
  std::vector<Challenge> out;
  size_t i = 0, n = h.size();
  auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == ','; };
  while (i < n) {
    while (i < n && is_sep(h[i])) ++i;
    size_t start = i;
    while (i < n && !is_sep(h[i]) && h[i] != '=') ++i;
    std::string_view tok = h.substr(start, i - start);
    if (tok.empty()) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && (h[j] == ' ' || h[j] == '\t')) ++j;
    if (j < n && h[j] == '=' && !out.empty()) {  // auth-param
      i = j + 1;
      while (i < n && (h[i] == ' ' || h[i] == '\t')) ++i;
      std::string value;
      if (i < n && h[i] == '"') {
        ++i;
        while (i < n && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < n) ++i;
          value.push_back(h[i++]);
        }
        ++i;  // closing quote
      } else {
        while (i < n && h[i] != ',') value.push_back(h[i++]);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      }
      out.back().params[Lower(tok)] = value;
    } else if (j < n && h[j] == '=') {
      // token68 or garbage before any scheme: skip it
      i = j + 1;
    } else {
      out.push_back(Challenge{Lower(tok), {}});
    }
  }
  return out;
}

std::string RepositoryScope(std::string_view repository, std::string_view actions) {
  return "repository:" + std::string(repository) + ":" + std::string(actions);
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(len));
  return out;
}

Authenticator::Authenticator(http::Client& http, std::string registry_host, Credentials creds, Clock& clock)
    : http_(http), host_(std::move(registry_host)), creds_(std::move(creds)), clock_(clock) {}

std::string Authenticator::scheme() const {
  std::lock_guard<std::mutex> l(mu_);
  return scheme_;
}

Result<std::string> Authenticator::HeaderFor(const std::string& scope) {
  std::lock_guard<std::mutex> l(mu_);
  if (scheme_ == "basic") return "Basic " + Base64(creds_.username + ":" + creds_.password);
  if (scheme_ != "bearer") return std::string();
  auto it = tokens_.find(scope);
  if (it == tokens_.end() || clock_.Now() >= it->second.refresh_at) {
    RETURN_IF_ERROR(FetchTokenLocked(scope));
    it = tokens_.find(scope);
  }
  return "Bearer " + it->second.value;
}

Status Authenticator::Authorize(const http::Response& unauthorized, const std::string& scope) {
  auto challenges = ParseChallenges(unauthorized.Header("www-authenticate"));
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !bearer) bearer = &c;
    if (c.scheme == "basic" && !basic) basic = &c;
  }
  std::lock_guard<std::mutex> l(mu_);
  tokens_.erase(scope);
  if (bearer && !bearer->Param("realm").empty()) {
    scheme_ = "bearer";
    realm_ = bearer->Param("realm");
    service_ = bearer->Param("service");
    return FetchTokenLocked(scope);
  }
  if (basic) {
    if (creds_.empty()) {
      return Status::Unauthenticated("registry " + host_ + " requires a username and password (Basic auth)");
    }
    scheme_ = "basic";
    return Status::Ok();
  }
  return Status::Unauthenticated("registry " + host_ +
                                 " answered 401 without an authentication challenge kbr supports");
}

Status Authenticator::FetchTokenLocked(const std::string& scope) {
  std::string url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&");
  url += "service=" + http::UrlEncode(service_);
  for (const auto& s : SplitScopes(scope)) url += "&scope=" + http::UrlEncode(s);
  http::Request req;
  req.url = url;
  req.headers.emplace_back("Accept", "application/json");
  if (!creds_.empty()) {
    req.headers.emplace_back("Authorization", "Basic " + Base64(creds_.username + ":" + creds_.password));
  }
  auto resp = http_.Do(req);
  if (!resp.ok()) {
    return Status(resp.status().code(), "registry " + host_ + ": token service unreachable: " +
                                            resp.status().message());
  }
  std::string who = creds_.empty() ? "anonymous access" : "the credentials of user '" + creds_.username + "'";
  if (resp->status == 401) {
    return Status::Unauthenticated("registry " + host_ + ": the token service rejected " + who + " (HTTP 401)");
  }
  if (resp->status == 403) {
    return Status::PermissionDenied("registry " + host_ + ": the token service refused " + who +
                                    " for scope '" + scope + "' (HTTP 403)");
  }
  if (resp->status >= 500 || resp->status == 429) {
    return Status::Unavailable("registry " + host_ + ": token service answered HTTP " +
                               std::to_string(resp->status));
  }
  if (resp->status != 200) {
    return Status::Internal("registry " + host_ + ": token service answered HTTP " + std::to_string(resp->status));
  }
  auto doc = json::Parse(resp->body, "token response");
  if (!doc.ok()) return Status::Internal("registry " + host_ + ": " + doc.status().message());
  std::string token = json::GetString(*doc, "token");
  if (token.empty()) token = json::GetString(*doc, "access_token");
  if (token.empty()) return Status::Internal("registry " + host_ + ": token service answer has no token");
  int64_t expires_in = json::GetInt(*doc, "expires_in", 60);
  if (expires_in <= 0) expires_in = 60;
  // Refresh a little early so a token never expires in flight.
  int64_t margin = std::min<int64_t>(30, expires_in / 4);
  tokens_[scope] = Token{token, clock_.Now() + std::chrono::seconds(expires_in - margin)};
  return Status::Ok();
}

}  // namespace kbr::registry
