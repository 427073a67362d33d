// A real `kbr server` process against the lab's Karmada apiserver, and an HTTP
// client for its API, for integration tests of the REST API. One server per
// test binary (started on first use, stopped at exit); its log is kept so the
// never-leak tests can scan it.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "core/http.h"

namespace kbr::testing {

struct ApiResponse {
  int status = 0;
  boost::json::value body;  // parsed JSON (null if the body was not JSON)
  std::string raw;
  http::Headers headers;
  // body.data / body.message / body.code shortcuts.
  const boost::json::value& data() const;
  std::string message() const;
};

class ApiServerProcess {
 public:
  // Starts kbr server (KBR_BINARY) with the lab's karmada kubeconfig on a free
  // loopback port and waits for /readyz. Fails the test (ASSERT) on error.
  static ApiServerProcess& Get();
  ~ApiServerProcess();

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& log_file() const { return log_file_; }
  int pid() const { return pid_; }

 private:
  ApiServerProcess() = default;
  int pid_ = 0;
  int port_ = 0;
  std::string log_file_;
};

// Calls the API as `token` ("" = no Authorization header).
ApiResponse CallApi(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& token = "<admin>");

// A ServiceAccount in karmada-system (created on first use, with a token
// Secret) bound to the ClusterRole `view`-like read-only rules for kbr's
// objects; its token.
std::string ReadOnlyToken();

}  // namespace kbr::testing
