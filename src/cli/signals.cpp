#include <pthread.h>
#include <signal.h>

#include <thread>

#include "cli/cli.h"

namespace kbr::cli {

const std::atomic<bool>& StopOnSignal() {
  // Blocked before any other thread starts, so only the waiter receives them.
  static std::atomic<bool> stop{false};
  static const bool started = [] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      int sig = 0;
      sigwait(&set, &sig);
      stop = true;
    }).detach();
    return true;
  }();
  (void)started;
  return stop;
}

}  // namespace kbr::cli
