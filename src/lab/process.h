// Process supervision for the lab's daemons (etcd, kube-apiservers, registry,
// ...): start them detached so they outlive the `kbr` process that started
// them, check and stop them by pid, and the small helpers a lab start-up needs
// (free ports, waiting for readiness, the tail of a daemon's log).
//
// Thread-safety: every function is safe to call from many threads at once.
// StartDetached forks; it only calls async-signal-safe functions in the child,
// so it is safe in a multi-threaded process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace kbr::lab {

struct ProcessSpec {
  std::string name;               // for messages ("etcd")
  std::string binary;             // a path, or a name looked up in PATH
  std::vector<std::string> args;  // argv[1..]; argv[0] is `binary`
  std::vector<std::string> env;   // extra KEY=VAL, overriding the inherited environment
  std::string log_file;           // stdout+stderr are appended here; "" = /dev/null
  std::string work_dir;           // the child's cwd; "" = the caller's
};

// Starts spec.binary as a daemon: fork, setsid (a new session and process
// group, no controlling terminal, so it gets none of the terminal's signals
// and survives the caller's exit), stdin from /dev/null, stdout and stderr
// appended to log_file (created 0644 if missing), every inherited fd above 2
// closed, signal mask and dispositions reset to defaults, then exec.
// Returns the daemon's pid once exec has succeeded. The daemon stays a child
// of the caller until the caller exits; Stop() reaps it.
// Errors (nothing is left running):
//   InvalidArgument "<name>: ..." - empty name/binary, or an env entry without '='.
//   NotFound "<name>: cannot start '<binary>': No such file or directory"
//     - the binary does not exist (or is not in PATH).
//   FailedPrecondition "<name>: cannot start '<binary>': <strerror>" - exec
//     failed otherwise (permission denied, not an executable, ...).
//   Unavailable "<name>: ..." - the log file or work_dir cannot be opened/entered,
//     or fork/pipe failed.
Result<pid_t> StartDetached(const ProcessSpec& spec);

// True iff a process `pid` exists and is not a zombie (its /proc/<pid>/stat
// state is not 'Z' or 'X'). False for pid <= 0.
bool IsAlive(pid_t pid);

// Stops `pid`: SIGTERM, then polls for up to `grace`, then SIGKILL and waits
// for it to go. Reaps it if it is the caller's child. Stopping a pid that is
// already gone (or a zombie) is OK. Only `pid` itself is signalled, not its
// process group.
// Errors: InvalidArgument for pid <= 0; PermissionDenied if it may not be
// signalled; DeadlineExceeded if it is still alive 5s after SIGKILL.
Status Stop(pid_t pid, std::chrono::milliseconds grace);

// The last `lines` lines of a text file (at most its last 64 KiB are read),
// without the final newline; "" for an empty file or lines <= 0.
// NotFound if the file does not exist; Unavailable if it cannot be read.
Result<std::string> TailFile(const std::string& path, int lines);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it,
// close). Another process may take it before the caller binds it.
// Unavailable if no socket can be bound.
Result<int> FreePort();

// Calls `probe` every `interval` until it returns true, or until `timeout` has
// passed (the probe is called at least once). A probe error does not stop the
// waiting; the last one is reported.
// Returns OK once the probe returned true; otherwise DeadlineExceeded
// "timed out after <N>s waiting for <what>: <last probe error>" (the ": ..."
// part is omitted if the last probe returned false without an error).
// Time is read and slept through `clock`.
Status WaitFor(const std::function<Result<bool>()>& probe, std::chrono::milliseconds timeout,
               std::chrono::milliseconds interval, const std::string& what,
               Clock& clock = SystemClock());

}  // namespace kbr::lab
