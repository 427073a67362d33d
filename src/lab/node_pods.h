// PodController: the lab node's pod lifecycle. Watches the pods bound to the
// node (informer with fieldSelector spec.nodeName=<node>) and reconciles each
// one by key, on one worker thread (a key is never handled twice at once):
//   - pod gone → its containers are removed;
//   - deletionTimestamp set → containers stopped (grace capped at 10 s), then
//     the pod is deleted with gracePeriodSeconds=0 and a uid precondition,
//     as the kubelet does;
//   - otherwise each container is started when missing (image → workload,
//     node_image.h; pull failures → ErrImagePull/ImagePullBackOff with
//     back-off), restarted per restartPolicy after crash-loop back-off, and
//     the pod status (node_status.h) is written when it differs from what this
//     node last wrote; demo pods get the annotation lab.kbr.io/demo-port.
// A monitor thread polls the runtime (exits, readiness) every 500 ms and
// requeues pods whose containers changed or wait for a retry.
#pragma once

#include <boost/json/value.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/work_queue.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "lab/node_runtime.h"
#include "lab/node_image.h"
#include "lab/node_status.h"
#include "registry/reference.h"

namespace kbr::lab {

struct PodControllerOptions {
  std::string node_name;
  std::string kubeconfig;  // handed to agent containers (KUBECONFIG)
  std::string ca_file;     // verifies loopback registries (the lab CA)
  NodeLayout layout;
};

class PodController {
 public:
  // `client` (the node's identity) and `runtime` must outlive the controller.
  PodController(kube::Client& client, Runtime& runtime, PodControllerOptions options, Clock& clock = SystemClock());
  ~PodController();  // Stops.

  // Starts the informer and waits up to 30 s for its first list (Unavailable
  // otherwise), removes containers of pods no longer bound here, then starts
  // the worker and monitor threads.
  Status Start();
  void Stop();

  // From the informer cache (thread-safe, no network).
  std::optional<boost::json::value> GetPod(const std::string& ns, const std::string& name) const;
  std::vector<boost::json::value> ListPods() const;

 private:
  struct Retry {
    Waiting waiting;
    int attempts = 0;
    TimePoint next_attempt;
  };
  struct Prepared {
    std::optional<LaunchSpec> spec;
    Waiting waiting;  // when !spec
  };

  void Enqueue(const std::string& key);
  void WorkerLoop();
  void MonitorLoop();
  Status Reconcile(const std::string& key);
  Status DeletePod(const boost::json::value& pod);
  void RemoveContainersOf(const std::string& uid, std::chrono::milliseconds grace);
  std::optional<Waiting> EnsureContainer(const boost::json::value& pod, const boost::json::value& container);
  Prepared Prepare(const boost::json::value& pod, const boost::json::value& container);
  Result<LaunchSpec> PrepareFromRegistry(const boost::json::value& pod, LaunchSpec spec);
  Result<PulledImage> TakeHandedOver(const registry::Reference& ref, const LaunchSpec& spec);
  Result<PulledImage> Pull(const boost::json::value& pod, const registry::Reference& ref, const LaunchSpec& spec);
  Status PublishDemoPort(const boost::json::value& pod);

  kube::Client& client_;
  Runtime& runtime_;
  PodControllerOptions options_;
  Clock& clock_;
  std::unique_ptr<kube::Informer> informer_;

  std::mutex mu_;  // for cv_: the monitor's sleep, cut short by Stop()
  std::condition_variable cv_;
  WorkQueue queue_;  // "ns/name" of pods to reconcile
  std::atomic<bool> stop_{false};
  std::thread worker_;
  std::thread monitor_;

  // Worker-thread only:
  std::map<std::string, std::string> uid_of_;          // pod key → uid
  std::map<std::string, Retry> retries_;               // "<uid>/<container>" → start retry
  std::map<std::string, boost::json::value> written_;  // uid → status last written
};

}  // namespace kbr::lab
