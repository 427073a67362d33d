#include "api/server.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/access.h"
#include "core/json.h"
#include "api/envelope.h"
#include "api/metrics.h"
#include "api/routes.h"
#include "backup/manifests.h"
#include "backup/backup_object.h"
#include "backup/objects.h"
#include "core/http_server.h"
#include "core/log.h"
#include "kube/discovery.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "kube/yaml.h"

namespace kbr::api {

namespace fs = std::filesystem;
namespace bj = boost::json;

namespace {

constexpr const char* kApiPrefix = "/api/v1/backup";

// Kubernetes wants the CRDs established before objects of them are written.
Status InstallCrdsIfMissing(kube::Client& client, const std::string& ns) {
  auto existing = client.Get(kube::resources::kNamespaces, "", ns);
  if (!existing.ok() && existing.status().code() == StatusCode::kNotFound) {
    bj::value nsobj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    auto created = client.Create(kube::resources::kNamespaces, "", nsobj);
    if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
  }
  for (const auto& [path, text] : EmbeddedManifests()) {
    if (path.rfind("crds/", 0) != 0) continue;
    ASSIGN_OR_RETURN(auto docs, kube::ParseYamlDocuments(std::string(text), path));
    for (const auto& crd : docs) {
      std::string name = json::GetString(crd, "metadata.name");
      auto cur = client.Get(kube::resources::kCrds, "", name);
      if (cur.ok()) continue;
      if (cur.status().code() != StatusCode::kNotFound) return cur.status();
      auto created = client.Create(kube::resources::kCrds, "", crd);
      if (!created.ok() && created.status().code() != StatusCode::kAlreadyExists) return created.status();
      spdlog::info("installed CRD {}", name);
    }
  }
  return Status::Ok();
}

std::string ContentTypeFor(const fs::path& p) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"}, {".css", "text/css"},
      {".json", "application/json"},         {".svg", "image/svg+xml"},  {".png", "image/png"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},   {".map", "application/json"}};
  auto it = kTypes.find(p.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// The single-page UI: existing files as they are, every other path → index.html.
Reply ServeWeb(const std::string& web_dir, const std::string& path) {
  std::error_code ec;
  fs::path root = fs::canonical(web_dir, ec);
  if (ec) return Error(404, "no web UI installed (start kbr server with --web-dir)");
  fs::path file = fs::weakly_canonical(root / path.substr(1), ec);
  bool inside = !ec && file.string().rfind(root.string(), 0) == 0;
  if (!inside || !fs::is_regular_file(file)) file = root / "index.html";
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(404, "not found: " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Reply r;
  r.headers.emplace_back("Content-Type", ContentTypeFor(file));
  r.headers.emplace_back("Cache-Control", file.filename() == "index.html" ? "no-cache" : "max-age=3600");
  r.body = ss.str();
  return r;
}

// The API's view of a StatefulMigration, the only form the server caches:
// built once per object version, lists of thousands of backups copy only
// their page, and the cache holds no more than the API returns.
bj::value MigrationView(const bj::value& m) {
  std::string type = json::GetString(m, "metadata.labels.type");
  if (type == backup::kBackupType) {
    return backup::BackupFromMigration(m).ok() ? backup::BackupView(m) : bj::value();
  }
  if (type == "recovery") return backup::RecoveryView(m);
  return nullptr;
}

std::string BearerToken(const http::ServerRequest& req) {
  std::string h = req.Header("authorization");
  if (h.size() > 7 && (h.rfind("Bearer ", 0) == 0 || h.rfind("bearer ", 0) == 0)) return h.substr(7);
  return "";
}

// Paths and query values are percent-decoded and may be echoed in messages;
// JSON envelopes must stay valid UTF-8, so invalid input is refused up front.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 4;
    if (n == 4 || (n == 1 && c < 0xc2) || (n > 0 && i + n >= s.size())) return false;
    uint32_t cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

class ServerImpl final : public ApiServer {
 public:
  ~ServerImpl() override { Stop(); }

  Status Init(const ServerConfig& cfg) {
    config_ = cfg;
    kube::ClusterConfig kc;
    if (cfg.in_cluster) {
      ASSIGN_OR_RETURN(kc, kube::InClusterConfig());
    } else {
      ASSIGN_OR_RETURN(kc, kube::LoadKubeconfig(cfg.kubeconfig, cfg.context));
    }
    ASSIGN_OR_RETURN(client_, kube::Client::New(kc));
    Status crds = InstallCrdsIfMissing(*client_, cfg.ns);
    if (!crds.ok()) spdlog::warn("could not install kbr CRDs: {} (readyz will report it)", crds.message());

    migrations_ = std::make_unique<kube::Informer>(
        *client_, kube::InformerOptions{.resource = backup::kStatefulMigrations,
                                        .ns = cfg.ns,
                                        .index_label_keys = {backup::kTypeLabel},
                                        .transform = MigrationView});
    executions_ = std::make_unique<kube::Informer>(
        *client_, kube::InformerOptions{.resource = backup::kCheckpointBackups,
                                        .ns = cfg.ns,
                                        .index_label_keys = {backup::kBackupIdLabel},
                                        .transform = backup::ExecutionView});
    // Views only: registry passwords never sit in the server's memory.
    registries_ = std::make_unique<kube::Informer>(
        *client_, kube::InformerOptions{.resource = kube::resources::kSecrets,
                                        .ns = cfg.ns,
                                        .label_selector = backup::kRegistryIdLabel,
                                        .index_label_keys = {backup::kRegistryIdLabel},
                                        .transform = backup::RegistryView});
    for (auto* inf : {migrations_.get(), executions_.get(), registries_.get()}) inf->Start();

    services_.ns = cfg.ns;
    services_.server_client = client_.get();
    services_.migrations = migrations_.get();
    services_.executions = executions_.get();
    services_.registries = registries_.get();
    services_.access = &access_;
    services_.member_access = cfg.member_access;
    services_.ping_registry = [](const registry::RegistryOptions& o) {
      auto r = registry::NewRegistry(o);
      if (!r.ok()) return registry::PingResult{.message = r.status().message(), .status = r.status()};
      return (*r)->Ping();
    };
    metrics_.AddGauge("kbr_cache_statefulmigrations", "Objects in the StatefulMigration cache.",
                      [this] { return static_cast<double>(migrations_->Size()); });
    metrics_.AddGauge("kbr_cache_checkpointbackups", "Objects in the CheckpointBackup cache.",
                      [this] { return static_cast<double>(executions_->Size()); });
    metrics_.AddGauge("kbr_cache_registries", "Registry Secrets in the cache.",
                      [this] { return static_cast<double>(registries_->Size()); });
    metrics_.AddGauge("kbr_access_cache_entries", "Cached access-review answers.",
                      [this] { return static_cast<double>(access_.CacheSize()); });

    AddRegistryRoutes(router_, services_);
    AddBackupRoutes(router_, services_);
    AddRecoveryRoutes(router_, services_);
    AddSettingsRoutes(router_, services_);
    AddScheduleRoutes(router_, services_);
    AddSystemRoutes(router_, services_, metrics_);

    http::ServerOptions so;
    auto colon = cfg.listen.rfind(':');
    if (colon == std::string::npos) return Status::InvalidArgument("--listen: expected host:port, got '" + cfg.listen + "'");
    so.address = cfg.listen.substr(0, colon);
    try {
      so.port = std::stoi(cfg.listen.substr(colon + 1));
    } catch (...) {
      return Status::InvalidArgument("--listen: invalid port in '" + cfg.listen + "'");
    }
    so.cert_file = cfg.tls_cert;
    so.key_file = cfg.tls_key;
    ASSIGN_OR_RETURN(http_, http::Server::Start(so, [this](const http::ServerRequest& r) { return Handle(r); }));
    spdlog::info("kbr server listening on {}:{}{}", so.address, http_->port(), cfg.tls_cert.empty() ? "" : " (TLS)");
    return Status::Ok();
  }

  int port() const override { return http_ ? http_->port() : 0; }

  void Stop() override {
    if (http_) http_->Stop();
    for (auto* inf : {migrations_.get(), executions_.get(), registries_.get()}) {
      if (inf) inf->Stop();
    }
  }

 private:
  Reply Handle(const http::ServerRequest& hreq) {
    auto t0 = std::chrono::steady_clock::now();
    std::string route_name = "unmatched";
    Reply reply = Dispatch(hreq, &route_name);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    metrics_.Observe(hreq.method, route_name, reply.status, us);
    // Paths and status only: never headers, bodies or query strings.
    spdlog::info("{} {} {} {}us", hreq.method, hreq.path, reply.status, us.count());
    return reply;
  }

  Reply Dispatch(const http::ServerRequest& hreq, std::string* route_name) {
    if (!ValidUtf8(hreq.path)) return Error(400, "path: not valid UTF-8 after percent-decoding");
    for (const auto& [k, v] : hreq.query) {
      if (!ValidUtf8(k) || !ValidUtf8(v)) return Error(400, "query: not valid UTF-8 after percent-decoding");
    }
    std::map<std::string, std::string> params;
    bool path_exists = false;
    const Route* route = router_.Match(hreq.method, hreq.path, &params, &path_exists);
    if (!route) {
      if (path_exists) return Error(405, "method " + hreq.method + " not allowed on " + hreq.path);
      if (hreq.path.rfind(kApiPrefix, 0) == 0 || hreq.path.rfind("/api/", 0) == 0) {
        return Error(404, "no such route: " + hreq.method + " " + hreq.path);
      }
      if (!config_.web_dir.empty() && (hreq.method == "GET" || hreq.method == "HEAD")) {
        *route_name = "web";
        return ServeWeb(config_.web_dir, hreq.path);
      }
      return Error(404, "not found: " + hreq.path);
    }
    *route_name = route->pattern;
    Request req{hreq, std::move(params)};
    std::unique_ptr<kube::Client> caller;
    if (route->auth) {
      req.caller_token = BearerToken(hreq);
      if (req.caller_token.empty()) {
        return Error(401, "authentication required: send 'Authorization: Bearer <token>' (a Karmada token)");
      }
      auto c = client_->WithBearerToken(req.caller_token);
      if (!c.ok()) return Error(c.status());
      caller = std::move(*c);
      req.caller = caller.get();
    }
    return route->handler(req);
  }

  ServerConfig config_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Informer> migrations_, executions_, registries_;
  AccessChecker access_;
  Metrics metrics_;
  Services services_;
  Router router_;
  std::unique_ptr<http::Server> http_;
};

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Start(const ServerConfig& config) {
  auto s = std::make_unique<ServerImpl>();
  RETURN_IF_ERROR(s->Init(config));
  return std::unique_ptr<ApiServer>(std::move(s));
}

}  // namespace kbr::api
