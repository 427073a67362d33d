#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/http.h"

namespace kbr::http {

std::string Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(std::string("cannot read ") + what + " file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HostOf(const std::string& url) {
  auto p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  return rest.substr(0, rest.find('/'));
}

Status CurlError(CURLcode rc, const Request& req, const char* errbuf) {
  std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  std::string where = req.method + " " + HostOf(req.url);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded(where + ": timed out (" + detail + ")");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument("invalid URL '" + req.url + "': " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
      return Status::Unavailable(where + ": TLS failure (" + detail +
                                 "); check the CA bundle and the server certificate");
    case CURLE_ABORTED_BY_CALLBACK:
      return Status::Unavailable(where + ": cancelled");
    default:
      return Status::Unavailable(where + ": " + detail);
  }
}

struct Transfer {
  CURL* handle;
  Response* resp;
  const ChunkHandler* on_chunk;
  const Request* req;
  size_t body_offset = 0;
  bool stopped_by_handler = false;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new response (after 100-continue or redirect)
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string value = line.substr(colon + 1);
  auto b = value.find_first_not_of(" \t");
  auto e = value.find_last_not_of(" \t\r\n");
  value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
  t->resp->headers.emplace_back(std::move(name), std::move(value));
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long code = 0;
  if (t->on_chunk) curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &code);
  if (t->on_chunk && code < 300) {
    if (!(*t->on_chunk)(std::string_view(data, len))) {
      t->stopped_by_handler = true;
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
  } else {
    t->resp->body.append(data, len);
  }
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->req->body_reader) {
    int64_t got = t->req->body_reader(buf, size * n);
    return got < 0 ? CURL_READFUNC_ABORT : static_cast<size_t>(got);
  }
  const std::string& body = t->req->body;
  size_t len = std::min(size * n, body.size() - t->body_offset);
  std::copy_n(body.data() + t->body_offset, len, buf);
  t->body_offset += len;
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return (t->req->cancelled && t->req->cancelled()) ? 1 : 0;
}

class CurlClient final : public Client {
 public:
  explicit CurlClient(TlsConfig tls) : tls_(std::move(tls)) {
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlClient::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlClient::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  }
  ~CurlClient() override { curl_share_cleanup(share_); }

  Result<Response> Do(const Request& req) override { return Perform(req, nullptr); }
  Result<Response> Stream(const Request& req, const ChunkHandler& on_chunk) override {
    return Perform(req, &on_chunk);
  }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlClient*>(user)->locks_[data % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlClient*>(user)->locks_[data % kLocks].unlock();
  }

  void ApplyTls(CURL* h) {
    if (tls_.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!tls_.ca_data.empty()) {
      curl_blob blob{tls_.ca_data.data(), tls_.ca_data.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!tls_.cert_data.empty()) {
      curl_blob blob{tls_.cert_data.data(), tls_.cert_data.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!tls_.key_data.empty()) {
      curl_blob blob{tls_.key_data.data(), tls_.key_data.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }

  Result<Response> Perform(const Request& req, const ChunkHandler* on_chunk) {
    CURL* h = curl_easy_init();
    if (!h) return Status::Internal("curl_easy_init failed");
    Response resp;
    Transfer t{h, &resp, on_chunk, &req};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());
    // Let large uploads start without waiting for a 100-continue round trip.
    headers = curl_slist_append(headers, "Expect:");

    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    if (req.cancelled) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    }
    if (req.http1) curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    if (req.upload_buffer_size > 0) {
      curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(req.upload_buffer_size));
    }
    ApplyTls(h);
    if (!tls_.cert_file.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, tls_.cert_file.c_str());
    if (!tls_.key_file.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, tls_.key_file.c_str());
    if (!tls_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, tls_.ca_file.c_str());

    bool has_body = req.body_reader || !req.body.empty() || req.method == "POST" ||
                    req.method == "PUT" || req.method == "PATCH";
    if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (has_body) {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
      curl_off_t size = req.body_reader ? req.body_size : static_cast<curl_off_t>(req.body.size());
      if (size >= 0) curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    } else if (req.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }

    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    resp.status = static_cast<int>(code);
    // A server may answer (e.g. 401) and close before reading the whole
    // upload: the answer is what the caller needs, not the send error.
    bool answered_early = code >= 400 && (rc == CURLE_PARTIAL_FILE || rc == CURLE_SEND_ERROR ||
                                          rc == CURLE_RECV_ERROR || rc == CURLE_ABORTED_BY_CALLBACK);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && t.stopped_by_handler) && !answered_early) {
      return CurlError(rc, req, errbuf);
    }
    return resp;
  }

  static constexpr int kLocks = 8;
  TlsConfig tls_;
  CURLSH* share_;
  std::mutex locks_[kLocks];
};

}  // namespace

Result<std::unique_ptr<Client>> NewCurlClient(const TlsConfig& tls) {
  GlobalInit();
  TlsConfig resolved = tls;
  // Check files up front so a bad path is a clear error, not a TLS failure later.
  for (auto [path, what] : {std::pair{&tls.ca_file, "CA"}, {&tls.cert_file, "client certificate"},
                            {&tls.key_file, "client key"}}) {
    if (!path->empty()) {
      auto pem = ReadPem(*path, what);
      if (!pem.ok()) return pem.status();
    }
  }
  return std::unique_ptr<Client>(new CurlClient(std::move(resolved)));
}

}  // namespace kbr::http
