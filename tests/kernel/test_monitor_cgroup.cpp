// Cgroup ids on the real cgroup2 hierarchy (root: it makes its own cgroup).
// Checks the two facts the resolver rests on: the id the kernel uses for a
// cgroup (its file handle, the value bpf_get_current_cgroup_id() returns) is
// the inode of its directory, and the path the resolver finds is the one the
// kernel shows in /proc/PID/cgroup.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "cgroup.hpp"

using namespace proclife::monitor;

namespace {

uint64_t kernel_cgroup_id(const std::string& dir) {
  struct {
    file_handle handle;
    uint64_t id;
  } buffer{};
  buffer.handle.handle_bytes = sizeof(uint64_t);
  int mount_id = 0;
  REQUIRE(::name_to_handle_at(AT_FDCWD, dir.c_str(), &buffer.handle, &mount_id, 0) == 0);
  uint64_t id = 0;
  std::memcpy(&id, buffer.handle.f_handle, sizeof id);
  return id;
}

std::string unified_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return {};
}

}  // namespace

TEST_CASE("a new cgroup's id is its inode and resolves to the path the kernel shows", "[monitor][cgroup]") {
  auto mount = find_cgroup2_mount();
  REQUIRE(mount);
  std::string relative = "/proclife-test-" + std::to_string(::getpid());
  std::string dir = mount->mount_point + relative;
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);

  struct stat st{};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK(kernel_cgroup_id(dir) == st.st_ino);

  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char byte;
    ::close(ready[1]);
    (void)!::read(ready[0], &byte, 1);
    ::_exit(0);
  }
  ::close(ready[0]);
  std::ofstream(dir + "/cgroup.procs") << child << std::flush;

  CgroupResolver resolver(mount->mount_point, 16);
  auto path = resolver.path(st.st_ino);
  CHECK(path == relative);
  CHECK(unified_line(child) == relative);

  ::close(ready[1]);
  REQUIRE(::waitpid(child, nullptr, 0) == child);
  // The cgroup empties asynchronously after the reap.
  int removed = -1;
  for (int attempt = 0; attempt < 100 && removed != 0; ++attempt) {
    removed = ::rmdir(dir.c_str());
    if (removed != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(removed == 0);
}
