#include "lab/pki.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/http.h"
#include "lab/process.h"

namespace kbr::lab {
namespace {

using namespace std::chrono_literals;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr Parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// X509_verify_cert of `leaf` against the single trusted `ca`, strict RFC 5280
// checks, for `purpose`. Returns the verify error (X509_V_OK on success).
int Verify(const std::string& ca, const std::string& leaf, int purpose) {
  X509Ptr ca_cert = Parse(ca), leaf_cert = Parse(leaf);
  if (!ca_cert || !leaf_cert) return -1;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca_cert.get());
  X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf_cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  int rc = X509_verify_cert(ctx);
  int err = rc == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return err;
}

std::vector<std::string> Organizations(X509* cert) {
  std::vector<std::string> out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
  }
  return out;
}

// Runs a shell command, returning its exit code and combined output.
std::pair<int, std::string> RunShell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kbr-pki-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto ca = NewCA("kbr-lab-ca", 30);
    ASSERT_TRUE(ca.ok()) << ca.status().ToString();
    ca_ = *ca;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& data) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, data, 0600).ok());
    return path;
  }
  CertSpec ServerSpec() {
    CertSpec spec;
    spec.common_name = "kube-apiserver";
    spec.dns_sans = {"localhost", "kubernetes.default.svc"};
    spec.ip_sans = {"127.0.0.1", "::1"};
    spec.server = true;
    spec.valid_days = 10;
    return spec;
  }

  std::string dir_;
  CertKey ca_;
};

