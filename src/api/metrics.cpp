#include "api/metrics.h"

#include <sstream>

namespace kbr::api {

namespace {
const std::vector<double> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

std::string Labels(const std::string& method, const std::string& route, int code) {
  return "method=\"" + method + "\",route=\"" + route + "\",code=\"" + std::to_string(code) + "\"";
}
}  // namespace

void Metrics::Observe(const std::string& method, const std::string& route, int code,
                      std::chrono::microseconds latency) {
  double s = static_cast<double>(latency.count()) / 1e6;
  std::lock_guard<std::mutex> l(mu_);
  Histogram& h = requests_[{method, route, code}];
  if (h.buckets.empty()) h.buckets.assign(kBounds.size() + 1, 0);
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (s <= kBounds[i]) ++h.buckets[i];
  }
  ++h.buckets.back();
  h.sum += s;
  ++h.count;
}

void Metrics::AddGauge(const std::string& name, const std::string& help, std::function<double()> read) {
  std::lock_guard<std::mutex> l(mu_);
  gauges_.emplace_back(name, help, std::move(read));
}

std::string Metrics::Render() const {
  std::ostringstream out;
  std::lock_guard<std::mutex> l(mu_);
  out << "# HELP kbr_http_requests_total HTTP requests by route, method and code.\n"
      << "# TYPE kbr_http_requests_total counter\n";
  for (const auto& [k, h] : requests_) {
    out << "kbr_http_requests_total{" << Labels(std::get<0>(k), std::get<1>(k), std::get<2>(k)) << "} " << h.count
        << "\n";
  }
  out << "# HELP kbr_http_request_duration_seconds HTTP request latency by route, method and code.\n"
      << "# TYPE kbr_http_request_duration_seconds histogram\n";
  for (const auto& [k, h] : requests_) {
    std::string labels = Labels(std::get<0>(k), std::get<1>(k), std::get<2>(k));
    for (size_t i = 0; i < kBounds.size(); ++i) {
      out << "kbr_http_request_duration_seconds_bucket{" << labels << ",le=\"" << kBounds[i] << "\"} "
          << h.buckets[i] << "\n";
    }
    out << "kbr_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.buckets.back() << "\n";
    out << "kbr_http_request_duration_seconds_sum{" << labels << "} " << h.sum << "\n";
    out << "kbr_http_request_duration_seconds_count{" << labels << "} " << h.count << "\n";
  }
  for (const auto& [name, help, read] : gauges_) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << read() << "\n";
  }
  return out.str();
}

}  // namespace kbr::api
