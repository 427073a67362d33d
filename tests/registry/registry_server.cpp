#include "registry/registry_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/http.h"

namespace kbr::registry::testing {

namespace fs = std::filesystem;

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

Result<std::string> RunShell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return Status::Internal("cannot run: " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = pclose(p);
  if (rc != 0) return Status::Internal("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
  return out;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/kbr-registry-test-XXXXXX";
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

namespace {

int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(s);
  return port;
}

// Starts argv[0] with stdout+stderr to `log`; the child dies with us.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

bool Alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

Status WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  return out ? Status::Ok() : Status::Internal("cannot write " + path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string RegistryServer::BlobDataPath(const std::string& digest) const {
  std::string hex = digest.substr(7);
  return storage_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex + "/data";
}

std::string RegistryServer::LogTail() const {
  std::string log = ReadFile(dir_.path() + "/registry.log");
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

Result<std::unique_ptr<RegistryServer>> RegistryServer::Start(const Options& opts) {
  std::unique_ptr<RegistryServer> s(new RegistryServer(opts));
  RETURN_IF_ERROR(s->Setup());
  return s;
}

RegistryServer::~RegistryServer() {
  Stop(registry_pid_);
  Stop(token_pid_);
}

Status RegistryServer::Setup() {
  const std::string d = dir_.path();
  if (d.empty()) return Status::Internal("mkdtemp failed");
  const std::string q = ShellQuote(d);
  // A throwaway CA and a server certificate for 127.0.0.1 (IP SAN).
  RETURN_IF_ERROR(RunShell("cd " + q +
                      " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                      " -keyout ca.key -out ca.crt -days 2 -subj /CN=kbr-test-ca"
                      " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                      " -keyout server.key -out server.csr -subj /CN=127.0.0.1"
                      " && printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
                      "extendedKeyUsage=serverAuth\\nkeyUsage=digitalSignature,keyEncipherment\\n' > ext.cnf"
                      " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
                      " -out server.crt -days 2 -extfile ext.cnf")
                      .status());
  ca_file_ = d + "/ca.crt";
  port_ = FreePort();
  std::string auth;
  if (opts_.auth == Auth::kHtpasswd) {
    ASSIGN_OR_RETURN(std::string line,
                     RunShell("htpasswd -Bbn " + ShellQuote(opts_.user) + " " + ShellQuote(opts_.password)));
    RETURN_IF_ERROR(WriteFile(d + "/htpasswd", line));
    auth = "auth:\n  htpasswd:\n    realm: kbr-test\n    path: " + d + "/htpasswd\n";
  } else {
    RETURN_IF_ERROR(RunShell("cd " + q +
                        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                        " -keyout token.key -out token.crt -days 2 -subj /CN=kbr-test-token-signer")
                        .status());
    std::vector<std::string> argv = {
        "/usr/bin/python3", std::string(KBR_SOURCE_DIR) + "/tests/registry/token_server.py",
        "--port-file", d + "/token.port", "--cert", d + "/server.crt", "--key", d + "/server.key",
        "--signing-cert", d + "/token.crt", "--signing-key", d + "/token.key", "--issuer", "kbr-test-issuer",
        "--service", kTokenService, "--user", opts_.user + ":" + opts_.password + ":" + opts_.user_repos,
        "--anonymous", opts_.anonymous_repos};
    token_pid_ = Spawn(argv, d + "/token.log");
    for (int i = 0; i < 100 && !fs::exists(d + "/token.port"); ++i) {
      if (!Alive(token_pid_)) return Status::Internal("token server exited:\n" + ReadFile(d + "/token.log"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!fs::exists(d + "/token.port")) return Status::Internal("token server did not start");
    token_port_ = std::stoi(ReadFile(d + "/token.port"));
    auth = "auth:\n  token:\n    realm: " + token_realm() + "\n    service: " + kTokenService +
           "\n    issuer: kbr-test-issuer\n    rootcertbundle: " + d + "/token.crt\n";
  }
  std::string config = "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n"
                       "storage:\n  filesystem:\n    rootdirectory: " + storage_dir() +
                       "\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
                       "http:\n  addr: 127.0.0.1:" + std::to_string(port_) +
                       "\n  secret: kbr-test-secret\n  tls:\n    certificate: " + d + "/server.crt\n    key: " + d +
                       "/server.key\n" + auth;
  RETURN_IF_ERROR(WriteFile(d + "/config.yml", config));
  registry_pid_ = Spawn({"/usr/bin/docker-registry", "serve", d + "/config.yml"}, d + "/registry.log");

  http::TlsConfig tls;
  tls.ca_file = ca_file_;
  ASSIGN_OR_RETURN(auto client, http::NewCurlClient(tls));
  for (int i = 0; i < 200; ++i) {
    if (!Alive(registry_pid_)) return Status::Internal("docker-registry exited:\n" + LogTail());
    http::Request req;
    req.url = url() + "/v2/";
    req.timeout = std::chrono::milliseconds(1000);
    auto resp = client->Do(req);
    if (resp.ok() && (resp->status == 200 || resp->status == 401)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Internal("docker-registry did not answer on " + url() + ":\n" + LogTail());
}

}  // namespace kbr::registry::testing

namespace kbr::registry::testing {
RegistryServer* SharedServer(std::string* error) {
  static Result<std::unique_ptr<RegistryServer>> server = RegistryServer::Start({});
  if (!server.ok()) {
    *error = server.status().ToString();
    return nullptr;
  }
  return server->get();
}
}  // namespace kbr::registry::testing
