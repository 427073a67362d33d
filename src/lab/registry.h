// The lab registry: Debian's docker-registry (distribution 2.8) serving on
// 127.0.0.1 with TLS and htpasswd (bcrypt) authentication.
//
// <dir>/registry/config.yml   generated at every start (port from state.json)
// <dir>/registry/password     the password of user "kbr", random at first
//                             start, mode 0600; never printed, only its path
// <dir>/registry/htpasswd     its bcrypt hash (htpasswd -B from apache2-utils)
// <dir>/registry/http-secret  the registry's upload-state secret, mode 0600
// <dir>/registry/data/        storage (filesystem driver, deletes enabled)
// pki/registry.{crt,key}      serving certificate from the lab CA
//                             (IP 127.0.0.1, DNS localhost)
#pragma once

#include <string>
#include <vector>

#include "lab/component.h"

namespace kbr::lab {

inline constexpr const char* kRegistryUser = "kbr";
// The component name (and state.json port key and log name).
inline constexpr const char* kRegistryComponent = "registry";

struct LabRegistryInfo {
  std::string url;            // "https://127.0.0.1:<port>"
  std::string host;           // "127.0.0.1:<port>": what image references start with
  std::string user;           // kRegistryUser
  std::string password_file;  // <dir>/registry/password
  std::string ca_file;        // the lab CA that signed its certificate
};

// NotFound when the lab has no registry port recorded yet.
Result<LabRegistryInfo> RegistryInfo(const LabLayout& layout, const LabState& state);

// The password of kRegistryUser. NotFound before the first `lab up`.
Result<std::string> ReadRegistryPassword(const LabLayout& layout);

// One stage with the registry. Its prepare step creates what is missing
// (certificate, password, htpasswd, secret) and writes config.yml. Ready when
// GET /v2/ over TLS (verified with the lab CA) answers 401 without credentials.
Result<std::vector<Stage>> RegistryStages(const LabLayout& layout, LabState& state, const Binaries& bins);

}  // namespace kbr::lab
