#include "kube/kubeconfig.h"

#include "core/base64.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kbr::kube {
namespace fs = std::filesystem;

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> DecodeField(const std::string& b64, const char* field, const std::string& origin) {
  auto d = Base64Decode(b64);
  if (!d.ok()) return Status::InvalidArgument(origin + ": " + field + " is not valid base64");
  return d;
}

// The entry of a named list (`clusters`, `users`, `contexts`) whose name matches.
YAML::Node FindNamed(const YAML::Node& root, const char* list, const std::string& name,
                     std::string* names_seen) {
  for (const auto& entry : root[list]) {
    std::string n = entry["name"].as<std::string>("");
    if (n == name) return entry[list == std::string("clusters") ? "cluster"
                               : list == std::string("users")  ? "user"
                                                                : "context"];
    if (names_seen) *names_seen += (names_seen->empty() ? "" : ", ") + n;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).string();
}

Status LoadAuth(const YAML::Node& user, const std::string& base_dir, const std::string& origin,
                ClusterConfig* cfg) {
  if (!user.IsDefined() || user.IsNull()) return Status::Ok();
  cfg->bearer_token = user["token"].as<std::string>("");
  std::string token_file = user["tokenFile"].as<std::string>("");
  if (cfg->bearer_token.empty() && !token_file.empty()) {
    auto t = ReadFile(Resolve(base_dir, token_file));
    if (!t.ok()) return Status::InvalidArgument(origin + ": token file " + t.status().message());
    std::string tok = *t;
    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back()))) tok.pop_back();
    cfg->bearer_token = tok;
  }
  cfg->tls.cert_file = Resolve(base_dir, user["client-certificate"].as<std::string>(""));
  cfg->tls.key_file = Resolve(base_dir, user["client-key"].as<std::string>(""));
  std::string cert_data = user["client-certificate-data"].as<std::string>("");
  std::string key_data = user["client-key-data"].as<std::string>("");
  if (!cert_data.empty()) {
    ASSIGN_OR_RETURN(cfg->tls.cert_data, DecodeField(cert_data, "client-certificate-data", origin));
  }
  if (!key_data.empty()) {
    ASSIGN_OR_RETURN(cfg->tls.key_data, DecodeField(key_data, "client-key-data", origin));
  }
  bool has_cert = !cfg->tls.cert_file.empty() || !cfg->tls.cert_data.empty();
  bool has_key = !cfg->tls.key_file.empty() || !cfg->tls.key_data.empty();
  if (has_cert != has_key) {
    return Status::InvalidArgument(origin + ": user has a client certificate without its key (or a key without its certificate)");
  }
  for (const auto& f : {cfg->tls.cert_file, cfg->tls.key_file}) {
    if (!f.empty() && !fs::exists(f)) return Status::InvalidArgument(origin + ": cannot read '" + f + "'");
  }
  return Status::Ok();
}

}  // namespace

Result<ClusterConfig> ParseKubeconfig(const std::string& yaml, const std::string& context,
                                      const std::string& base_dir, const std::string& origin_path) {
  const std::string origin = "kubeconfig '" + origin_path + "'";
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                                   e.msg);
  }
  if (!root.IsMap()) return Status::InvalidArgument(origin + ": not a kubeconfig (expected a YAML mapping)");
  try {
    std::string ctx_name = context.empty() ? root["current-context"].as<std::string>("") : context;
    if (ctx_name.empty()) return Status::InvalidArgument(origin + ": no current-context set and no context given");
    std::string seen;
    YAML::Node ctx = FindNamed(root, "contexts", ctx_name, &seen);
    if (!ctx.IsDefined() || !ctx.IsMap()) {
      return Status::InvalidArgument(origin + ": context '" + ctx_name + "' not found (have: " + seen + ")");
    }
    std::string cluster_name = ctx["cluster"].as<std::string>("");
    YAML::Node cluster = FindNamed(root, "clusters", cluster_name, nullptr);
    if (!cluster.IsDefined() || !cluster.IsMap()) {
      return Status::InvalidArgument(origin + ": context '" + ctx_name + "' names cluster '" + cluster_name +
                                     "', which is not defined");
    }
    ClusterConfig cfg;
    cfg.context = ctx_name;
    cfg.server = cluster["server"].as<std::string>("");
    if (cfg.server.empty()) return Status::InvalidArgument(origin + ": cluster '" + cluster_name + "' has no server");
    while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
    cfg.tls.insecure_skip_verify = cluster["insecure-skip-tls-verify"].as<bool>(false);
    cfg.tls.ca_file = Resolve(base_dir, cluster["certificate-authority"].as<std::string>(""));
    std::string ca_data = cluster["certificate-authority-data"].as<std::string>("");
    if (!ca_data.empty()) {
      ASSIGN_OR_RETURN(cfg.tls.ca_data, DecodeField(ca_data, "certificate-authority-data", origin));
    }
    if (!cfg.tls.ca_file.empty() && !fs::exists(cfg.tls.ca_file)) {
      return Status::InvalidArgument(origin + ": cannot read CA file '" + cfg.tls.ca_file + "'");
    }
    std::string user_name = ctx["user"].as<std::string>("");
    if (!user_name.empty()) {
      YAML::Node user = FindNamed(root, "users", user_name, nullptr);
      if (!user.IsDefined()) {
        return Status::InvalidArgument(origin + ": context '" + ctx_name + "' names user '" + user_name +
                                       "', which is not defined");
      }
      RETURN_IF_ERROR(LoadAuth(user, base_dir, origin, &cfg));
    }
    return cfg;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": unexpected structure at line " + std::to_string(e.mark.line + 1) +
                                   ": " + e.msg);
  }
}

