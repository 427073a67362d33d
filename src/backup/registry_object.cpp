#include "backup/registry_object.h"

#include "backup/objects.h"
#include "core/base64.h"
#include "core/json.h"
#include "registry/reference.h"

namespace kbr::backup {

namespace bj = boost::json;

bj::value RegistrySecret(const RegistryConfig& c, const std::string& ns, const std::string& now,
                         const std::string& created) {
  auto endpoint = registry::ParseEndpoint(c.url);
  std::string host = endpoint.ok() ? endpoint->host : c.url;
  bj::object auth{{"username", c.username}, {"password", c.password}};
  if (!c.username.empty() || !c.password.empty()) auth["auth"] = Base64Encode(c.username + ":" + c.password);
  bj::value config = {{"auths", {{host, std::move(auth)}}}};
  bj::object data{{".dockerconfigjson", Base64Encode(bj::serialize(config))}};
  if (!c.ca_bundle.empty()) data[kCaBundleKey] = Base64Encode(c.ca_bundle);
  bj::object annotations{{kNameAnnotation, c.name},
                         {kUrlAnnotation, c.url},
                         {kUsernameAnnotation, c.username},
                         {kDescriptionAnnotation, c.description},
                         {kInsecureAnnotation, c.insecure_skip_verify ? "true" : "false"},
                         {kHasPasswordAnnotation, c.password.empty() ? "false" : "true"},
                         {kCreatedAnnotation, created},
                         {kUpdatedAnnotation, now}};
  if (!c.check_json.empty()) annotations[kCheckAnnotation] = c.check_json;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "kubernetes.io/dockerconfigjson"},
          {"metadata",
           {{"name", RegistrySecretName(c.id)},
            {"namespace", ns},
            {"labels", {{kManagedBy, "kbr"}, {kRegistryIdLabel, c.id}}},
            {"annotations", std::move(annotations)}}},
          {"data", std::move(data)}};
}

Result<RegistryConfig> RegistryFromSecret(const bj::value& s) {
  RegistryConfig c;
  const auto* labels = json::Find(s, "metadata.labels");
  const auto* ann = json::Find(s, "metadata.annotations");
  auto get = [](const bj::value* obj, const char* key) -> std::string {
    if (!obj || !obj->is_object()) return "";
    auto it = obj->as_object().find(key);
    return it != obj->as_object().end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
  };
  c.id = get(labels, kRegistryIdLabel);
  if (c.id.empty()) return Status::InvalidArgument("secret is not a kbr registry (no " + std::string(kRegistryIdLabel) + " label)");
  c.name = get(ann, kNameAnnotation);
  c.url = get(ann, kUrlAnnotation);
  c.username = get(ann, kUsernameAnnotation);
  c.description = get(ann, kDescriptionAnnotation);
  c.insecure_skip_verify = get(ann, kInsecureAnnotation) == "true";
  c.check_json = get(ann, kCheckAnnotation);
  const auto* data = json::Find(s, "data");
  std::string cfg_b64 = get(data, ".dockerconfigjson");
  if (!cfg_b64.empty()) {
    ASSIGN_OR_RETURN(std::string cfg_text, Base64Decode(cfg_b64));
    auto cfg = json::Parse(cfg_text, "dockerconfigjson");
    if (cfg.ok()) {
      if (const auto* auths = json::Find(*cfg, "auths"); auths && auths->is_object() && !auths->as_object().empty()) {
        const bj::value& entry = auths->as_object().begin()->value();
        c.password = json::GetString(entry, "password");
      }
    }
  }
  std::string ca = get(data, kCaBundleKey);
  if (!ca.empty()) {
    ASSIGN_OR_RETURN(c.ca_bundle, Base64Decode(ca));
  }
  return c;
}

}  // namespace kbr::backup
