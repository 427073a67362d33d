#include "lab/node_certs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kbr::lab {
namespace fs = std::filesystem;

namespace {

Result<std::string> Read(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::FailedPrecondition("lab CA file '" + path + "' is missing (run: kbr lab up)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Status EnsureLeafCertificate(const LabLayout& l, const std::string& name, CertSpec spec) {
  if (fs::exists(l.Pki(name + ".crt")) && fs::exists(l.Pki(name + ".key"))) return Status::Ok();
  CertKey ca;
  ASSIGN_OR_RETURN(ca.cert_pem, Read(l.Pki("ca.crt")));
  ASSIGN_OR_RETURN(ca.key_pem, Read(l.Pki("ca.key")));
  spec.valid_days = 3650;
  ASSIGN_OR_RETURN(CertKey leaf, IssueCert(ca, spec));
  RETURN_IF_ERROR(WriteFileAtomic(l.Pki(name + ".key"), leaf.key_pem, 0600));
  return WriteFileAtomic(l.Pki(name + ".crt"), leaf.cert_pem, 0644);
}

Status EnsureNodeCertificate(const LabLayout& l, const std::string& node) {
  return EnsureLeafCertificate(l, "node-" + node,
                               {.common_name = "system:node:" + node,
                                .organizations = {"system:nodes"},
                                .dns_sans = {node, "localhost"},
                                .ip_sans = {"127.0.0.1"},
                                .server = true,
                                .client = true});
}

}  // namespace kbr::lab
