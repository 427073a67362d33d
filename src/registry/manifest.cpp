// Manifests (PUT/GET/HEAD/DELETE by tag or digest) and tag listing.
#include <algorithm>
#include <cctype>
#include <optional>

#include "core/json.h"
#include "registry/client_impl.h"
#include "registry/digest.h"

namespace kbr::registry::internal {

namespace {

constexpr int64_t kMaxManifestBytes = 4 << 20;  // the distribution spec's limit

const char* kAcceptManifests =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string MediaTypeOf(const http::Response& resp, std::string_view body) {
  std::string ct = resp.Header("content-type");
  ct = ct.substr(0, ct.find(';'));
  if (!ct.empty() && ct != "application/json" && ct != "text/plain") return ct;
  if (auto doc = json::Parse(body, "manifest"); doc.ok()) return json::GetString(*doc, "mediaType", ct);
  return ct;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// For a `Link: <...?n=2&last=b>; rel="next"` header: its `last` parameter
// ("" if it has none); nullopt when there is no next page.
std::optional<std::string> NextLastFromLink(const std::string& link) {
  bool has_next = link.find("rel=\"next\"") != std::string::npos || link.find("rel=next") != std::string::npos;
  if (!has_next) return std::nullopt;
  auto open = link.find('<'), close = link.find('>');
  if (open == std::string::npos || close == std::string::npos) return "";
  std::string url = link.substr(open + 1, close - open - 1);
  auto q = url.find('?');
  if (q == std::string::npos) return "";
  std::string_view query(url);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    if (kv.substr(0, 5) == "last=") return PercentDecode(kv.substr(5));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

}  // namespace

Result<std::string> RegistryClient::PutManifest(const std::string& repo, const std::string& reference,
                                                std::string_view media_type, std::string_view body) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateManifestReference(reference));
  const std::string digest = DigestOf(body);
  if (IsDigest(reference) && reference != digest) {
    return Status::InvalidArgument("manifest " + repo + "@" + reference + ": digest mismatch: the body's digest is " +
                                   digest);
  }
  std::string url = t_.Url("/v2/" + repo + "/manifests/" + reference);
  auto make = [&] {
    http::Request req;
    req.method = "PUT";
    req.url = url;
    req.headers.emplace_back("Content-Type", std::string(media_type));
    req.body = std::string(body);
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, RepositoryScope(repo, "pull,push"), Retry::kIdempotent));
  if (resp.status != 201 && resp.status != 200) return t_.ErrorFor(resp, "PUT manifest " + repo + ":" + reference);
  std::string got = resp.Header("docker-content-digest");
  if (!got.empty() && got != digest) {
    return Status::Internal("PUT manifest " + repo + ":" + reference + " on registry " + t_.endpoint().host +
                            ": digest mismatch: expected " + digest + ", registry stored " + got);
  }
  return digest;
}

Result<Manifest> RegistryClient::GetManifest(const std::string& repo, const std::string& reference) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateManifestReference(reference));
  const std::string what = "manifest " + repo + (IsDigest(reference) ? "@" : ":") + reference;
  auto make = [&] {
    http::Request req;
    req.url = t_.Url("/v2/" + repo + "/manifests/" + reference);
    req.headers.emplace_back("Accept", kAcceptManifests);
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, RepositoryScope(repo, "pull"), Retry::kIdempotent));
  if (resp.status != 200) return t_.ErrorFor(resp, "GET " + what);
  if (static_cast<int64_t>(resp.body.size()) > kMaxManifestBytes) {
    return Status::ResourceExhausted(what + ": larger than 4 MiB");
  }
  Manifest m;
  m.digest = DigestOf(resp.body);
  std::string expected = IsDigest(reference) ? reference : resp.Header("docker-content-digest");
  if (!expected.empty() && expected != m.digest) {
    return Status::Internal(what + " from registry " + t_.endpoint().host + ": digest mismatch: expected " + expected +
                            ", got " + m.digest);
  }
  m.media_type = MediaTypeOf(resp, resp.body);
  m.body = std::move(resp.body);
  return m;
}

Result<std::optional<Descriptor>> RegistryClient::StatManifest(const std::string& repo,
                                                               const std::string& reference) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateManifestReference(reference));
  auto make = [&] {
    http::Request req;
    req.method = "HEAD";
    req.url = t_.Url("/v2/" + repo + "/manifests/" + reference);
    req.headers.emplace_back("Accept", kAcceptManifests);
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, RepositoryScope(repo, "pull"), Retry::kIdempotent));
  if (resp.status == 404) return std::optional<Descriptor>();
  if (resp.status != 200) return t_.ErrorFor(resp, "HEAD manifest " + repo + ":" + reference);
  Descriptor d;
  d.media_type = resp.Header("content-type");
  d.digest = resp.Header("docker-content-digest");
  if (d.digest.empty() && IsDigest(reference)) d.digest = reference;
  std::string len = resp.Header("content-length");
  d.size = len.empty() ? -1 : std::stoll(len);
  return std::optional<Descriptor>(d);
}

