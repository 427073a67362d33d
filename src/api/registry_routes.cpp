// Registry routes: GET/POST /api/v1/backup/registry, GET/PUT/DELETE
// /api/v1/backup/registry/:id. A registry is a dockerconfigjson Secret plus a
// Karmada Work per member cluster placing it there; passwords are write-only.
#include "api/fields.h"
#include "api/list_query.h"
#include "api/routes.h"
#include "backup/objects.h"
#include "backup/registry_object.h"
#include "core/ids.h"
#include "core/json.h"
#include "karmada/clusters.h"
#include "karmada/work.h"
#include "registry/reference.h"

namespace kbr::api {

namespace bj = boost::json;
namespace res = kube::resources;
using backup::RegistryConfig;

namespace {

constexpr const char* kBase = "/api/v1/backup/registry";

// Reads the body over `cfg` (create: empty cfg; update: the stored one).
// Fields absent on update keep their value; an absent password keeps it.
Status ReadRegistryInput(const bj::object& body, bool create, RegistryConfig* cfg) {
  Fields f(body);
  if (create || f.Has("name")) {
    ASSIGN_OR_RETURN(cfg->name, f.Required("name", 253));
  }
  std::string url_field = f.FirstPresent({"url", "registry"});
  if (create || f.Has(url_field)) {
    ASSIGN_OR_RETURN(cfg->url, f.Required(url_field, 512));
    auto endpoint = registry::ParseEndpoint(cfg->url);
    if (!endpoint.ok()) return endpoint.status().Annotate(url_field);
  }
  ASSIGN_OR_RETURN(cfg->username, f.Optional("username", cfg->username, 253));
  if (f.Has("password")) {
    ASSIGN_OR_RETURN(cfg->password, f.Optional("password", "", 4096));
  }
  ASSIGN_OR_RETURN(cfg->description, f.Optional("description", cfg->description, 1024));
  ASSIGN_OR_RETURN(cfg->insecure_skip_verify, f.OptionalBool("insecureSkipVerify", cfg->insecure_skip_verify));
  ASSIGN_OR_RETURN(cfg->ca_bundle, f.Optional("caBundle", cfg->ca_bundle, 64 * 1024));
  if (!cfg->ca_bundle.empty() && cfg->ca_bundle.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::InvalidArgument("caBundle: expected PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
  return Status::Ok();
}

// GET /v2/ with the configuration's credentials; the result as the JSON the
// API shows in `status`.
std::string CheckRegistry(Services& s, const RegistryConfig& c) {
  registry::RegistryOptions o;
  o.url = c.url;
  o.credentials = {c.username, c.password};
  o.tls.insecure_skip_verify = c.insecure_skip_verify;
  o.tls.ca_data = c.ca_bundle;
  o.max_attempts = 1;
  o.request_timeout = Duration(10000);
  registry::PingResult p = s.ping_registry(o);
  bj::object check{{"reachable", p.reachable},
                   {"tlsVerified", p.tls_verified},
                   {"authenticated", p.authenticated},
                   {"authScheme", p.auth_scheme},
                   {"message", p.message},
                   {"checkedAt", FormatRfc3339(s.clock->Now())}};
  return bj::serialize(check);
}

// True when `cluster` is leaving Karmada (its execution namespace is gone
// or being deleted): nothing can be placed there any more.
bool Leaving(kube::Client& caller, const std::string& cluster) {
  auto ns = caller.Get(res::kNamespaces, "", karmada::ExecutionSpace(cluster));
  if (!ns.ok()) return ns.status().code() == StatusCode::kNotFound;
  return json::Find(*ns, "metadata.deletionTimestamp") != nullptr;
}

// The registry Secret on every member cluster, as a Karmada Work per member
// (see karmada/work.h for why not a PropagationPolicy). Idempotent.
Status PlaceOnMembers(kube::Client& caller, const bj::value& secret, const std::string& id) {
  ASSIGN_OR_RETURN(auto clusters, karmada::ListClusters(caller));
  for (const auto& c : clusters) {
    bj::value work = karmada::WorkFor(secret, c.name, {{backup::kManagedBy, "kbr"}, {backup::kRegistryIdLabel, id}});
    auto applied = caller.Apply(karmada::kWorks, karmada::ExecutionSpace(c.name), work, "kbr");
    if (!applied.ok() && !Leaving(caller, c.name)) return applied.status();
  }
  return Status::Ok();
}

Status RemoveFromMembers(kube::Client& caller, const std::string& id) {
  ASSIGN_OR_RETURN(auto clusters, karmada::ListClusters(caller));
  for (const auto& c : clusters) {
    Status d = caller.Delete(karmada::kWorks, karmada::ExecutionSpace(c.name), backup::RegistrySecretName(id));
    if (!d.ok() && d.code() != StatusCode::kNotFound) return d;
  }
  return Status::Ok();
}

bool WantsVerify(const Request& req) { return req.http.Query("verify", "true") != "false"; }

Reply NotFound(const std::string& id) { return Error(Status::NotFound("registry '" + id + "' not found")); }

// The authoritative Secret as the caller sees it (never the cache, for writes).
Result<bj::value> GetSecret(Request& req, Services& s, const std::string& id) {
  auto secret = req.caller->Get(res::kSecrets, s.ns, backup::RegistrySecretName(id));
  if (!secret.ok() && secret.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("registry '" + id + "' not found");
  }
  return secret;
}

Reply List(Request& req, Services& s) {
  auto q = ParseListQuery(req.http);
  if (!q.ok()) return Error(q.status());
  if (Status a = s.CheckRead(req, "list", "", "secrets"); !a.ok()) return Error(a);
  return Ok(Paginate(s.registries->Texts(), *q, "registries"));
}

Reply Get(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  if (Status a = s.CheckRead(req, "get", "", "secrets"); !a.ok()) return Error(a);
  if (auto cached = s.registries->Get(s.ns, backup::RegistrySecretName(id))) return Ok(std::move(*cached));
  auto secret = GetSecret(req, s, id);  // just created and not yet in the cache?
  if (!secret.ok()) return Error(secret.status());
  return Ok(backup::RegistryView(*secret));
}

Reply Create(Request& req, Services& s) {
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  RegistryConfig cfg;
  if (Status st = ReadRegistryInput(*body, true, &cfg); !st.ok()) return Error(st);
  cfg.id = NewId(cfg.name);
  if (WantsVerify(req)) cfg.check_json = CheckRegistry(s, cfg);
  std::string now = FormatRfc3339(s.clock->Now());
  auto created = req.caller->Create(res::kSecrets, s.ns, backup::RegistrySecret(cfg, s.ns, now, now));
  if (!created.ok()) return Error(created.status());
  if (Status placed = PlaceOnMembers(*req.caller, *created, cfg.id); !placed.ok()) {
    // Never leave a Secret that is not on the members.
    (void)RemoveFromMembers(*req.caller, cfg.id);
    (void)req.caller->Delete(res::kSecrets, s.ns, backup::RegistrySecretName(cfg.id));
    return Error(placed.Annotate("placing registry '" + cfg.id + "' on the member clusters"));
  }
  return Ok(backup::RegistryView(*created), 201, "registry created");
}

Reply Update(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  auto current = GetSecret(req, s, id);
  if (!current.ok()) return Error(current.status());
  auto cfg = backup::RegistryFromSecret(*current);
  if (!cfg.ok()) return NotFound(id);
  if (Status st = ReadRegistryInput(*body, false, &*cfg); !st.ok()) return Error(st);
  Fields f(*body);
  auto rv = f.Optional("resourceVersion", json::GetString(*current, "metadata.resourceVersion"), 64);
  if (!rv.ok()) return Error(rv.status());
  if (WantsVerify(req)) cfg->check_json = CheckRegistry(s, *cfg);
  bj::value secret = backup::RegistrySecret(*cfg, s.ns, FormatRfc3339(s.clock->Now()), "");
  secret.as_object()["metadata"].as_object()["resourceVersion"] = *rv;
  if (const auto* a = json::Find(*current, "metadata.annotations"); a && a->is_object()) {
    auto it = a->as_object().find(backup::kCreatedAnnotation);
    if (it != a->as_object().end()) {
      secret.as_object()["metadata"].as_object()["annotations"].as_object()[backup::kCreatedAnnotation] = it->value();
    }
  }
  auto updated = req.caller->Update(res::kSecrets, s.ns, secret);
  if (!updated.ok()) {
    if (updated.status().code() == StatusCode::kConflict) {
      return Error(Status::Conflict("registry '" + id + "' was changed by someone else (resourceVersion " + *rv +
                                    " is stale): reload it and retry"));
    }
    return Error(updated.status());
  }
  if (Status placed = PlaceOnMembers(*req.caller, *updated, id); !placed.ok()) {
    return Error(placed.Annotate("registry '" + id + "' updated, but placing it on the member clusters"));
  }
  return Ok(backup::RegistryView(*updated), 200, "registry updated");
}

Reply Delete(Request& req, Services& s) {
  const std::string& id = req.Param("id");
  auto current = GetSecret(req, s, id);
  if (!current.ok()) return Error(current.status());
  auto users = req.caller->ListAll(backup::kStatefulMigrations, s.ns,
                                   {.label_selector = std::string(backup::kRegistryIdLabel) + "=" + id});
  if (!users.ok()) return Error(users.status());
  if (!users->empty()) {
    std::string names;
    for (const auto& b : *users) {
      names += (names.empty() ? "" : ", ") + json::GetString(b, "metadata.labels.backup-id");
    }
    return Error(Status::Conflict("registry '" + id + "' is used by backups: " + names +
                                  "; delete or move them first"));
  }
  if (Status p = RemoveFromMembers(*req.caller, id); !p.ok()) return Error(p);
  Status d = req.caller->Delete(res::kSecrets, s.ns, backup::RegistrySecretName(id));
  if (!d.ok()) return Error(d.code() == StatusCode::kNotFound ? Status::NotFound("registry '" + id + "' not found") : d);
  return Ok(bj::object{{"id", id}}, 200, "registry deleted");
}

}  // namespace

void AddRegistryRoutes(Router& router, Services& s) {
  router.Add({.method = "GET", .pattern = kBase, .handler = [&s](Request& r) { return List(r, s); },
              .summary = "List registries", .tag = "Registry", .response_schema = "RegistryList", .list = true});
  router.Add({.method = "POST", .pattern = kBase, .handler = [&s](Request& r) { return Create(r, s); },
              .summary = "Create a registry (checks it unless ?verify=false)", .tag = "Registry",
              .request_schema = "RegistryInput", .response_schema = "Registry", .success_status = 201,
              .query_params = {"verify"}});
  router.Add({.method = "GET", .pattern = std::string(kBase) + "/:id", .handler = [&s](Request& r) { return Get(r, s); },
              .summary = "Get a registry", .tag = "Registry", .response_schema = "Registry"});
  router.Add({.method = "PUT", .pattern = std::string(kBase) + "/:id",
              .handler = [&s](Request& r) { return Update(r, s); },
              .summary = "Update a registry (an absent password keeps the stored one)", .tag = "Registry",
              .request_schema = "RegistryInput", .response_schema = "Registry", .query_params = {"verify"}});
  router.Add({.method = "DELETE", .pattern = std::string(kBase) + "/:id",
              .handler = [&s](Request& r) { return Delete(r, s); },
              .summary = "Delete a registry (409 while backups use it)", .tag = "Registry"});
}

}  // namespace kbr::api
