#include "local_registry.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/http.h"
#include "lab/process.h"
#include "lab_env.h"

namespace kbr::testing {

namespace fs = std::filesystem;

namespace {

std::string Sh(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::unique_ptr<LocalRegistry> LocalRegistry::Start(const std::string& user, const std::string& password,
                                                    std::string* error) {
  std::unique_ptr<LocalRegistry> r(new LocalRegistry());
  std::string tmpl = (fs::temp_directory_path() / "kbr-apitest-registry-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  r->dir_ = tmpl;
  const std::string d = Sh(r->dir_);
  std::string out;
  int rc = RunCommand(
      "cd " + d +
          " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key"
          " -out ca.crt -days 2 -subj /CN=kbr-apitest-ca"
          " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key"
          " -out server.csr -subj /CN=127.0.0.1"
          " && printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n'"
          " > ext.cnf"
          " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt"
          " -days 2 -extfile ext.cnf"
          " && htpasswd -Bbn " +
          Sh(user) + " " + Sh(password) + " > htpasswd",
      &out);
  if (rc != 0) {
    *error = "cannot make TLS material / htpasswd: " + out;
    return nullptr;
  }
  auto port = lab::FreePort();
  if (!port.ok()) {
    *error = port.status().message();
    return nullptr;
  }
  r->port_ = *port;
  std::ofstream(r->dir_ + "/config.yml")
      << "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " << r->dir_
      << "/storage\nhttp:\n  addr: 127.0.0.1:" << r->port_ << "\n  secret: kbr-apitest\n  tls:\n"
      << "    certificate: " << r->dir_ << "/server.crt\n    key: " << r->dir_ << "/server.key\n"
      << "auth:\n  htpasswd:\n    realm: kbr-apitest\n    path: " << r->dir_ << "/htpasswd\n";
  auto pid = lab::StartDetached({.name = "docker-registry",
                                 .binary = "/usr/bin/docker-registry",
                                 .args = {"serve", r->dir_ + "/config.yml"},
                                 .log_file = r->dir_ + "/registry.log"});
  if (!pid.ok()) {
    *error = pid.status().message();
    return nullptr;
  }
  r->pid_ = *pid;
  r->ca_pem_ = ReadFile(r->dir_ + "/ca.crt");
  auto http = http::NewCurlClient({.ca_file = r->dir_ + "/ca.crt"});
  Status up = lab::WaitFor(
      [&]() -> Result<bool> {
        auto resp = (*http)->Do({.url = r->url() + "/v2/", .timeout = std::chrono::milliseconds(2000)});
        if (!resp.ok()) return resp.status();
        return resp->status == 401;
      },
      std::chrono::seconds(30), std::chrono::milliseconds(100), "docker-registry /v2/");
  if (!up.ok()) {
    *error = up.message();
    return nullptr;
  }
  return r;
}

LocalRegistry::~LocalRegistry() {
  if (pid_ > 0) (void)lab::Stop(pid_, std::chrono::seconds(5));
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

}  // namespace kbr::testing
