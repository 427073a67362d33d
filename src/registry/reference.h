// Names in the OCI distribution world: registry endpoints as users type them,
// repository names, tags and digests, and full image references.
//
// All functions are pure and thread-safe. Validation failures are
// InvalidArgument whose message names the offending field and value.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace kbr::registry {

// Where a registry answers: "https" or "http" plus "host[:port]".
struct Endpoint {
  std::string scheme = "https";
  std::string host;  // "127.0.0.1:5000", "registry-1.docker.io", "[::1]:5000"
  // "https://127.0.0.1:5000" (no trailing slash).
  std::string BaseUrl() const { return scheme + "://" + host; }
};

// Parses a registry address as users write it:
//   "https://127.0.0.1:5000", "127.0.0.1:5000" (https implied),
//   "http://localhost:5000", "https://index.docker.io/v1/" and "docker.io"
//   (both mean "registry-1.docker.io"). A path other than "/", "/v1/" or
//   "/v2/" is rejected.
// Returns InvalidArgument for an empty string, an unknown scheme, a bad host
// or port.
Result<Endpoint> ParseEndpoint(std::string_view url);

// A repository name per the distribution spec grammar:
//   component ('/' component)*, component = [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
// at most 255 characters. OK or InvalidArgument("repository 'X': ...").
Status ValidateRepository(std::string_view name);
// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Status ValidateTag(std::string_view tag);
// A digest kbr can verify: "sha256:" + 64 lower-case hex digits.
Status ValidateDigest(std::string_view digest);
bool IsDigest(std::string_view s);
// A manifest reference: a tag or a digest.
Status ValidateManifestReference(std::string_view ref);

// A parsed image reference "registry/repo[:tag][@digest]".
struct Reference {
  std::string registry;    // "127.0.0.1:5000"; "registry-1.docker.io" by default
  std::string repository;  // "team/app"; "library/x" for a Docker Hub single name
  std::string tag;         // "" when only a digest is given
  std::string digest;      // "" when not pinned
  // The tag or else the digest, as used in /v2/<name>/manifests/<ref>.
  const std::string& ManifestRef() const { return digest.empty() ? tag : digest; }
  // Canonical string "registry/repository[:tag][@digest]".
  std::string String() const;
};

// Parses "127.0.0.1:5000/team/app:v1", "team/app@sha256:...", "busybox"
// (→ registry-1.docker.io/library/busybox:latest). The first component names
// a registry when it contains '.' or ':' or is "localhost". A missing tag and
// digest means tag "latest". InvalidArgument on any invalid part.
Result<Reference> ParseReference(std::string_view ref);

}  // namespace kbr::registry
