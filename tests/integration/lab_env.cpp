#include "lab_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "lab/component.h"

namespace kbr::testing {

const LabEnv& Lab() {
  static const LabEnv env = [] {
    LabEnv e;
    const char* dir = std::getenv("KBR_LAB_DIR");
    const char* bin = std::getenv("KBR_BINARY");
    e.layout.dir = dir ? dir : lab::DefaultLabDir();
    e.kbr_binary = bin ? bin : "kbr";
    auto st = lab::LoadState(e.layout);
    if (st.ok()) e.state = *st;
    return e;
  }();
  return env;
}

std::unique_ptr<kube::Client> AdminClient(const std::string& cluster) {
  auto c = lab::AdminClient(Lab().layout, cluster);
  if (!c.ok()) {
    ADD_FAILURE() << "no lab client for " << cluster << ": " << c.status().message();
    return nullptr;
  }
  return std::move(*c);
}

std::string AdminToken() {
  std::ifstream in(Lab().layout.Path("admin.token"));
  std::string token;
  std::getline(in, token);
  return token;
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

bool Eventually(const std::function<bool()>& probe, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return probe();
}

std::string Random(size_t n) {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::lock_guard<std::mutex> l(mu);
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kChars[rng() % 36]);
  return s;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace kbr::testing
