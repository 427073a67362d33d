// http::Server: the one HTTP/1.1 server of kbr (REST API, lab kubelet), on
// Boost.Beast, kept in one translation unit (http_server.cpp) because Beast is
// slow to compile. Handlers never see a socket: a Handler maps a parsed
// ServerRequest to a ServerResponse.
//
// Connections are served by a bounded pool of threads with keep-alive; each
// request has a read timeout; bodies over max_body_bytes get 413 without
// calling the handler; a malformed request gets 400. TLS when cert/key are
// given (optionally asking for a client certificate signed by client_ca_file).
// A handler that throws gets a 500 (handlers should not throw).
//
// Thread-safety: the handler is called concurrently from several threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.h"
#include "core/status.h"

namespace kbr::http {

struct ServerRequest {
  std::string method;
  std::string target;  // path + "?" + query, as received
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;    // decoded; last value wins
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  // The client certificate's subject CN when one was presented and verified.
  std::string client_cert_cn;

  std::string Header(const std::string& lower_name) const;
  std::string Query(const std::string& name, const std::string& fallback = "") const;
};

// Receives a streamed response body piece by piece; returns false when the
// client has gone away.
using StreamWriter = std::function<bool(std::string_view chunk)>;

struct ServerResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body is produced by this function (chunked encoding) after
  // the headers are sent; `body` is ignored.
  std::function<void(const StreamWriter& write)> stream;

  static ServerResponse Json(int status, std::string body);
  static ServerResponse Text(int status, std::string body);
};

using Handler = std::function<ServerResponse(const ServerRequest&)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: pick a free port (see Server::port())
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // TLS only: request (not require) client certs
  int max_connections = 256;
  size_t max_body_bytes = 8 << 20;
  int read_timeout_seconds = 60;
};

class Server {
 public:
  // Binds and starts serving. InvalidArgument for bad TLS files;
  // Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, Handler handler);
  virtual ~Server() = default;
  virtual int port() const = 0;
  // Stops accepting, closes connections, joins threads. Idempotent.
  virtual void Stop() = 0;
};

// Percent-decoding of a path or query component ('+' → ' ' when `plus`).
std::string UrlDecode(std::string_view s, bool plus = false);

}  // namespace kbr::http