Status RegistryClient::DeleteManifest(const std::string& repo, const std::string& reference) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  RETURN_IF_ERROR(ValidateManifestReference(reference));
  auto del = [&](const std::string& ref) -> Result<http::Response> {
    auto make = [&] {
      http::Request req;
      req.method = "DELETE";
      req.url = t_.Url("/v2/" + repo + "/manifests/" + ref);
      req.timeout = t_.options().request_timeout;
      return req;
    };
    return t_.Send(make, RepositoryScope(repo, "delete"), Retry::kIdempotent);
  };
  ASSIGN_OR_RETURN(http::Response resp, del(reference));
  if (resp.status == 202 || resp.status == 200) return Status::Ok();
  const std::string what = "DELETE manifest " + repo + ":" + reference;
  if (!IsDigest(reference) && (resp.status == 400 || resp.status == 405)) {
    // No tag deletion here (docker distribution 2.x): delete what the tag points to.
    ASSIGN_OR_RETURN(std::optional<Descriptor> d, StatManifest(repo, reference));
    if (!d) return Status::NotFound(what + ": no such tag on registry " + t_.endpoint().host);
    if (d->digest.empty()) return t_.ErrorFor(resp, what);
    ASSIGN_OR_RETURN(resp, del(d->digest));
    if (resp.status == 202 || resp.status == 200) return Status::Ok();
  }
  Status s = t_.ErrorFor(resp, what);
  if (s.code() == StatusCode::kUnimplemented) {
    return Status::Unimplemented(s.message() + " (is deletion enabled on the registry?)");
  }
  return s;
}

Result<TagPage> RegistryClient::ListTagsPage(const std::string& repo, int n, const std::string& last) {
  RETURN_IF_ERROR(ValidateRepository(repo));
  std::string url = t_.Url("/v2/" + repo + "/tags/list");
  std::string sep = "?";
  if (n > 0) {
    url += sep + "n=" + std::to_string(n);
    sep = "&";
  }
  if (!last.empty()) url += sep + "last=" + http::UrlEncode(last);
  auto make = [&] {
    http::Request req;
    req.url = url;
    req.timeout = t_.options().request_timeout;
    return req;
  };
  ASSIGN_OR_RETURN(http::Response resp, t_.Send(make, RepositoryScope(repo, "pull"), Retry::kIdempotent));
  if (resp.status != 200) return t_.ErrorFor(resp, "listing tags of " + repo);
  auto doc = json::Parse(resp.body, "tags list");
  if (!doc.ok()) return Status::Internal("registry " + t_.endpoint().host + ": " + doc.status().message());
  TagPage page;
  if (const auto* tags = json::Find(*doc, "tags"); tags && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (t.is_string()) page.tags.emplace_back(t.as_string());
    }
  }
  std::optional<std::string> link_last = NextLastFromLink(resp.Header("link"));
  bool ignored_last = !last.empty() && std::any_of(page.tags.begin(), page.tags.end(),
                                                   [&](const std::string& t) { return t <= last; });
  if ((n > 0 && static_cast<int>(page.tags.size()) > n) || ignored_last) {
    // The registry ignored n/last (docker distribution 2.x): page the full list here.
    std::sort(page.tags.begin(), page.tags.end());
    auto first = last.empty() ? page.tags.begin() : std::upper_bound(page.tags.begin(), page.tags.end(), last);
    page.tags.erase(page.tags.begin(), first);
    if (n > 0 && static_cast<int>(page.tags.size()) > n) {
      page.tags.resize(static_cast<size_t>(n));
      page.next_last = page.tags.back();
    }
    return page;
  }
  std::sort(page.tags.begin(), page.tags.end());
  if (link_last && !page.tags.empty()) page.next_last = link_last->empty() ? page.tags.back() : *link_last;
  return page;
}

Result<std::vector<std::string>> RegistryClient::ListTags(const std::string& repo, int page_size) {
  std::vector<std::string> all;
  std::string last;
  for (int pages = 0; pages < 100000; ++pages) {
    ASSIGN_OR_RETURN(TagPage page, ListTagsPage(repo, page_size, last));
    all.insert(all.end(), page.tags.begin(), page.tags.end());
    if (page.next_last.empty()) return all;
    if (page.next_last == last) {
      return Status::Internal("listing tags of " + repo + " on registry " + t_.endpoint().host +
                              ": pagination does not advance");
    }
    last = page.next_last;
  }
  return Status::Internal("listing tags of " + repo + ": too many pages");
}

}  // namespace kbr::registry::internal
