// Prometheus metrics of the API server: request counts and latency
// histograms by route pattern, method and code, plus gauges read at scrape
// time (cache sizes). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace kbr::api {

class Metrics {
 public:
  void Observe(const std::string& method, const std::string& route, int code, std::chrono::microseconds latency);
  // A gauge whose value is read when /metrics is scraped.
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read);
  // Text exposition format 0.0.4.
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts per bound, +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  using Key = std::tuple<std::string, std::string, int>;  // method, route, code
  mutable std::mutex mu_;
  std::map<Key, Histogram> requests_;  // GUARDED_BY(mu_)
  std::vector<std::tuple<std::string, std::string, std::function<double()>>> gauges_;
};

}  // namespace kbr::api
