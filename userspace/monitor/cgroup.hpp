// Names for the cgroup2 ids the probe reports: the BPF side only has the id
// (the inode of the cgroup's directory), so userspace finds the directory,
// and from its path the systemd unit and container a process belongs to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bounded_map.hpp"

namespace proclife::monitor {

struct Cgroup2Mount {
  std::string mount_point;  // where it is mounted, e.g. /sys/fs/cgroup or /sys/fs/cgroup/unified
  std::string root;         // the part of the hierarchy the mount shows: "/" unless in a cgroup namespace
};

// The cgroup2 mount in /proc/PID/mountinfo text, preferring one that shows the
// whole hierarchy; nullopt when there is none (a v1-only host).
std::optional<Cgroup2Mount> find_cgroup2_mount(std::string_view mountinfo);
// The same, read from /proc/self/mountinfo.
std::optional<Cgroup2Mount> find_cgroup2_mount();

// Resolves cgroup ids to paths relative to the mount ("/" for the root,
// "/system.slice/foo.service"). A miss walks the mount once and stops at the
// match; hits and misses are both cached, so a removed cgroup costs one walk.
class CgroupResolver {
 public:
  CgroupResolver(std::string mount_point, size_t capacity);

  // nullopt when no directory under the mount has this inode.
  std::optional<std::string> path(uint64_t id);

  uint64_t walks() const { return walks_; }
  uint64_t evictions() const { return cache_.evictions(); }

 private:
  std::string mount_point_;
  BoundedMap<uint64_t, std::optional<std::string>> cache_;
  uint64_t walks_ = 0;
};

// What a cgroup path says about who runs there. Empty fields: not found.
struct CgroupOwner {
  std::string unit;          // innermost systemd service or scope: "foo.service", "session-3.scope"
  std::string container_id;  // 64 hex digits (docker, containerd, CRI-O, podman, kubelet)
  std::string pod_uid;       // Kubernetes pod, dashed form
};

CgroupOwner cgroup_owner(std::string_view path);

}  // namespace proclife::monitor
