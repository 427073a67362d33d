// PKI for the lab: a CA, leaf certificates for the lab's daemons and clients,
// and the service-account signing key of the kube-apiservers. Built with the
// OpenSSL 3 C API (no openssl CLI). All keys are ECDSA P-256; all signatures
// are ecdsa-with-SHA256.
//
// Errors: InvalidArgument for bad input (empty common name, valid_days < 1,
// a CA whose PEM does not parse or whose key does not match its certificate,
// an unparsable IP SAN); Internal when OpenSSL itself fails (the message
// carries OpenSSL's error string).
//
// Thread-safety: every function is safe to call from many threads at once
// (no shared state; OpenSSL 3 initialises itself thread-safely).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/status.h"

namespace kbr::lab {

// A certificate and its private key, both PEM. key_pem is PKCS#8
// (a "BEGIN PRIVATE KEY" PEM block).
struct CertKey {
  std::string cert_pem;
  std::string key_pem;
};
using KeyPair = CertKey;

struct CertSpec {
  std::string common_name;                 // CN=; Kubernetes reads it as the user name.
  std::vector<std::string> organizations;  // one O= each; Kubernetes reads them as groups.
  std::vector<std::string> dns_sans;       // subjectAltName DNS:
  std::vector<std::string> ip_sans;        // subjectAltName IP:, IPv4 or IPv6 text.
  bool server = false;                     // extKeyUsage serverAuth
  bool client = false;                     // extKeyUsage clientAuth
  int valid_days = 365;
};

// A self-signed CA certificate: random 128-bit serial, notBefore one hour ago
// (tolerates small clock skew), notAfter now + valid_days, basicConstraints
// CA:TRUE (critical), keyUsage keyCertSign,cRLSign (critical),
// subjectKeyIdentifier and authorityKeyIdentifier.
// REQUIRES: !common_name.empty(), valid_days >= 1 (else InvalidArgument).
Result<CertKey> NewCA(const std::string& common_name, int valid_days);

// A leaf certificate signed by `ca` with a fresh key: random 128-bit serial,
// basicConstraints CA:FALSE (critical), keyUsage digitalSignature,
// keyEncipherment (critical), extKeyUsage serverAuth and/or clientAuth as
// requested, subjectKeyIdentifier, authorityKeyIdentifier (the CA's key id),
// subjectAltName with the DNS and IP entries (omitted when both are empty).
// The validity never extends past the CA's notAfter.
// REQUIRES: !spec.common_name.empty(), spec.valid_days >= 1, spec.server ||
// spec.client, every ip_sans entry a valid IPv4/IPv6 address (else
// InvalidArgument naming the bad field).
Result<CertKey> IssueCert(const CertKey& ca, const CertSpec& spec);

// A fresh EC P-256 private key as PKCS#8 PEM, for kube-apiserver's
// --service-account-signing-key-file (and, via PublicKeyPem, --service-account-key-file).
Result<std::string> NewServiceAccountKey();

// The SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----") of a private key
// PEM (PKCS#8 or traditional). InvalidArgument if it does not parse.
Result<std::string> PublicKeyPem(const std::string& private_pem);

// Writes `data` to `path` atomically: a temporary file in the same directory
// is written with `mode`, fsync'ed and renamed over `path`, so readers see
// either the old or the new content, never a partial file. The final file has
// exactly `mode` (not reduced by the umask). Use 0600 for keys.
// Returns Unavailable (naming the path and errno text) if any step fails; the
// temporary file is removed on failure.
Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode);

}  // namespace kbr::lab
