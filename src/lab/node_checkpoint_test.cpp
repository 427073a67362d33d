#include "lab/node_checkpoint.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/json.h"
#include "demo/demo.h"
#include "lab/node_image.h"

namespace kbr::lab {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("kbr-node-test-" + std::to_string(::getpid()) + "-" +
                                                std::to_string(counter++));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  static inline int counter = 0;
};

ArchiveInput Input() {
  ArchiveInput in;
  in.container.id = std::string(64, 'a');
  in.container.pid = 4242;
  in.container.spec = {.pod_namespace = "default", .pod_name = "counter", .pod_uid = "uid-1", .container = "app",
                       .image = "kbr/demo:latest", .image_id = "kbr-lab://kbr/demo:latest",
                       .workload = Workload::kDemo, .env = {"A=1"}};
  in.container.argv = {"/usr/bin/kbr", "demo", "--listen", "127.0.0.1:1234"};
  in.node_name = "member1-node1";
  in.pages = demo::EncodeImage({.counter = 17, .kv = {{"k", "v"}}}, TimePoint{});
  in.checkpointed_at = TimePoint{} + std::chrono::seconds(1800000000);
  in.stats.pages = 1;
  return in;
}

std::map<std::string, std::string> ReadTar(const std::string& path) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, path.c_str(), 10240), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data;
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, n);
    out[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return out;
}

TEST(CheckpointArchiveTest, CrioLayoutWithTheDemoState) {
  TempDir dir;
  ArchiveInput in = Input();
  auto path = WriteCheckpointArchive(in, (dir.path / "checkpoints").string());
  ASSERT_TRUE(path.ok()) << path.status().message();
  EXPECT_EQ(fs::path(*path).filename(), "checkpoint-counter_default-app-2027-01-15T08:00:00Z.tar");
  struct stat st {};
  ASSERT_EQ(::stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path / "checkpoints").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto entries = ReadTar(*path);
  for (const char* name : {"config.dump", "spec.dump", "checkpoint/", "checkpoint/inventory.img",
                           "checkpoint/core-4242.img", "checkpoint/pages-1.img", "rootfs-diff.tar", "stats-dump",
                           "dump.log"}) {
    EXPECT_TRUE(entries.count(name)) << name;
  }
  EXPECT_EQ(entries["rootfs-diff.tar"], std::string(1024, '\0'));
  auto state = demo::DecodeImage(entries["checkpoint/pages-1.img"], "pages");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->counter, 17);

  auto config = json::Parse(entries["config.dump"]);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(json::GetString(*config, "id"), in.container.id);
  EXPECT_EQ(json::GetString(*config, "rootfsImageName"), "kbr/demo:latest");
  EXPECT_EQ(json::GetString(*config, "runtime"), "kbr-lab");
  EXPECT_EQ(json::GetString(*config, "checkpointedTime"), "2027-01-15T08:00:00Z");
  auto spec = json::Parse(entries["spec.dump"]);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->at("process").at("args").as_array()[1].as_string(), "demo");
  EXPECT_EQ(spec->at("annotations").at("io.kubernetes.pod.name").as_string(), "counter");
  EXPECT_TRUE(json::Parse(entries["stats-dump"]).ok());
}

TEST(CheckpointArchiveTest, UnpacksAsALayerAndRestoresTheState) {
  TempDir dir;
  auto path = WriteCheckpointArchive(Input(), dir.path.string());
  ASSERT_TRUE(path.ok());
  auto diff_id = UnpackLayer(*path, "application/vnd.oci.image.layer.v1.tar", (dir.path / "out").string());
  ASSERT_TRUE(diff_id.ok()) << diff_id.status().message();
  EXPECT_EQ(diff_id->rfind("sha256:", 0), 0u);
  auto state = demo::LoadImageFromDir((dir.path / "out").string());
  ASSERT_TRUE(state.ok()) << state.status().message();
  EXPECT_EQ(state->counter, 17);
  EXPECT_EQ(state->kv.at("k"), "v");
}

TEST(CheckpointArchiveTest, DumpRefusesNonDemoContainers) {
  ContainerState c;
  c.spec.workload = Workload::kAgent;
  c.running = true;
  auto r = DumpDemoProcess(c, std::chrono::seconds(1), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace kbr::lab
