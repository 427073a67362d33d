// Extra leaf certificates of the lab, signed by the lab CA (pki/ca.{crt,key},
// created by EnsureCertificates in certs.h): the lab nodes' kubelet serving
// certificates and the lab registry's.
#pragma once

#include <string>

#include "core/status.h"
#include "lab/layout.h"
#include "lab/pki.h"

namespace kbr::lab {

// pki/<name>.crt and pki/<name>.key (0600) issued from `spec` unless both
// exist already. FailedPrecondition when the lab CA is missing; the errors
// of IssueCert and WriteFileAtomic otherwise.
Status EnsureLeafCertificate(const LabLayout& layout, const std::string& name, CertSpec spec);

// The kubelet serving certificate of lab node `node`: pki/node-<node>.*,
// CN system:node:<node>, O system:nodes, DNS <node> and localhost, IP 127.0.0.1.
Status EnsureNodeCertificate(const LabLayout& layout, const std::string& node);

}  // namespace kbr::lab
