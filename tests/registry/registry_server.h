// Test fixture: a real docker-registry (Debian's /usr/bin/docker-registry)
// on 127.0.0.1:<free port> with TLS from a throwaway CA and either htpasswd
// (bcrypt) or token auth (tests/registry/token_server.py), storage and all
// generated material in a temp dir removed at the end.
//
// Not thread-safe; one instance per test suite. Child processes die with the
// test process (PR_SET_PDEATHSIG) even if it crashes.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::registry::testing {

// Runs `cmd` through /bin/sh; returns its combined stdout+stderr, or Internal
// with that output when it exits non-zero.
Result<std::string> RunShell(const std::string& cmd);

// Quotes s for /bin/sh.
std::string ShellQuote(const std::string& s);

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RegistryServer {
 public:
  enum class Auth { kHtpasswd, kToken };
  struct Options {
    Auth auth = Auth::kHtpasswd;
    std::string user = "kbr";
    std::string password = "kbr-test-password";
    // Token auth: repositories the user may pull/push (fnmatch), and those
    // anonymous callers may pull.
    std::string user_repos = "*";
    std::string anonymous_repos = "public/*";
  };

  // Generates the CA, server cert, htpasswd / token keys and config, starts
  // the registry (and token server) and waits until /v2/ answers.
  static Result<std::unique_ptr<RegistryServer>> Start(const Options& opts);
  ~RegistryServer();  // stops the processes, removes the directory

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "https://" + host(); }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& user() const { return opts_.user; }
  const std::string& password() const { return opts_.password; }
  // The token service's realm URL (token auth only).
  std::string token_realm() const { return "https://127.0.0.1:" + std::to_string(token_port_) + "/token"; }
  static constexpr const char* kTokenService = "kbr-test-registry";
  // The filesystem storage root: <root>/docker/registry/v2/...
  std::string storage_dir() const { return dir_.path() + "/storage"; }
  // Path of a blob's data file in storage.
  std::string BlobDataPath(const std::string& digest) const;
  std::string LogTail() const;

 private:
  explicit RegistryServer(Options opts) : opts_(std::move(opts)) {}
  Status Setup();

  Options opts_;
  TempDir dir_;
  std::string ca_file_;
  int port_ = 0;
  int token_port_ = 0;
  pid_t registry_pid_ = -1;
  pid_t token_pid_ = -1;
};

}  // namespace kbr::registry::testing

namespace kbr::registry::testing {
// One htpasswd registry shared by the tests of this process, started on first
// use and stopped at exit. Returns nullptr (and *error) if it cannot start.
RegistryServer* SharedServer(std::string* error);
}  // namespace kbr::registry::testing
