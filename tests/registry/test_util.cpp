#include "registry/test_util.h"

#include <algorithm>

#include "core/json.h"
#include "registry/digest.h"

namespace kbr::registry::testing {

Result<size_t> GeneratedSource::Read(char* buf, size_t len) {
  size_t n = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(len), size_ - pos_));
  for (size_t i = 0; i < n; ++i) {
    if (word_left_ == 0) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      word_ = state_;
      word_left_ = 8;
    }
    buf[i] = static_cast<char>(word_ & 0xff);
    word_ >>= 8;
    --word_left_;
  }
  pos_ += static_cast<int64_t>(n);
  return n;
}

bool GeneratedSource::Rewind() {
  if (!rewindable_) return false;
  pos_ = 0;
  state_ = seed_ | 1;
  word_left_ = 0;
  ++starts_;
  return true;
}

http::Request CountingClient::Wrap(const http::Request& req) {
  {
    std::lock_guard<std::mutex> l(mu_);
    std::string path = req.url.substr(req.url.find('/', req.url.find("://") + 3));
    requests_.push_back(req.method + " " + path.substr(0, path.find('?')));
  }
  http::Request r = req;
  body_bytes_ += static_cast<int64_t>(req.body.size());
  if (req.body_reader) {
    r.body_reader = [this, inner = req.body_reader](char* buf, size_t len) -> int64_t {
      int64_t n = inner(buf, len);
      if (n > 0) body_bytes_ += n;
      return n;
    };
  }
  return r;
}

Result<http::Response> CountingClient::Do(const http::Request& req) { return inner_->Do(Wrap(req)); }
Result<http::Response> CountingClient::Stream(const http::Request& req, const http::ChunkHandler& h) {
  return inner_->Stream(Wrap(req), h);
}

std::vector<std::string> CountingClient::Requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

void CountingClient::Reset() {
  std::lock_guard<std::mutex> l(mu_);
  requests_.clear();
  body_bytes_ = 0;
}

Result<http::Response> DroppingClient::Do(const http::Request& req) {
  if (req.method != "PATCH" || fired_ || !req.body_reader) return inner_->Do(req);
  http::Request r = req;
  r.body_reader = [this, inner = req.body_reader](char* buf, size_t len) -> int64_t {
    if (fired_) return -1;
    int64_t room = fail_after_ - sent_;
    if (room <= 0) {
      int64_t n = inner(buf, len);
      if (n <= 0) return n;  // the chunk ended exactly at the limit
      fired_ = true;         // more was coming: drop the connection here
      return -1;
    }
    int64_t n = inner(buf, std::min<size_t>(len, static_cast<size_t>(room)));
    if (n > 0) sent_ += n;
    return n;
  };
  return inner_->Do(r);
}