TEST_F(PkiTest, CaIsASelfSignedCa) {
  X509Ptr ca = Parse(ca_.cert_pem);
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_get_key_usage(ca.get()), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
  EXPECT_EQ(Verify(ca_.cert_pem, ca_.cert_pem, X509_PURPOSE_ANY), X509_V_OK);
  EXPECT_EQ(ca_.key_pem.rfind(std::string("-----BEGIN ") + "PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(ca.get())), EVP_PKEY_EC);
}

TEST_F(PkiTest, ServerCertVerifiesAndCarriesSans) {
  auto leaf = IssueCert(ca_, ServerSpec());
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(Verify(ca_.cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_NE(Verify(ca_.cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  X509Ptr c = Parse(leaf->cert_pem);
  EXPECT_EQ(X509_check_ca(c.get()), 0);
  EXPECT_EQ(X509_check_host(c.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(c.get(), "kubernetes.default.svc", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(c.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(c.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(c.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(c.get(), "10.0.0.1", 0), 0);
  EXPECT_EQ(X509_get_extended_key_usage(c.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_key_usage(c.get()),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  // The authority key id is the CA's subject key id.
  X509Ptr ca = Parse(ca_.cert_pem);
  ASSERT_NE(X509_get0_authority_key_id(c.get()), nullptr);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(c.get()),
                                  X509_get0_subject_key_id(ca.get())), 0);
  // Serials are random 128-bit values: two certificates differ.
  auto other = IssueCert(ca_, ServerSpec());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(c.get()),
                             X509_get0_serialNumber(Parse(other->cert_pem).get())), 0);
}

TEST_F(PkiTest, ClientCertCarriesOrganizationsAsGroups) {
  CertSpec spec;
  spec.common_name = "kubernetes-admin";
  spec.organizations = {"system:masters", "kbr"};
  spec.client = true;
  spec.valid_days = 10;
  auto leaf = IssueCert(ca_, spec);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(Verify(ca_.cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  X509Ptr c = Parse(leaf->cert_pem);
  EXPECT_EQ(Organizations(c.get()), (std::vector<std::string>{"system:masters", "kbr"}));
  EXPECT_EQ(X509_get_extended_key_usage(c.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_ext_d2i(c.get(), NID_subject_alt_name, nullptr, nullptr), nullptr);
}

TEST_F(PkiTest, LeafDoesNotVerifyAgainstAnotherCa) {
  auto other_ca = NewCA("other", 30);
  ASSERT_TRUE(other_ca.ok());
  auto leaf = IssueCert(ca_, ServerSpec());
  ASSERT_TRUE(leaf.ok());
  EXPECT_NE(Verify(other_ca->cert_pem, leaf->cert_pem, X509_PURPOSE_SSL_SERVER), X509_V_OK);
}

TEST_F(PkiTest, OpensslCliAcceptsTheChain) {
  CertSpec spec = ServerSpec();
  spec.client = true;
  auto leaf = IssueCert(ca_, spec);
  ASSERT_TRUE(leaf.ok());
  std::string ca = Write("ca.crt", ca_.cert_pem), crt = Write("leaf.crt", leaf->cert_pem);
  auto [rc, out] = RunShell("openssl verify -x509_strict -purpose sslserver -CAfile " + ca + " " + crt);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(": OK"), std::string::npos) << out;
  auto other_ca = NewCA("other", 30);
  ASSERT_TRUE(other_ca.ok());
  std::string other = Write("other.crt", other_ca->cert_pem);
  EXPECT_NE(RunShell("openssl verify -CAfile " + other + " " + crt).first, 0);
}

TEST_F(PkiTest, TlsHandshakeWithCurl) {
  auto leaf = IssueCert(ca_, ServerSpec());
  ASSERT_TRUE(leaf.ok());
  std::string crt = Write("server.crt", leaf->cert_pem), key = Write("server.key", leaf->key_pem);
  auto port = FreePort();
  ASSERT_TRUE(port.ok());
  std::string addr = "127.0.0.1:" + std::to_string(*port);
  ProcessSpec server;
  server.name = "s_server";
  server.binary = "openssl";
  server.args = {"s_server", "-cert", crt, "-key", key, "-accept", addr, "-www"};
  server.log_file = dir_ + "/s_server.log";
  auto pid = StartDetached(server);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();

  http::TlsConfig tls;
  tls.ca_data = ca_.cert_pem;
  auto good = http::NewCurlClient(tls);
  ASSERT_TRUE(good.ok());
  http::Request req;
  req.url = "https://" + addr + "/";
  req.timeout = 5000ms;
  Result<http::Response> resp = Status::Unavailable("not tried");
  Status ready = WaitFor(
      [&]() -> Result<bool> {
        resp = (*good)->Do(req);
        if (!resp.ok()) return resp.status();
        return true;
      },
      10000ms, 50ms, "openssl s_server");
  EXPECT_TRUE(ready.ok()) << ready.ToString() << "\n" << TailFile(dir_ + "/s_server.log", 20).value();
  if (ready.ok()) {
    EXPECT_EQ(resp->status, 200);
  }

  auto other_ca = NewCA("other", 30);
  ASSERT_TRUE(other_ca.ok());
  tls.ca_data = other_ca->cert_pem;
  auto wrong = http::NewCurlClient(tls);
  ASSERT_TRUE(wrong.ok());
  auto bad = (*wrong)->Do(req);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(bad.status().message().find("TLS"), std::string::npos) << bad.status().message();

  EXPECT_TRUE(Stop(*pid, 2000ms).ok());
}

TEST_F(PkiTest, ServiceAccountKey) {
  auto priv = NewServiceAccountKey();
  ASSERT_TRUE(priv.ok()) << priv.status().ToString();
  EXPECT_EQ(priv->rfind(std::string("-----BEGIN ") + "PRIVATE KEY-----", 0), 0u);
  auto pub = PublicKeyPem(*priv);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->rfind("-----BEGIN PUBLIC KEY-----", 0), 0u);
  // The CLI derives the same public key.
  std::string key = Write("sa.key", *priv);
  auto [rc, out] = RunShell("openssl pkey -in " + key + " -pubout");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, *pub);
  EXPECT_EQ(PublicKeyPem("garbage").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, InvalidInput) {
  EXPECT_EQ(NewCA("", 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NewCA("x", 0).status().code(), StatusCode::kInvalidArgument);
  CertSpec spec = ServerSpec();
  spec.ip_sans = {"not-an-ip"};
  auto r = IssueCert(ca_, spec);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not-an-ip"), std::string::npos);
  spec = ServerSpec();
  spec.server = false;
  EXPECT_EQ(IssueCert(ca_, spec).status().code(), StatusCode::kInvalidArgument);
  auto other_ca = NewCA("other", 30);
  ASSERT_TRUE(other_ca.ok());
  CertKey mismatched{ca_.cert_pem, other_ca->key_pem};
  EXPECT_EQ(IssueCert(mismatched, ServerSpec()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IssueCert(CertKey{"x", "y"}, ServerSpec()).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(PkiTest, LeafNeverOutlivesItsCa) {
  CertSpec spec = ServerSpec();
  spec.valid_days = 3650;
  auto leaf = IssueCert(ca_, spec);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(ASN1_TIME_compare(X509_get0_notAfter(Parse(leaf->cert_pem).get()),
                              X509_get0_notAfter(Parse(ca_.cert_pem).get())), 0);
}

TEST_F(PkiTest, WriteFileAtomic) {
  std::string path = dir_ + "/k.pem";
  ASSERT_TRUE(WriteFileAtomic(path, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(path, "two", 0640).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "two");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  Status s = WriteFileAtomic(dir_ + "/missing/k.pem", "x", 0600);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("missing/k.pem"), std::string::npos);
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1) << "no temporary files left behind";
}

}  // namespace
}  // namespace kbr::lab
