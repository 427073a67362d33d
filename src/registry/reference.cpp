#include "registry/reference.h"

#include <algorithm>
#include <cctype>

namespace kbr::registry {

namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsWord(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// component = [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool ValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
    if (!ok) return false;
    i = j;
  }
  return true;
}

bool ValidHostPort(std::string_view hp) {
  if (hp.empty()) return false;
  std::string_view host = hp;
  std::string_view port;
  if (hp.front() == '[') {  // [ipv6]:port
    auto close = hp.find(']');
    if (close == std::string_view::npos) return false;
    host = hp.substr(1, close - 1);
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
  } else {
    auto colon = hp.rfind(':');
    if (colon != std::string_view::npos) {
      host = hp.substr(0, colon);
      port = hp.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
    }
    if (host.front() == '-' || host.front() == '.' || host.back() == '-' || host.back() == '.') return false;
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    int p = std::stoi(std::string(port));
    if (p < 1 || p > 65535) return false;
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  auto b = url.find_first_not_of(" \t");
  auto e = url.find_last_not_of(" \t\r\n");
  if (b == std::string_view::npos) return Status::InvalidArgument("registry URL: must not be empty");
  std::string_view s = url.substr(b, e - b + 1);
  Endpoint ep;
  auto sep = s.find("://");
  if (sep != std::string_view::npos) {
    ep.scheme = Lower(s.substr(0, sep));
    if (ep.scheme != "https" && ep.scheme != "http") {
      return Status::InvalidArgument("registry URL '" + std::string(s) + "': scheme must be https or http");
    }
    s = s.substr(sep + 3);
  }
  auto slash = s.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : s.substr(slash);
  s = s.substr(0, slash);
  if (!(path.empty() || path == "/" || path == "/v1" || path == "/v1/" || path == "/v2" || path == "/v2/")) {
    return Status::InvalidArgument("registry URL '" + std::string(url) + "': unexpected path '" +
                                   std::string(path) + "' (give only scheme://host[:port])");
  }
  if (!ValidHostPort(s)) {
    return Status::InvalidArgument("registry URL '" + std::string(url) + "': invalid host or port");
  }
  ep.host = Lower(s);
  if (ep.host == "docker.io" || ep.host == "index.docker.io" || ep.host == "registry.hub.docker.com") {
    ep.host = "registry-1.docker.io";
  }
  return ep;
}

Status ValidateRepository(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("repository '" + std::string(name) + "': " + why);
  };
  if (name.empty()) return bad("must not be empty");
  if (name.size() > 255) return bad("longer than 255 characters");
  size_t start = 0;
  while (true) {
    auto slash = name.find('/', start);
    std::string_view comp = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!ValidComponent(comp)) {
      return bad("each path component must be lower-case letters and digits, separated by '.', '_', '__' or '-'");
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Status ValidateTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || !IsWord(tag.front()) ||
      !std::all_of(tag.begin(), tag.end(), [](char c) { return IsWord(c) || c == '.' || c == '-'; })) {
    return Status::InvalidArgument("tag '" + std::string(tag) +
                                   "': must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  }
  return Status::Ok();
}

bool IsDigest(std::string_view s) {
  if (s.size() != 71 || s.substr(0, 7) != "sha256:") return false;
  return std::all_of(s.begin() + 7, s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status ValidateDigest(std::string_view digest) {
  if (IsDigest(digest)) return Status::Ok();
  return Status::InvalidArgument("digest '" + std::string(digest) + "': must be sha256:<64 lower-case hex digits>");
}

Status ValidateManifestReference(std::string_view ref) {
  if (ref.find(':') != std::string_view::npos) return ValidateDigest(ref);
  return ValidateTag(ref);
}

std::string Reference::String() const {
  std::string s = registry + "/" + repository;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> ParseReference(std::string_view ref) {
  Reference r;
  std::string_view rest = ref;
  auto at = rest.find('@');
  if (at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    RETURN_IF_ERROR(ValidateDigest(r.digest).Annotate("image reference '" + std::string(ref) + "'"));
    rest = rest.substr(0, at);
  }
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    std::string_view first = rest.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(first));
      r.registry = ep.host;
      rest = rest.substr(slash + 1);
    }
  }
  if (r.registry.empty()) r.registry = "registry-1.docker.io";
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.find('/', colon) == std::string_view::npos) {
    r.tag = std::string(rest.substr(colon + 1));
    RETURN_IF_ERROR(ValidateTag(r.tag).Annotate("image reference '" + std::string(ref) + "'"));
    rest = rest.substr(0, colon);
  }
  r.repository = std::string(rest);
  if (r.registry == "registry-1.docker.io" && r.repository.find('/') == std::string::npos) {
    r.repository = "library/" + r.repository;
  }
  RETURN_IF_ERROR(ValidateRepository(r.repository).Annotate("image reference '" + std::string(ref) + "'"));
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace kbr::registry
