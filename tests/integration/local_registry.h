// A throwaway docker-registry for API tests: 127.0.0.1:<free port>, TLS from
// a CA made for it, one htpasswd (bcrypt) user; its temp dir is removed and
// the process stopped when the object is destroyed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

namespace kbr::testing {

class LocalRegistry {
 public:
  // nullptr and *error set when it cannot start.
  static std::unique_ptr<LocalRegistry> Start(const std::string& user, const std::string& password,
                                              std::string* error);
  ~LocalRegistry();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "https://" + host(); }
  const std::string& ca_pem() const { return ca_pem_; }

 private:
  LocalRegistry() = default;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = 0;
  std::string ca_pem_;
};

}  // namespace kbr::testing