Result<ClusterConfig> LoadKubeconfig(const std::string& path_in, const std::string& context) {
  std::string path = path_in;
  if (path.empty()) {
    const char* env = std::getenv("KUBECONFIG");
    const char* home = std::getenv("HOME");
    path = (env && *env) ? env : (home ? std::string(home) + "/.kube/config" : "");
  }
  if (!fs::exists(path)) return Status::NotFound("kubeconfig '" + path + "': no such file");
  auto text = ReadFile(path);
  if (!text.ok()) return Status::InvalidArgument("kubeconfig '" + path + "': cannot read it");
  return ParseKubeconfig(*text, context, fs::path(path).parent_path().string(), path);
}

Result<ClusterConfig> InClusterConfig(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port) {
    return Status::FailedPrecondition(
        "not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset); pass --kubeconfig");
  }
  auto token = ReadFile(sa_dir + "/token");
  if (!token.ok()) return Status::FailedPrecondition("in-cluster: " + token.status().message());
  ClusterConfig cfg;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  cfg.server = "https://" + h + ":" + port;
  cfg.bearer_token = *token;
  cfg.tls.ca_file = sa_dir + "/ca.crt";
  return cfg;
}

std::string RenderKubeconfig(const std::string& name, const ClusterConfig& cfg) {
  YAML::Emitter out;
  auto inline_or_file = [](const std::string& data, const std::string& file) {
    if (!data.empty()) return data;
    auto f = ReadFile(file);
    return f.ok() ? *f : std::string();
  };
  out << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << "v1" << YAML::Key << "kind"
      << YAML::Value << "Config" << YAML::Key << "clusters" << YAML::Value << YAML::BeginSeq << YAML::BeginMap
      << YAML::Key << "name" << YAML::Value << name << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap
      << YAML::Key << "server" << YAML::Value << cfg.server;
  std::string ca = inline_or_file(cfg.tls.ca_data, cfg.tls.ca_file);
  if (!ca.empty()) out << YAML::Key << "certificate-authority-data" << YAML::Value << Base64Encode(ca);
  if (cfg.tls.insecure_skip_verify) out << YAML::Key << "insecure-skip-tls-verify" << YAML::Value << true;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "users" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "name"
      << YAML::Value << name << YAML::Key << "user" << YAML::Value << YAML::BeginMap;
  std::string cert = inline_or_file(cfg.tls.cert_data, cfg.tls.cert_file);
  std::string key = inline_or_file(cfg.tls.key_data, cfg.tls.key_file);
  if (!cert.empty()) out << YAML::Key << "client-certificate-data" << YAML::Value << Base64Encode(cert);
  if (!key.empty()) out << YAML::Key << "client-key-data" << YAML::Value << Base64Encode(key);
  if (!cfg.bearer_token.empty()) out << YAML::Key << "token" << YAML::Value << cfg.bearer_token;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
  out << YAML::Key << "contexts" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key << "name"
      << YAML::Value << name << YAML::Key << "context" << YAML::Value << YAML::BeginMap << YAML::Key << "cluster"
      << YAML::Value << name << YAML::Key << "user" << YAML::Value << name << YAML::EndMap << YAML::EndMap
      << YAML::EndSeq;
  out << YAML::Key << "current-context" << YAML::Value << name << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace kbr::kube
