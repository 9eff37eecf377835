#include "python_runtime.hpp"

#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace proclife::ktest {

std::vector<Mapping> read_maps(pid_t pid) {
  std::vector<Mapping> maps;
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string range, offset, device, inode;
    Mapping m;
    fields >> range >> m.perms >> offset >> device >> inode >> m.path;
    m.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    m.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    m.offset = std::stoull(offset, nullptr, 16);
    maps.push_back(m);
  }
  return maps;
}

uint64_t start_stack(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  // Fields after the parenthesised comm, which may hold spaces: startstack is field 28.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 28; ++i) fields >> field;  // field 3 is the state
  return std::stoull(field);
}

namespace {

template <class T>
bool read_at(const std::string& image, uint64_t offset, T& out) {
  if (offset > image.size() || image.size() - offset < sizeof out) return false;
  std::memcpy(&out, image.data() + offset, sizeof out);
  return true;
}

// _PyRuntime's st_value in the file's .dynsym, and the lowest PT_LOAD vaddr.
bool find_symbol(const std::string& image, uint64_t& value, uint64_t& first_load, bool& is_dyn) {
  Elf64_Ehdr eh;
  if (!read_at(image, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return false;
  is_dyn = eh.e_type == ET_DYN;
  first_load = UINT64_MAX;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (read_at(image, eh.e_phoff + uint64_t(i) * eh.e_phentsize, ph) && ph.p_type == PT_LOAD)
      first_load = std::min<uint64_t>(first_load, ph.p_vaddr & ~uint64_t{0xfff});
  }
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh, strtab;
    if (!read_at(image, eh.e_shoff + uint64_t(i) * eh.e_shentsize, sh) || sh.sh_type != SHT_DYNSYM ||
        !read_at(image, eh.e_shoff + uint64_t(sh.sh_link) * eh.e_shentsize, strtab))
      continue;
    for (uint64_t at = sh.sh_offset; at + sizeof(Elf64_Sym) <= sh.sh_offset + sh.sh_size; at += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      read_at(image, at, sym);
      uint64_t name = strtab.sh_offset + sym.st_name;
      if (name < image.size() && std::strcmp(image.c_str() + name, "_PyRuntime") == 0 && sym.st_value) {
        value = sym.st_value;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

uint64_t python_runtime_address(pid_t pid) {
  for (const auto& m : read_maps(pid)) {
    if (m.offset != 0 || m.path.find("python3.11") == std::string::npos) continue;
    std::ifstream file(m.path, std::ios::binary);
    std::string image(std::istreambuf_iterator<char>(file), {});
    uint64_t value = 0, first_load = 0;
    bool is_dyn = false;
    if (find_symbol(image, value, first_load, is_dyn)) return is_dyn ? m.start - first_load + value : value;
  }
  return 0;
}

}  // namespace proclife::ktest