Result<http::Response> PagingClient::Do(const http::Request& req) {
  auto q = req.url.find('?');
  if (req.method != "GET" || req.url.find("/tags/list") == std::string::npos || q == std::string::npos) {
    return inner_->Do(req);
  }
  int n = 0;
  std::string last;
  std::string query = req.url.substr(q + 1);
  for (size_t start = 0; start < query.size();) {
    auto amp = query.find('&', start);
    std::string kv = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (kv.rfind("n=", 0) == 0) n = std::stoi(kv.substr(2));
    if (kv.rfind("last=", 0) == 0) last = kv.substr(5);
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  http::Request plain = req;
  plain.url = req.url.substr(0, q);
  ASSIGN_OR_RETURN(http::Response resp, inner_->Do(plain));
  if (resp.status != 200) return resp;
  ASSIGN_OR_RETURN(auto doc, json::Parse(resp.body));
  std::vector<std::string> tags;
  for (const auto& t : doc.at("tags").as_array()) tags.emplace_back(t.as_string());
  std::sort(tags.begin(), tags.end());
  auto it = last.empty() ? tags.begin() : std::upper_bound(tags.begin(), tags.end(), last);
  std::vector<std::string> page(it, n > 0 ? std::min(tags.end(), it + n) : tags.end());
  boost::json::array arr;
  for (const auto& t : page) arr.emplace_back(t);
  doc.as_object()["tags"] = arr;
  resp.body = json::Serialize(doc);
  if (!page.empty() && page.back() != tags.back()) {
    std::string path = plain.url.substr(plain.url.find('/', plain.url.find("://") + 3));
    resp.headers.emplace_back("link", "<" + path + "?n=" + std::to_string(n) + "&last=" + page.back() +
                                          ">; rel=\"next\"");
  }
  ++pages_served;
  return resp;
}

std::shared_ptr<http::Client> CurlClientTrusting(const RegistryServer& server) {
  http::TlsConfig tls;
  tls.ca_file = server.ca_file();
  auto c = http::NewCurlClient(tls);
  return std::shared_ptr<http::Client>(std::move(c).value());
}

RegistryOptions OptionsFor(const RegistryServer& server) {
  RegistryOptions o;
  o.url = server.url();
  o.credentials = {server.user(), server.password()};
  o.tls.ca_file = server.ca_file();
  o.backoff = BackoffPolicy{Duration(50), Duration(500), 2.0, 0.5};
  return o;
}

Result<PushedImage> PushImage(Registry& reg, const std::string& repo, const std::string& tag, BlobSource& layer,
                              const UploadOptions& layer_opts) {
  PushedImage img;
  ASSIGN_OR_RETURN(UploadResult up, reg.UploadBlob(repo, layer, layer_opts));
  img.layer_digest = up.digest;
  img.layer_size = up.size;
  std::string config = R"({"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[")" +
                       up.digest + R"("]}})";
  img.config_digest = DigestOf(config);
  StringSource cs(config);
  UploadOptions co;
  co.digest = img.config_digest;
  ASSIGN_OR_RETURN(UploadResult cu, reg.UploadBlob(repo, cs, co));
  (void)cu;
  img.manifest = std::string(R"({"schemaVersion":2,"mediaType":")") + kOciManifest +
                 R"(","config":{"mediaType":")" + kOciConfig + R"(","digest":")" + img.config_digest +
                 R"(","size":)" + std::to_string(config.size()) +
                 R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" + up.digest +
                 R"(","size":)" + std::to_string(up.size) + R"(}],"annotations":{"org.kbr.test":"1"}})";
  ASSIGN_OR_RETURN(img.manifest_digest, reg.PutManifest(repo, tag, kOciManifest, img.manifest));
  return img;
}

Result<int64_t> PullImage(Registry& reg, const std::string& repo, const std::string& tag, const BlobSink& sink) {
  ASSIGN_OR_RETURN(Manifest m, reg.GetManifest(repo, tag));
  ASSIGN_OR_RETURN(auto doc, json::Parse(m.body, "manifest"));
  std::string config_digest = json::GetString(doc, "config.digest");
  ASSIGN_OR_RETURN(std::string config, reg.FetchBlob(repo, config_digest));
  (void)config;
  int64_t total = 0;
  for (const auto& l : doc.at("layers").as_array()) {
    ASSIGN_OR_RETURN(int64_t n, reg.PullBlob(repo, json::GetString(l, "digest"), sink, json::GetInt(l, "size", -1)));
    total += n;
  }
  return total;
}

Status CompareSink::operator()(std::string_view data) {
  buf_.resize(data.size());
  auto n = expected_.Read(buf_.data(), data.size());
  if (!n.ok() || *n != data.size() || std::memcmp(buf_.data(), data.data(), data.size()) != 0) {
    return Status::Internal("pulled bytes differ from pushed ones near offset " + std::to_string(compared_));
  }
  compared_ += static_cast<int64_t>(data.size());
  return Status::Ok();
}

}  // namespace kbr::registry::testing
