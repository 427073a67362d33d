// The lab's certificates, generated once at first start under <dir>/pki and
// reused afterwards (so kubeconfigs handed out stay valid across restarts).
//
// ca.{crt,key}              signs every serving and client certificate
// front-proxy-ca, front-proxy-client   aggregation-layer (requestheader) auth
// apiserver.{crt,key}       serving cert of every kube-apiserver (localhost,
//                           127.0.0.1, kubernetes.default.svc..., 10.96.0.1)
// admin.{crt,key}           CN kbr-lab-admin, O system:masters (the kubeconfigs)
// kubelet-client.{crt,key}  apiserver → kubelet client (O system:masters)
// karmada-aggregated-apiserver.{crt,key}, karmada-webhook.{crt,key}
// sa-<cluster>.{key,pub}    service-account signing keys, one per cluster
#pragma once

#include "core/status.h"
#include "lab/layout.h"

namespace kbr::lab {

// Creates whatever is missing; existing files are kept.
Status EnsureCertificates(const LabLayout& layout);

}  // namespace kbr::lab
