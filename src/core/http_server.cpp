// The only translation unit that includes Boost.Beast.
#include "core/http_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/log.h"

namespace kbr::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string ServerRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string ServerRequest::Query(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

ServerResponse ServerResponse::Json(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

ServerResponse ServerResponse::Text(int status, std::string body) {
  ServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string UrlDecode(std::string_view s, bool plus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (plus && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {

ServerRequest ToServerRequest(const bhttp::request<bhttp::string_body>& req, const std::string& remote) {
  ServerRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  auto q = r.target.find('?');
  r.path = UrlDecode(r.target.substr(0, q));
  if (q != std::string::npos) {
    std::string_view qs = std::string_view(r.target).substr(q + 1);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      auto eq = kv.find('=');
      r.query[UrlDecode(kv.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : UrlDecode(kv.substr(eq + 1), true);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    }
  }
  for (const auto& f : req) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = req.body();
  r.remote_address = remote;
  return r;
}

class BeastServer final : public Server {
 public:
  BeastServer(ServerOptions options, Handler handler)
      : options_(std::move(options)), handler_(std::move(handler)), ssl_(asio::ssl::context::tls_server) {}

  ~BeastServer() override { Stop(); }

  Status Init() {
    if (!options_.cert_file.empty()) {
      boost::system::error_code ec;
      ssl_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      ssl_.use_certificate_chain_file(options_.cert_file, ec);
      if (!ec) ssl_.use_private_key_file(options_.key_file, asio::ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("TLS certificate/key '" + options_.cert_file + "': " + ec.message());
      if (!options_.client_ca_file.empty()) {
        ssl_.load_verify_file(options_.client_ca_file, ec);
        if (ec) return Status::InvalidArgument("client CA '" + options_.client_ca_file + "': " + ec.message());
        ssl_.set_verify_mode(asio::ssl::verify_peer);
      }
      tls_ = true;
    }
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(options_.address, ec);
    if (ec) return Status::InvalidArgument("listen address '" + options_.address + "': " + ec.message());
    tcp::endpoint ep(addr, static_cast<unsigned short>(options_.port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + options_.address + ":" + std::to_string(options_.port) + ": " +
                                 ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
    return Status::Ok();
  }

  int port() const override { return port_; }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    if (accept_thread_.joinable()) accept_thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::unique_lock<std::mutex> l(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    done_cv_.wait(l, [this] { return active_ == 0; });
  }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{acceptor_.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      tcp::socket sock(io_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec) continue;
      std::unique_lock<std::mutex> l(mu_);
      if (active_ >= options_.max_connections) {
        l.unlock();
        Reject(std::move(sock));
        continue;
      }
      ++active_;
      open_fds_.insert(sock.native_handle());
      l.unlock();
      // The socket (even moved-from) must be destroyed before the connection
      // is counted as finished: Stop() may then destroy the io_context.
      auto* owned = new tcp::socket(std::move(sock));
      std::thread([this, owned] {
        std::unique_ptr<tcp::socket> conn(owned);
        int fd = conn->native_handle();
        Serve(std::move(*conn));
        conn.reset();
        Finished(fd);
      }).detach();
    }
  }

  void Reject(tcp::socket sock) {
    if (tls_) return;  // a TLS client would not understand a plain answer
    bhttp::response<bhttp::string_body> res{bhttp::status::service_unavailable, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.body() = R"({"code":503,"message":"server busy: too many connections","data":null})";
    res.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(sock, res, ec);
  }

  void Serve(tcp::socket sock) {
    int fd = sock.native_handle();
    timeval tv{options_.read_timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sock.set_option(tcp::no_delay(true));
    boost::system::error_code ec;
    std::string remote = sock.remote_endpoint(ec).address().to_string();
    if (tls_) {
      beast::ssl_stream<tcp::socket> stream(std::move(sock), ssl_);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) {
        std::string cn;
        if (X509* cert = SSL_get_peer_certificate(stream.native_handle())) {
          char buf[256] = {0};
          X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
          cn = buf;
          X509_free(cert);
        }
        Loop(stream, remote, cn);
        stream.shutdown(ec);
      }
    } else {
      Loop(sock, remote, "");
      sock.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  void Finished(int fd) {
    std::lock_guard<std::mutex> l(mu_);
    open_fds_.erase(fd);
    if (--active_ == 0) done_cv_.notify_all();
  }

  template <typename Stream>
  void Loop(Stream& stream, const std::string& remote, const std::string& cn) {
    beast::flat_buffer buffer;
    while (!stopping_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      boost::system::error_code ec;
      bhttp::read(stream, buffer, parser, ec);
      if (ec == bhttp::error::body_limit) {
        WriteSimple(stream, 413, R"({"code":413,"message":"request body too large","data":null})");
        return;
      }
      if (ec == bhttp::error::end_of_stream || ec) {
        if (ec && ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
            ec != asio::error::connection_reset && ec != asio::error::would_block && ec != asio::error::timed_out &&
            !stopping_) {
          WriteSimple(stream, 400, R"({"code":400,"message":"malformed HTTP request","data":null})");
        }
        return;
      }
      auto req = parser.release();
      ServerRequest sreq = ToServerRequest(req, remote);
      sreq.client_cert_cn = cn;
      ServerResponse sres;
      try {
        sres = handler_(sreq);
      } catch (const std::exception& e) {
        spdlog::error("handler for {} {} threw: {}", sreq.method, sreq.path, e.what());
        sres = ServerResponse::Json(500, R"({"code":500,"message":"internal error","data":null})");
      }
      bool keep = req.keep_alive();
      if (!Write(stream, req, sres, keep) || !keep) return;
    }
  }

  template <typename Stream>
  void WriteSimple(Stream& stream, int status, const std::string& body) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(false);
    res.body() = body;
    res.prepare_payload();
    boost::system::error_code ec;
    bhttp::write(stream, res, ec);
  }

  template <typename Stream>
  bool Write(Stream& stream, const bhttp::request<bhttp::string_body>& req, ServerResponse& sres, bool keep) {
    boost::system::error_code ec;
    if (!sres.stream) {
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(sres.status), req.version()};
      for (const auto& [k, v] : sres.headers) res.set(k, v);
      res.keep_alive(keep);
      if (req.method() != bhttp::verb::head) res.body() = std::move(sres.body);
      res.prepare_payload();
      bhttp::write(stream, res, ec);
      return !ec;
    }
    bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(sres.status), req.version()};
    for (const auto& [k, v] : sres.headers) res.set(k, v);
    res.chunked(true);
    res.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    bhttp::write_header(stream, sr, ec);
    if (ec) return false;
    sres.stream([&](std::string_view chunk) {
      if (stopping_) return false;
      if (chunk.empty()) return true;
      asio::write(stream, bhttp::make_chunk(asio::buffer(chunk.data(), chunk.size())), ec);
      return !ec;
    });
    asio::write(stream, bhttp::make_chunk_last(), ec);
    return false;
  }

  ServerOptions options_;
  Handler handler_;
  asio::io_context io_;
  asio::ssl::context ssl_;
  tcp::acceptor acceptor_{io_};
  bool tls_ = false;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  int active_ = 0;               // GUARDED_BY(mu_)
  std::set<int> open_fds_;       // GUARDED_BY(mu_)
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, Handler handler) {
  auto s = std::make_unique<BeastServer>(options, std::move(handler));
  RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<Server>(std::move(s));
}

}  // namespace kbr::http
