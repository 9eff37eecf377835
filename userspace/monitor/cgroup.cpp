#include "cgroup.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace proclife::monitor {

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    size_t end = text.find(sep);
    std::string_view part = text.substr(0, end);
    if (!part.empty()) parts.push_back(part);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return parts;
}

// mountinfo writes space, tab, newline and backslash in paths as \NNN octal.
std::string unescape_octal(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::all_of(field.begin() + i + 1, field.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

bool is_hex64(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_pod_uid(std::string_view text) {
  return text.size() == 36 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope",
// "libpod-<id>.scope" (systemd cgroup driver), or a bare "<id>" under
// /docker/ or a kubelet pod directory (cgroupfs driver).
std::string container_id_of(std::string_view component, std::string_view parent) {
  if (ends_with(component, ".scope")) component.remove_suffix(6);
  for (std::string_view prefix : {"docker-", "cri-containerd-", "crio-", "libpod-"}) {
    if (component.substr(0, prefix.size()) == prefix && is_hex64(component.substr(prefix.size())))
      return std::string(component.substr(prefix.size()));
  }
  if (is_hex64(component) && (parent == "docker" || parent.substr(0, 3) == "pod")) return std::string(component);
  return {};
}

// "kubepods-burstable-pod<uid with _>.slice" (systemd driver) or "pod<uid>" (cgroupfs).
std::string pod_uid_of(std::string_view component) {
  if (component.substr(0, 8) == "kubepods" && ends_with(component, ".slice")) {
    size_t at = component.rfind("-pod");
    if (at == std::string_view::npos) return {};
    std::string uid(component.substr(at + 4, component.size() - at - 4 - 6));
    std::replace(uid.begin(), uid.end(), '_', '-');
    return is_pod_uid(uid) ? uid : std::string{};
  }
  if (component.substr(0, 3) == "pod" && is_pod_uid(component.substr(3))) return std::string(component.substr(3));
  return {};
}

}  // namespace

std::optional<Cgroup2Mount> find_cgroup2_mount(std::string_view mountinfo) {
  std::optional<Cgroup2Mount> found;
  for (std::string_view line : split(mountinfo, '\n')) {
    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    std::vector<std::string_view> fields = split(line, ' ');
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 6 || dash == fields.end() || dash + 1 == fields.end() || dash - fields.begin() < 6) continue;
    if (dash[1] != "cgroup2") continue;
    Cgroup2Mount mount{unescape_octal(fields[4]), unescape_octal(fields[3])};
    if (mount.root == "/") return mount;
    if (!found) found = std::move(mount);
  }
  return found;
}

std::optional<Cgroup2Mount> find_cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream text;
  text << in.rdbuf();
  return find_cgroup2_mount(text.str());
}

CgroupResolver::CgroupResolver(std::string mount_point, size_t capacity)
    : mount_point_(std::move(mount_point)), cache_(capacity) {}

std::optional<std::string> CgroupResolver::path(uint64_t id) {
  if (auto* cached = cache_.find(id)) return *cached;
  ++walks_;
  std::optional<std::string> result;
  struct stat root{};
  if (::stat(mount_point_.c_str(), &root) == 0 && root.st_ino == id) result = "/";
  // Depth-first over directories only; readdir's d_ino is the cgroup id on
  // kernfs, so no stat per entry. Cgroups that vanish mid-walk are skipped.
  std::vector<std::string> pending{""};
  while (!result && !pending.empty()) {
    std::string relative = std::move(pending.back());
    pending.pop_back();
    DIR* dir = ::opendir((mount_point_ + relative).c_str());
    if (!dir) continue;
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_type != DT_DIR) continue;
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      std::string child = relative + "/" + std::string(name);
      if (entry->d_ino == id) {
        result = child;
        break;
      }
      pending.push_back(std::move(child));
    }
    ::closedir(dir);
  }
  cache_.put(id, result);
  return result;
}

CgroupOwner cgroup_owner(std::string_view path) {
  std::vector<std::string_view> components = split(path, '/');
  CgroupOwner owner;
  for (size_t i = components.size(); i-- > 0;) {
    std::string_view component = components[i];
    std::string_view parent = i > 0 ? components[i - 1] : std::string_view{};
    if (owner.unit.empty() && (ends_with(component, ".service") || ends_with(component, ".scope")))
      owner.unit = std::string(component);
    if (owner.container_id.empty()) owner.container_id = container_id_of(component, parent);
    if (owner.pod_uid.empty()) owner.pod_uid = pod_uid_of(component);
  }
  return owner;
}

}  // namespace proclife::monitor
