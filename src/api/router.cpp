#include "api/router.h"

#include <algorithm>

namespace kbr::api {

namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// Number of literal segments: more literals = more specific.
int Match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
          std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return -1;
  int literals = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (!pattern[i].empty() && pattern[i][0] == ':') {
      if (path[i].empty()) return -1;
      (*params)[pattern[i].substr(1)] = path[i];
    } else if (pattern[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  return literals;
}

}  // namespace

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

const Route* Router::Match(const std::string& method, const std::string& path,
                           std::map<std::string, std::string>* params, bool* path_exists) const {
  auto segments = Split(path);
  const Route* best = nullptr;
  int best_score = -1;
  int best_path_score = -1;  // of any method
  std::map<std::string, std::string> best_params;
  *path_exists = false;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> p;
    int score = api::Match(Split(r.pattern), segments, &p);
    if (score < 0) continue;
    *path_exists = true;
    best_path_score = std::max(best_path_score, score);
    if (r.method != method && !(method == "HEAD" && r.method == "GET")) continue;
    if (score > best_score) {
      best = &r;
      best_score = score;
      best_params = std::move(p);
    }
  }
  // PUT /registry is a method the registry collection lacks (405), not a
  // PUT of a backup whose id is "registry".
  if (best_score < best_path_score) return nullptr;
  if (best) *params = std::move(best_params);
  return best;
}

}  // namespace kbr::api
