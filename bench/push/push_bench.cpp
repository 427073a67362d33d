// kbr_push_bench: the process bench/push/run invokes once per measurement,
// so that wall time and peak RSS (/usr/bin/time -v) belong to one operation.
//
//   kbr_push_bench serve   --info FILE
//       starts a docker-registry on 127.0.0.1 (TLS from a throwaway CA,
//       htpasswd auth; the fixture of tests/registry) under $TMPDIR, writes
//       shell variables (URL HOST CA USER PASSWORD STORAGE) to FILE and runs
//       until SIGTERM/SIGINT, then stops it and removes its directory.
//   kbr_push_bench gen     --out FILE --size-mb N [--compressible F] [--seed S]
//       writes a synthetic CRI-O checkpoint archive of about N MB (10^6 bytes).
//   kbr_push_bench push    REG --repo R --archive FILE [--compression zstd|gzip|none]
//                          [--exec ID] [--chunk-mib 8]
//       (RegistryOptions as the agent sets them; chunk_size only matters for
//       sources that cannot rewind, which an archive file is not)
//   kbr_push_bench restore REG --repo R --ref TAG|DIGEST --target DIR
//       REG = --url URL --ca FILE --user U --password P.
//       Both print one JSON line with what they did and how long it took.
// Exit status: 0 on success, 1 on failure (message on stderr), 2 on bad usage.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "checkpoint/image_builder.h"
#include "checkpoint/restore.h"
#include "checkpoint/synthetic_archive.h"
#include "registry/registry.h"
#include "registry/registry_server.h"

namespace {

using namespace kbr;

std::map<std::string, std::string> ParseFlags(int argc, char** argv, int from) {
  std::map<std::string, std::string> flags;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << "bad argument: " << a << "\n";
      std::exit(2);
    }
    flags[a.substr(2)] = argv[++i];
  }
  return flags;
}

std::string Need(const std::map<std::string, std::string>& f, const std::string& key) {
  auto it = f.find(key);
  if (it == f.end() || it->second.empty()) {
    std::cerr << "missing --" << key << "\n";
    std::exit(2);
  }
  return it->second;
}

std::string Get(const std::map<std::string, std::string>& f, const std::string& key, const std::string& def) {
  auto it = f.find(key);
  return it == f.end() ? def : it->second;
}

int Fail(const Status& s) {
  std::cerr << s.ToString() << "\n";
  return 1;
}

Result<std::unique_ptr<registry::Registry>> Connect(const std::map<std::string, std::string>& f) {
  registry::RegistryOptions o;
  o.url = Need(f, "url");
  o.tls.ca_file = Need(f, "ca");
  o.credentials = {Need(f, "user"), Need(f, "password")};
  o.chunk_size = std::stoll(Get(f, "chunk-mib", "8")) << 20;
  return registry::NewRegistry(o);
}

int Serve(const std::map<std::string, std::string>& f) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto server = registry::testing::RegistryServer::Start({});
  if (!server.ok()) return Fail(server.status());
  const auto& s = **server;
  {
    const std::string info = Need(f, "info");
    std::ofstream out(info + ".tmp");
    out << "URL=" << s.url() << "\nHOST=" << s.host() << "\nCA=" << s.ca_file() << "\nUSER=" << s.user()
        << "\nPASSWORD=" << s.password() << "\nSTORAGE=" << s.storage_dir() << "\n";
    out.close();
    std::rename((info + ".tmp").c_str(), info.c_str());
  }
  int sig = 0;
  sigwait(&set, &sig);
  return 0;  // ~RegistryServer stops the registry and removes its directory
}

int Gen(const std::map<std::string, std::string>& f) {
  checkpoint::testing::SyntheticCheckpoint spec;
  spec.pages_bytes = std::stoll(Need(f, "size-mb")) * 1000000 - 64 * 1024;
  spec.compressible = std::stod(Get(f, "compressible", "0.6"));
  spec.seed = std::stoull(Get(f, "seed", "1"));
  auto size = checkpoint::testing::WriteSyntheticCheckpoint(Need(f, "out"), spec);
  if (!size.ok()) return Fail(size.status());
  std::cout << "{\"bytes\":" << *size << "}\n";
  return 0;
}

int Push(const std::map<std::string, std::string>& f) {
  auto reg = Connect(f);
  if (!reg.ok()) return Fail(reg.status());
  auto c = checkpoint::ParseCompression(Get(f, "compression", "zstd"));
  if (!c.ok()) return Fail(c.status());
  checkpoint::CheckpointImageSpec spec;
  spec.archive_path = Need(f, "archive");
  spec.repository = Need(f, "repo");
  spec.identity = {"default", "demo-0", "demo", Get(f, "exec", "bench")};
  spec.compression = *c;
  auto r = checkpoint::PushCheckpointImage(**reg, spec);
  if (!r.ok()) return Fail(r.status());
  std::cout << "{\"seconds\":" << std::chrono::duration<double>(r->duration).count()
            << ",\"compressed\":" << r->compressed_bytes << ",\"uncompressed\":" << r->uncompressed_bytes
            << ",\"tag\":\"" << r->tag << "\",\"manifest\":\"" << r->manifest_digest << "\",\"layer\":\""
            << r->layer_digest << "\"}\n";
  return 0;
}

int Restore(const std::map<std::string, std::string>& f) {
  auto reg = Connect(f);
  if (!reg.ok()) return Fail(reg.status());
  checkpoint::RestoreOptions o;
  o.repository = Need(f, "repo");
  o.reference = Need(f, "ref");
  o.target_dir = Need(f, "target");
  auto r = checkpoint::RestoreCheckpointImage(**reg, o);
  if (!r.ok()) return Fail(r.status());
  std::cout << "{\"seconds\":" << std::chrono::duration<double>(r->duration).count()
            << ",\"compressed\":" << r->compressed_bytes << ",\"uncompressed\":" << r->uncompressed_bytes
            << ",\"entries\":" << r->entries << "}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: kbr_push_bench serve|gen|push|restore --flag value ...\n";
    return 2;
  }
  const std::string cmd = argv[1];
  auto flags = ParseFlags(argc, argv, 2);
  if (cmd == "serve") return Serve(flags);
  if (cmd == "gen") return Gen(flags);
  if (cmd == "push") return Push(flags);
  if (cmd == "restore") return Restore(flags);
  std::cerr << "unknown command: " << cmd << "\n";
  return 2;
}
