// http::Client: the HTTP transport every kbr client (Kubernetes, registry,
// kubelet) uses. The interface lets tests inject faults; NewCurlClient is the
// real one (libcurl, HTTP/1.1 and HTTP/2, TLS, connection reuse).
//
// Errors: a response with any HTTP status is a success of Do()/Stream(); only
// transport failures are errors: DeadlineExceeded (timeout), Unavailable
// (connect refused, DNS, reset, TLS handshake or certificate failure; the
// message says which and names the URL's host), InvalidArgument (bad URL or
// TLS material that cannot be loaded). Messages never contain header values.
//
// Thread-safety: a Client is safe to use from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace kbr::http {

struct TlsConfig {
  // CA bundle to verify the server: a PEM file or PEM data; both empty means
  // the system's CA store.
  std::string ca_file;
  std::string ca_data;
  // Client certificate and key (PEM), file or data.
  std::string cert_file;
  std::string cert_data;
  std::string key_file;
  std::string key_data;
  bool insecure_skip_verify = false;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Supplies an upload body piece by piece: fills `buf` with up to `len` bytes
// and returns how many; 0 ends the body. A negative return aborts the request.
using BodyReader = std::function<int64_t(char* buf, size_t len)>;

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // When set, the body is read from here instead of `body` (streaming upload).
  BodyReader body_reader;
  int64_t body_size = -1;  // with body_reader: bytes to send, -1 for chunked.
  std::chrono::milliseconds timeout{30000};  // whole request; 0 = none
  std::chrono::milliseconds connect_timeout{10000};
  // Polled during the transfer; returning true aborts it (DeadlineExceeded
  // is not reported: the call returns Status Unavailable "cancelled").
  std::function<bool()> cancelled;
  // HTTP/1.1 even when the server offers HTTP/2. For bulk transfers on fast
  // links: libcurl's and Go's HTTP/2 paths cost several times the CPU of
  // HTTP/1.1 per byte (bench/push measured it on loopback).
  bool http1 = false;
  // libcurl's upload buffer for body_reader bodies (bytes, clamped by libcurl
  // to [16 KiB, 2 MiB]); 0 keeps its default of 64 KiB. Bigger buffers mean
  // fewer, larger reads and writes.
  size_t upload_buffer_size = 0;
};

struct Response {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;
  // First header with this (lower-case) name, or "".
  std::string Header(std::string_view name) const;
};

// Receives the response body as it arrives; return false to stop reading.
using ChunkHandler = std::function<bool(std::string_view chunk)>;

class Client {
 public:
  virtual ~Client() = default;
  virtual Result<Response> Do(const Request& req) = 0;
  // Like Do, but a 1xx/2xx body goes to on_chunk instead of Response::body
  // (an error response's body is still collected in Response::body). Stopping
  // early via on_chunk is not an error.
  virtual Result<Response> Stream(const Request& req, const ChunkHandler& on_chunk) = 0;
};

// A libcurl client with its own connection cache. Returns InvalidArgument if
// the TLS files named in `tls` cannot be read.
Result<std::unique_ptr<Client>> NewCurlClient(const TlsConfig& tls);

// Percent-encodes a query or path component.
std::string UrlEncode(std::string_view s);

}  // namespace kbr::http
