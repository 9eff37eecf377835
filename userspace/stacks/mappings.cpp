#include "mappings.hpp"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace proclife::stacks {

std::string read_build_id(const std::string& path) {
  // `report` takes paths from a recording, which may name a FIFO or a
  // device: opened without blocking, and read only if a regular file.
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return {};
  }
  elf_version(EV_CURRENT);
  std::string hex;
  if (Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr)) {
    const void* bits = nullptr;
    ssize_t size = dwelf_elf_gnu_build_id(elf, &bits);
    static const char digits[] = "0123456789abcdef";
    for (ssize_t i = 0; i < size; ++i) {
      auto byte = static_cast<const uint8_t*>(bits)[i];
      hex += digits[byte >> 4];
      hex += digits[byte & 15];
    }
    elf_end(elf);
  }
  close(fd);
  return hex;
}

const std::string& BuildIdCache::get(const std::string& path, uint64_t inode) {
  auto key = std::make_pair(path, inode);
  auto it = ids_.find(key);
  if (it == ids_.end()) it = ids_.emplace(key, read_build_id(path)).first;
  return it->second;
}

const Mapping* MappingSnapshot::find(uint64_t address) const {
  auto it = std::upper_bound(mappings.begin(), mappings.end(), address,
                             [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == mappings.begin()) return nullptr;
  --it;
  return address < it->end ? &*it : nullptr;
}

MappingSnapshot MappingSnapshot::parse(const std::string& maps, BuildIdCache* build_ids) {
  MappingSnapshot snapshot;
  std::istringstream lines(maps);
  std::string line;
  while (std::getline(lines, line)) {
    Mapping m;
    int path_at = -1;
    char perms[5] = {};
    if (sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*x:%*x %" SCNu64 " %n", &m.start, &m.end, perms,
               &m.pgoff, &m.inode, &path_at) < 5 || path_at < 0)
      continue;
    // Only files can be unwound through: [stack], [vdso], [heap] and anonymous
    // memory (JIT code) have no ELF file behind them here.
    if (m.inode == 0 || line[path_at] != '/') continue;
    m.path = line.substr(path_at);
    if (build_ids) m.build_id = build_ids->get(m.path, m.inode);
    snapshot.mappings.push_back(std::move(m));
  }
  std::sort(snapshot.mappings.begin(), snapshot.mappings.end(),
            [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  return snapshot;
}

std::optional<MappingSnapshot> MappingSnapshot::read(pid_t pid, BuildIdCache* build_ids) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  if (!in) return std::nullopt;
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(in), {});
  } catch (const std::ios_base::failure&) {
    return std::nullopt;  // ESRCH: it exited while we read
  }
  if (text.empty()) return std::nullopt;  // a zombie's maps read empty
  return parse(text, build_ids);
}

}  // namespace proclife::stacks
