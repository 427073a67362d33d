#include "lab/pki.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace kbr::lab {
namespace {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const { Fn(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

// Internal("<what>: <OpenSSL's queued errors>"); drains the thread's error queue.
Status SslError(const std::string& what) {
  std::string detail;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!detail.empty()) detail += "; ";
    detail += buf;
  }
  return Status::Internal(what + ": " + (detail.empty() ? "unknown OpenSSL error" : detail));
}

Result<KeyPtr> NewP256Key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return SslError("generating an EC P-256 key");
  return key;
}

Result<std::string> BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0) return SslError("reading a memory BIO");
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    return SslError("encoding a private key");
  return BioString(bio.get());
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return SslError("encoding a certificate");
  return BioString(bio.get());
}

Result<KeyPtr> ParseKey(const std::string& pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ERR_clear_error();
    return Status::InvalidArgument(what + ": not a PEM private key");
  }
  return key;
}

Result<X509Ptr> ParseCert(const std::string& pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    ERR_clear_error();
    return Status::InvalidArgument(what + ": not a PEM certificate");
  }
  return cert;
}

// Adds extension `nid` with OpenSSL config syntax `value`, in the context of
// `issuer` signing `subject`.
Status AddExt(X509* subject, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || !X509_add_ext(subject, ext.get(), -1))
    return SslError(std::string("adding extension ") + OBJ_nid2sn(nid) + "=" + value);
  return Status::Ok();
}

// Version 3, random positive 128-bit serial, notBefore = now - 1h,
// notAfter = now + days, the subject, and the public key.
Result<X509Ptr> NewCertBase(EVP_PKEY* key, const std::string& cn,
                            const std::vector<std::string>& orgs, int days) {
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3)) return SslError("allocating a certificate");
  BnPtr serial(BN_new());
  if (!serial || !BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ODD) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
    return SslError("generating a serial number");
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr))
    return SslError("setting the validity");
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.data()),
                                      static_cast<int>(v.size()), -1, 0) == 1;
  };
  for (const auto& o : orgs)
    if (!add("O", o)) return SslError("adding O=" + o);
  if (!add("CN", cn)) return SslError("adding CN=" + cn);
  if (!X509_set_pubkey(cert.get(), key)) return SslError("setting the public key");
  return cert;
}

Result<NamesPtr> BuildSans(const CertSpec& spec) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return SslError("allocating subjectAltName");
  for (const auto& dns : spec.dns_sans) {
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    if (!gn || !s || !ASN1_STRING_set(s, dns.data(), static_cast<int>(dns.size()))) {
      GENERAL_NAME_free(gn);
      ASN1_IA5STRING_free(s);
      return SslError("adding DNS SAN " + dns);
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const auto& ip : spec.ip_sans) {
    ASN1_OCTET_STRING* addr = a2i_IPADDRESS(ip.c_str());
    if (!addr) {
      ERR_clear_error();
      return Status::InvalidArgument("ip_sans: '" + ip + "' is not an IPv4 or IPv6 address");
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    if (!gn) {
      ASN1_OCTET_STRING_free(addr);
      return SslError("adding IP SAN " + ip);
    }
    GENERAL_NAME_set0_value(gn, GEN_IPADD, addr);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  return names;
}

}  // namespace

Result<CertKey> NewCA(const std::string& common_name, int valid_days) {
  if (common_name.empty()) return Status::InvalidArgument("common_name: must not be empty");
  if (valid_days < 1) return Status::InvalidArgument("valid_days: must be at least 1");
  ERR_clear_error();
  ASSIGN_OR_RETURN(KeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert, NewCertBase(key.get(), common_name, {}, valid_days));
  X509* c = cert.get();
  if (!X509_set_issuer_name(c, X509_get_subject_name(c))) return SslError("setting the issuer");
  RETURN_IF_ERROR(AddExt(c, c, NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddExt(c, c, NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExt(c, c, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExt(c, c, NID_authority_key_identifier, "keyid:always"));
  if (!X509_sign(c, key.get(), EVP_sha256())) return SslError("signing the CA certificate");
  CertKey out;
  ASSIGN_OR_RETURN(out.cert_pem, CertPem(c));
  ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  return out;
}

Result<CertKey> IssueCert(const CertKey& ca, const CertSpec& spec) {
  if (spec.common_name.empty()) return Status::InvalidArgument("common_name: must not be empty");
  if (spec.valid_days < 1) return Status::InvalidArgument("valid_days: must be at least 1");
  if (!spec.server && !spec.client)
    return Status::InvalidArgument("server/client: a certificate must allow at least one");
  ERR_clear_error();
  ASSIGN_OR_RETURN(X509Ptr ca_cert, ParseCert(ca.cert_pem, "ca.cert_pem"));
  ASSIGN_OR_RETURN(KeyPtr ca_key, ParseKey(ca.key_pem, "ca.key_pem"));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("ca: the key does not match the certificate");
  }
  ASSIGN_OR_RETURN(NamesPtr sans, BuildSans(spec));

  ASSIGN_OR_RETURN(KeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(X509Ptr cert,
                   NewCertBase(key.get(), spec.common_name, spec.organizations, spec.valid_days));
  X509* c = cert.get();
  if (!X509_set_issuer_name(c, X509_get_subject_name(ca_cert.get())))
    return SslError("setting the issuer");
  const ASN1_TIME* ca_end = X509_get0_notAfter(ca_cert.get());
  if (ASN1_TIME_compare(X509_get0_notAfter(c), ca_end) > 0 && !X509_set1_notAfter(c, ca_end))
    return SslError("clamping notAfter to the CA's");

  std::string eku;
  if (spec.server) eku = "serverAuth";
  if (spec.client) eku += eku.empty() ? "clientAuth" : ",clientAuth";
  RETURN_IF_ERROR(AddExt(c, ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExt(c, ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment"));
  RETURN_IF_ERROR(AddExt(c, ca_cert.get(), NID_ext_key_usage, eku.c_str()));
  RETURN_IF_ERROR(AddExt(c, ca_cert.get(), NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExt(c, ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  if (sk_GENERAL_NAME_num(sans.get()) > 0 &&
      !X509_add1_ext_i2d(c, NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT))
    return SslError("adding subjectAltName");
  if (!X509_sign(c, ca_key.get(), EVP_sha256())) return SslError("signing the certificate");
  CertKey out;
  ASSIGN_OR_RETURN(out.cert_pem, CertPem(c));
  ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  return out;
}

Result<std::string> NewServiceAccountKey() {
  ERR_clear_error();
  ASSIGN_OR_RETURN(KeyPtr key, NewP256Key());
  return KeyPem(key.get());
}

Result<std::string> PublicKeyPem(const std::string& private_pem) {
  ERR_clear_error();
  ASSIGN_OR_RETURN(KeyPtr key, ParseKey(private_pem, "private_pem"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PUBKEY(bio.get(), key.get())) return SslError("encoding a public key");
  return BioString(bio.get());
}

Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());
  auto fail = [&](const std::string& step) {
    Status s = Status::Unavailable("writing " + path + ": " + step + ": " + std::strerror(errno));
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    return s;
  };
  if (fd < 0) return Status::Unavailable("writing " + path + ": creating a temporary file: " +
                                         std::strerror(errno));
  if (fchmod(fd, mode) != 0) return fail("chmod");
  for (size_t off = 0; off < data.size();) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("fsync");
  int rc = close(fd);
  fd = -1;
  if (rc != 0) return fail("close");
  if (rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  return Status::Ok();
}

}  // namespace kbr::lab
