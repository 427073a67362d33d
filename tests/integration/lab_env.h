// Access to the lab an integration test runs against: KBR_LAB_DIR names it
// (the ctest fixture starts it), KBR_BINARY the kbr binary under test.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "kube/client.h"
#include "lab/layout.h"

namespace kbr::testing {

struct LabEnv {
  lab::LabLayout layout;
  std::string kbr_binary;
  lab::LabState state;
};

// Loads the environment; fails the calling test (ASSERT) when it is missing.
const LabEnv& Lab();

// An admin (system:masters) client for "karmada", "member1" or "member2".
std::unique_ptr<kube::Client> AdminClient(const std::string& cluster);

// The kbr-admin ServiceAccount token (cluster-admin on the host).
std::string AdminToken();

// Runs a shell command, returning its exit code; stdout+stderr in *output.
int RunCommand(const std::string& command, std::string* output = nullptr);

// Polls `probe` every 250 ms until it returns true or `seconds` have passed;
// the probe's last answer.
bool Eventually(const std::function<bool()>& probe, int seconds = 30);

// `n` random characters of [a-z0-9] (for distinctive names and secrets).
std::string Random(size_t n);

// A name unique to this test process ("<prefix>-<pid>-<counter>").
std::string UniqueName(const std::string& prefix);

}  // namespace kbr::testing
