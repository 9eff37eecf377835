// The file-backed mappings of a process, read once from /proc/PID/maps and
// kept: unwinding needs them after the process is gone (a short-lived child,
// a process that exits right after its stack was captured).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace proclife::stacks {

struct Mapping {
  uint64_t start = 0, end = 0, pgoff = 0;
  uint64_t inode = 0;
  std::string path;
  std::string build_id;  // lowercase hex; empty when the file has none or is not ELF
};

// Build-ids by (path, inode): the same libraries are mapped by every process,
// and reading an ELF note is a file open.
class BuildIdCache {
 public:
  const std::string& get(const std::string& path, uint64_t inode);

 private:
  std::map<std::pair<std::string, uint64_t>, std::string> ids_;
};

struct MappingSnapshot {
  std::vector<Mapping> mappings;  // sorted by start

  const Mapping* find(uint64_t address) const;
  // Parses the text of a maps file; keeps mappings of files only. Without a
  // cache, build-ids are left empty.
  static MappingSnapshot parse(const std::string& maps, BuildIdCache* build_ids);
  // nullopt: the file could not be read (the process is gone).
  static std::optional<MappingSnapshot> read(pid_t pid, BuildIdCache* build_ids);
};

// The build-id of the ELF file at path (lowercase hex), empty when it has
// none or is not a regular file.
std::string read_build_id(const std::string& path);

}  // namespace proclife::stacks
