#include "checkpoint/handoff.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/json.h"

namespace kbr::checkpoint {

namespace bj = boost::json;

namespace {
std::string RecordPath(const std::string& root, const std::string& pod_uid, const std::string& container) {
  return HandoffDir(root, pod_uid, container) + ".json";
}
}  // namespace

std::string HandoffDir(const std::string& root, const std::string& pod_uid, const std::string& container) {
  return root + "/" + pod_uid + "/" + container;
}

Status WriteHandoff(const std::string& root, const std::string& pod_uid, const std::string& container,
                    const Handoff& h) {
  std::string path = RecordPath(root, pod_uid, container);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json::Serialize(bj::object{{"image", h.image},
                                      {"manifestDigest", h.manifest_digest},
                                      {"checkpointContainer", h.checkpoint_container}});
    if (!out.flush()) return Status::Unavailable("hand-off record " + tmp + ": cannot write");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("hand-off record " + path + ": cannot rename into place");
  }
  return Status::Ok();
}

Result<std::optional<Handoff>> ReadHandoff(const std::string& root, const std::string& pod_uid,
                                           const std::string& container) {
  std::string path = RecordPath(root, pod_uid, container);
  std::ifstream in(path);
  if (!in) return std::optional<Handoff>();
  std::stringstream ss;
  ss << in.rdbuf();
  ASSIGN_OR_RETURN(bj::value doc, json::Parse(ss.str(), path));
  Handoff h{.image = json::GetString(doc, "image"),
            .manifest_digest = json::GetString(doc, "manifestDigest"),
            .checkpoint_container = json::GetString(doc, "checkpointContainer"),
            .dir = HandoffDir(root, pod_uid, container)};
  if (h.image.empty() || h.manifest_digest.empty()) {
    return Status::InvalidArgument(path + ": no image or manifestDigest");
  }
  return std::optional<Handoff>(std::move(h));
}

}  // namespace kbr::checkpoint
