// Cgroup ids to names: where cgroup2 is mounted (hybrid hosts put it under
// /sys/fs/cgroup/unified), id to path by walking the mount, and what a path
// says about the systemd unit and container.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <unistd.h>

#include "cgroup.hpp"

using namespace proclife::monitor;
namespace fs = std::filesystem;

namespace {

const char* kHybrid =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

const char* kUnified =
    "24 18 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    "25 18 0:23 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n";

uint64_t inode_of(const fs::path& path) {
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

const std::string kId = "4f1c9b2d8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c";

}  // namespace

TEST_CASE("find_cgroup2_mount finds the unified mount of a hybrid host", "[monitor][cgroup]") {
  auto mount = find_cgroup2_mount(kHybrid);
  REQUIRE(mount);
  CHECK(mount->mount_point == "/sys/fs/cgroup/unified");
  CHECK(mount->root == "/");
}

TEST_CASE("find_cgroup2_mount finds /sys/fs/cgroup on a unified host", "[monitor][cgroup]") {
  auto mount = find_cgroup2_mount(kUnified);
  REQUIRE(mount);
  CHECK(mount->mount_point == "/sys/fs/cgroup");
}

TEST_CASE("find_cgroup2_mount says nothing on a v1-only host and ignores junk lines", "[monitor][cgroup]") {
  CHECK_FALSE(find_cgroup2_mount("31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"));
  CHECK_FALSE(find_cgroup2_mount("garbage\n- cgroup2\n\n"));
  CHECK_FALSE(find_cgroup2_mount(""));
}

TEST_CASE("find_cgroup2_mount unescapes the mount point and prefers the whole hierarchy", "[monitor][cgroup]") {
  const char* text =
      "50 1 0:40 /system.slice /mnt/partial rw - cgroup2 cgroup2 rw\n"
      "51 1 0:40 / /mnt/my\\040cgroups rw shared:3 master:1 - cgroup2 cgroup2 rw\n";
  auto mount = find_cgroup2_mount(text);
  REQUIRE(mount);
  CHECK(mount->mount_point == "/mnt/my cgroups");
  CHECK(find_cgroup2_mount("50 1 0:40 /system.slice /mnt/partial rw - cgroup2 cgroup2 rw\n")->root == "/system.slice");
}

TEST_CASE("find_cgroup2_mount reads this host's mountinfo", "[monitor][cgroup]") {
  // Every supported host has cgroup2 somewhere (the probe's cgroup ids need it).
  auto mount = find_cgroup2_mount();
  REQUIRE(mount);
  CHECK(fs::is_directory(mount->mount_point));
}

TEST_CASE("CgroupResolver maps directory inodes to paths and caches hits and misses", "[monitor][cgroup]") {
  // Any directory tree works the same way as the cgroup2 mount: readdir's d_ino is the inode.
  fs::path root = fs::temp_directory_path() / ("proclife-cgroup-test-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "system.slice" / "foo.service");
  fs::create_directories(root / "user.slice");
  CgroupResolver resolver(root.string(), 8);

  CHECK(resolver.path(inode_of(root)) == "/");
  CHECK(resolver.path(inode_of(root / "system.slice" / "foo.service")) == "/system.slice/foo.service");
  CHECK(resolver.walks() == 2);
  CHECK(resolver.path(inode_of(root / "system.slice" / "foo.service")) == "/system.slice/foo.service");
  CHECK(resolver.walks() == 2);

  uint64_t missing = 0xdead'beef'0000'0001ull;
  CHECK_FALSE(resolver.path(missing));
  CHECK_FALSE(resolver.path(missing));
  CHECK(resolver.walks() == 3);
  fs::remove_all(root);
}

TEST_CASE("CgroupResolver stays within its capacity", "[monitor][cgroup]") {
  fs::path root = fs::temp_directory_path() / ("proclife-cgroup-cap-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  CgroupResolver resolver(root.string(), 1);
  CHECK(resolver.path(inode_of(root / "a")) == "/a");
  CHECK(resolver.path(inode_of(root / "b")) == "/b");
  CHECK(resolver.evictions() == 1);
  CHECK(resolver.path(inode_of(root / "a")) == "/a");
  CHECK(resolver.walks() == 3);
  fs::remove_all(root);
}

TEST_CASE("cgroup_owner names system services, sessions and user units", "[monitor][cgroup]") {
  CHECK(cgroup_owner("/system.slice/foo.service").unit == "foo.service");
  CHECK(cgroup_owner("/system.slice/foo.service/worker").unit == "foo.service");
  CHECK(cgroup_owner("/user.slice/user-1000.slice/session-3.scope").unit == "session-3.scope");
  CHECK(cgroup_owner("/user.slice/user-1000.slice/user@1000.service/app.slice/bar.service").unit == "bar.service");
  CHECK(cgroup_owner("/init.scope").unit == "init.scope");
  CHECK(cgroup_owner("/").unit.empty());
  CHECK(cgroup_owner("/system.slice").unit.empty());
  CHECK(cgroup_owner("/system.slice/foo.service").container_id.empty());
}

TEST_CASE("cgroup_owner finds the container id of every common runtime", "[monitor][cgroup]") {
  CHECK(cgroup_owner("/system.slice/docker-" + kId + ".scope").container_id == kId);
  CHECK(cgroup_owner("/system.slice/docker-" + kId + ".scope").unit == "docker-" + kId + ".scope");
  CHECK(cgroup_owner("/docker/" + kId).container_id == kId);
  CHECK(cgroup_owner("/machine.slice/libpod-" + kId + ".scope/container").container_id == kId);
  CHECK(cgroup_owner("/system.slice/crio-" + kId + ".scope").container_id == kId);
  // conmon runs beside the container, not in it.
  CHECK(cgroup_owner("/machine.slice/libpod-conmon-" + kId + ".scope").container_id.empty());
  CHECK(cgroup_owner("/system.slice/docker-1234.scope").container_id.empty());
  CHECK(cgroup_owner("/" + kId).container_id.empty());
}

TEST_CASE("cgroup_owner finds Kubernetes pods with either cgroup driver", "[monitor][cgroup]") {
  const std::string uid = "0f3c6a1e-8d2b-4c5a-9e7f-1a2b3c4d5e6f";
  auto systemd = cgroup_owner(
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f3c6a1e_8d2b_4c5a_9e7f_1a2b3c4d5e6f.slice/"
      "cri-containerd-" + kId + ".scope");
  CHECK(systemd.container_id == kId);
  CHECK(systemd.pod_uid == uid);
  auto cgroupfs = cgroup_owner("/kubepods/besteffort/pod" + uid + "/" + kId);
  CHECK(cgroupfs.container_id == kId);
  CHECK(cgroupfs.pod_uid == uid);
  CHECK(cgroup_owner("/kubepods.slice/kubepods-besteffort.slice").pod_uid.empty());
}
