#include "lab/registry.h"

#include <openssl/rand.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/http.h"
#include "lab/node_certs.h"

namespace kbr::lab {
namespace fs = std::filesystem;

namespace {

std::string Dir(const LabLayout& l) { return l.Path("registry"); }

Result<std::string> RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Status::Internal("no random bytes from OpenSSL");
  }
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (unsigned char c : raw) out.push_back(kAlphabet[c % 62]);
  return out;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("'" + path + "' does not exist");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A secret file with random content, created once.
Result<std::string> EnsureSecretFile(const std::string& path, size_t bytes) {
  if (auto existing = ReadFile(path); existing.ok() && !existing->empty()) return *existing;
  ASSIGN_OR_RETURN(std::string secret, RandomToken(bytes));
  RETURN_IF_ERROR(WriteFileAtomic(path, secret, 0600));
  return secret;
}

// htpasswd -B with the password on stdin (never on a command line).
Status WriteHtpasswd(const std::string& path, const std::string& password) {
  std::string tmp = path + ".tmp";
  std::string cmd = "htpasswd -iBc '" + tmp + "' " + kRegistryUser + " >/dev/null 2>&1";
  FILE* p = ::popen(cmd.c_str(), "w");
  if (!p) return Status::FailedPrecondition("cannot run htpasswd (install apache2-utils)");
  std::fwrite(password.data(), 1, password.size(), p);
  int rc = ::pclose(p);
  std::error_code ec;
  if (rc != 0 || !fs::exists(tmp)) {
    fs::remove(tmp, ec);
    return Status::FailedPrecondition("htpasswd failed (exit " + std::to_string(rc) +
                                      "); is apache2-utils installed?");
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::Unavailable("cannot write '" + path + "': " + ec.message());
  return Status::Ok();
}

Status Prepare(const LabLayout& l, int port) {
  std::error_code ec;
  fs::create_directories(Dir(l) + "/data", ec);
  if (ec) return Status::Unavailable("cannot create '" + Dir(l) + "/data': " + ec.message());
  RETURN_IF_ERROR(EnsureLeafCertificate(l, kRegistryComponent,
                                        {.common_name = "kbr-lab-registry",
                                         .dns_sans = {"localhost"},
                                         .ip_sans = {"127.0.0.1"},
                                         .server = true}));
  bool new_password = !fs::exists(Dir(l) + "/password");
  ASSIGN_OR_RETURN(std::string password, EnsureSecretFile(Dir(l) + "/password", 32));
  if (new_password || !fs::exists(Dir(l) + "/htpasswd")) RETURN_IF_ERROR(WriteHtpasswd(Dir(l) + "/htpasswd", password));
  ASSIGN_OR_RETURN(std::string http_secret, EnsureSecretFile(Dir(l) + "/http-secret", 32));
  std::string config =
      "version: 0.1\n"
      "log:\n  level: info\n  formatter: text\n"
      "storage:\n  filesystem:\n    rootdirectory: " + Dir(l) + "/data\n"
      "  delete:\n    enabled: true\n"
      "  maintenance:\n    uploadpurging:\n      enabled: false\n"
      "http:\n  addr: 127.0.0.1:" + std::to_string(port) + "\n"
      "  secret: " + http_secret + "\n"
      "  tls:\n    certificate: " + l.Pki("registry.crt") + "\n    key: " + l.Pki("registry.key") + "\n"
      "  headers:\n    X-Content-Type-Options: [nosniff]\n"
      "auth:\n  htpasswd:\n    realm: kbr-lab-registry\n    path: " + Dir(l) + "/htpasswd\n";
  return WriteFileAtomic(Dir(l) + "/config.yml", config, 0600);
}

}  // namespace

Result<LabRegistryInfo> RegistryInfo(const LabLayout& l, const LabState& state) {
  auto it = state.ports.find(kRegistryComponent);
  if (it == state.ports.end()) return Status::NotFound("the lab in " + l.dir + " has no registry yet");
  std::string host = "127.0.0.1:" + std::to_string(it->second);
  return LabRegistryInfo{"https://" + host, host, kRegistryUser, Dir(l) + "/password", l.Pki("ca.crt")};
}

Result<std::string> ReadRegistryPassword(const LabLayout& l) { return ReadFile(Dir(l) + "/password"); }

Result<std::vector<Stage>> RegistryStages(const LabLayout& l, LabState& state, const Binaries& b) {
  ASSIGN_OR_RETURN(int port, PortFor(state, kRegistryComponent));
  Component c;
  c.spec = {.name = kRegistryComponent,
            .binary = b.docker_registry,
            .args = {"serve", Dir(l) + "/config.yml"},
            .log_file = l.Log(kRegistryComponent)};
  c.ready = [l, port]() -> Result<bool> {
    ASSIGN_OR_RETURN(auto http, http::NewCurlClient({.ca_file = l.Pki("ca.crt")}));
    ASSIGN_OR_RETURN(auto resp, http->Do({.url = "https://127.0.0.1:" + std::to_string(port) + "/v2/",
                                          .timeout = std::chrono::milliseconds(2000)}));
    return resp.status == 401;
  };
  Stage stage{"registry", {std::move(c)}};
  stage.prepare = [l, port] { return Prepare(l, port); };
  return std::vector<Stage>{std::move(stage)};
}

}  // namespace kbr::lab
