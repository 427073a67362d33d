#include "agent/registry_access.h"

#include "backup/objects.h"
#include "backup/registry_object.h"

namespace kbr::agent {

Result<std::unique_ptr<registry::Registry>> OpenRegistry(kube::Client& client, const std::string& ns,
                                                        const std::string& registry_id) {
  ASSIGN_OR_RETURN(auto secret, client.Get(kube::resources::kSecrets, ns, backup::RegistrySecretName(registry_id)));
  ASSIGN_OR_RETURN(auto cfg, backup::RegistryFromSecret(secret));
  registry::RegistryOptions o;
  o.url = cfg.url;
  o.credentials = {cfg.username, cfg.password};
  o.tls.ca_data = cfg.ca_bundle;
  o.tls.insecure_skip_verify = cfg.insecure_skip_verify;
  o.chunk_size = 8 << 20;  // bounds memory when a source cannot be streamed again
  return registry::NewRegistry(o);
}

}  // namespace kbr::agent
