#include "python.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "mappings.hpp"
#include "python311.hpp"

namespace proclife::stacks {
namespace {

bool read_memory(pid_t pid, uint64_t address, void* out, size_t size) {
  iovec local{out, size}, remote{reinterpret_cast<void*>(address), size};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

template <typename T>
std::optional<T> read_value(pid_t pid, uint64_t address) {
  T value;
  if (!read_memory(pid, address, &value, sizeof value)) return std::nullopt;
  return value;
}

struct ElfSymbols {
  uint64_t first_load_vaddr = 0;
  std::optional<uint64_t> runtime, version;
};

// _PyRuntime and Py_Version in the dynamic symbols (exported by every build
// that can load extension modules), else in .symtab.
std::optional<ElfSymbols> python_symbols(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  elf_version(EV_CURRENT);
  std::optional<ElfSymbols> found;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t phnum = 0;
  if (elf != nullptr && elf_getphdrnum(elf, &phnum) == 0) {
    ElfSymbols symbols;
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr phdr;
      if (gelf_getphdr(elf, i, &phdr) && phdr.p_type == PT_LOAD) {
        symbols.first_load_vaddr = phdr.p_vaddr & ~(phdr.p_align - 1);
        break;
      }
    }
    for (Elf_Scn* scn = nullptr; (scn = elf_nextscn(elf, scn)) != nullptr && !symbols.runtime;) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB)) continue;
      Elf_Data* data = elf_getdata(scn, nullptr);
      size_t count = shdr.sh_entsize ? shdr.sh_size / shdr.sh_entsize : 0;
      for (size_t i = 0; data != nullptr && i < count; ++i) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || sym.st_shndx == SHN_UNDEF) continue;
        const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (name == nullptr) continue;
        if (std::strcmp(name, "_PyRuntime") == 0) symbols.runtime = sym.st_value;
        if (std::strcmp(name, "Py_Version") == 0) symbols.version = sym.st_value;
      }
    }
    if (symbols.runtime) found = symbols;
  }
  if (elf) elf_end(elf);
  close(fd);
  return found;
}

std::optional<std::string> read_string(pid_t pid, uint64_t object) {
  namespace py = py311;
  uint8_t header[py::ascii_size];
  if (!read_memory(pid, object, header, sizeof header)) return std::nullopt;
  int64_t length;
  uint32_t state;
  std::memcpy(&length, header + py::ascii_length, sizeof length);
  std::memcpy(&state, header + py::ascii_state, sizeof state);
  unsigned kind = (state & py::state_kind_mask) / (py::state_kind_mask & -py::state_kind_mask);
  // Names and file names are compact strings; anything else is not a string we know.
  if (!(state & py::state_compact_mask) || length < 0 || length > 4096 || (kind != 1 && kind != 2 && kind != 4))
    return std::nullopt;
  bool ascii = state & py::state_ascii_mask;
  std::vector<uint8_t> data(static_cast<size_t>(length) * kind);
  if (!read_memory(pid, object + (ascii ? py::ascii_size : py::compact_size), data.data(), data.size()))
    return std::nullopt;
  std::string utf8;
  for (size_t i = 0; i < data.size(); i += kind) {
    uint32_t c = 0;
    std::memcpy(&c, &data[i], kind);  // little-endian: the low bytes are the character
    if (c < 0x80) {
      utf8 += static_cast<char>(c);
    } else if (c < 0x800) {
      utf8 += static_cast<char>(0xc0 | c >> 6);
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      utf8 += static_cast<char>(0xe0 | c >> 12);
      utf8 += static_cast<char>(0x80 | (c >> 6 & 0x3f));
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      utf8 += static_cast<char>(0xf0 | c >> 18);
      utf8 += static_cast<char>(0x80 | (c >> 12 & 0x3f));
      utf8 += static_cast<char>(0x80 | (c >> 6 & 0x3f));
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return utf8;
}

std::optional<std::string> read_bytes(pid_t pid, uint64_t object) {
  auto size = read_value<int64_t>(pid, object + py311::bytes_size);
  if (!size || *size < 0 || *size > (1 << 20)) return std::nullopt;
  std::string bytes(static_cast<size_t>(*size), '\0');
  if (!read_memory(pid, object + py311::bytes_sval, bytes.data(), bytes.size())) return std::nullopt;
  return bytes;
}

// The 3.11 location table (CPython's Objects/locations.md): entries of one
// header byte (bit 7 set, bits 3-6 the code, bits 0-2 the length in code
// units minus one) and varint operands of 6-bit chunks, bit 6 continuing.
struct TableReader {
  std::string_view table;
  size_t at = 0;

  uint64_t varint() {
    uint64_t value = 0;
    for (unsigned shift = 0; at < table.size(); shift += 6) {
      uint8_t byte = static_cast<uint8_t>(table[at++]);
      value |= static_cast<uint64_t>(byte & 63) << shift;
      if (!(byte & 64)) break;
    }
    return value;
  }
  int64_t svarint() {
    uint64_t value = varint();
    return value & 1 ? -static_cast<int64_t>(value >> 1) : static_cast<int64_t>(value >> 1);
  }
};

}  // namespace

std::optional<PythonRuntime> find_python_runtime(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  char exe[4096];
  ssize_t exe_size = readlink((proc + "/exe").c_str(), exe, sizeof exe - 1);
  auto snapshot = MappingSnapshot::read(pid, nullptr);
  if (exe_size <= 0 || !snapshot) return std::nullopt;
  std::string exe_path(exe, static_cast<size_t>(exe_size));
  std::vector<std::string> tried;
  for (const Mapping& m : snapshot->mappings) {
    bool candidate = m.path == exe_path || m.path.find("/libpython3.") != std::string::npos;
    if (!candidate || std::find(tried.begin(), tried.end(), m.path) != tried.end()) continue;
    tried.push_back(m.path);  // mappings are sorted: this is the file's lowest one
    auto symbols = python_symbols(m.path);
    if (!symbols) continue;
    uint64_t bias = m.start - m.pgoff - symbols->first_load_vaddr;
    PythonRuntime runtime{bias + *symbols->runtime, 0, m.path};
    if (symbols->version) runtime.version = read_value<uint64_t>(pid, bias + *symbols->version).value_or(0);
    return runtime;
  }
  return std::nullopt;
}

uint32_t python_line(std::string_view linetable, uint32_t firstlineno, int64_t index) {
  if (index < 0) return firstlineno;
  TableReader reader{linetable};
  int64_t line = firstlineno, unit = 0;
  while (reader.at < linetable.size()) {
    uint8_t header = static_cast<uint8_t>(linetable[reader.at++]);
    unsigned code = (header >> 3) & 15;
    int64_t length = (header & 7) + 1;
    bool no_line = false;
    switch (code) {
      case 15: no_line = true; break;  // no location
      case 14:                          // long form: line delta, end line delta, columns
        line += reader.svarint();
        reader.varint(), reader.varint(), reader.varint();
        break;
      case 13: line += reader.svarint(); break;  // no column
      case 10: case 11: case 12:                  // one line, delta code - 10, two column bytes
        line += code - 10;
        reader.at += 2;
        break;
      default: reader.at += 1; break;  // short form: same line, one column byte
    }
    if (index < unit + length) return no_line || line <= 0 ? 0 : static_cast<uint32_t>(line);
    unit += length;
  }
  return 0;
}

uint32_t python_frame_line(const PythonCode& code, uint64_t code_address, uint64_t prev_instr) {
  int64_t index = (static_cast<int64_t>(prev_instr) - static_cast<int64_t>(code_address + py311::code_code_adaptive)) / 2;
  return python_line(code.linetable, code.firstlineno, index);
}

const PythonCode* PythonCodeCache::get(pid_t pid, uint64_t code) {
  if (auto it = codes_.find(code); it != codes_.end()) return &it->second;
  uint8_t object[py311::code_code_adaptive];
  if (!read_memory(pid, code, object, sizeof object)) return nullptr;
  auto field = [&](uint64_t offset) {
    uint64_t value;
    std::memcpy(&value, object + offset, sizeof value);
    return value;
  };
  int32_t firstlineno;
  std::memcpy(&firstlineno, object + py311::code_firstlineno, sizeof firstlineno);
  auto qualname = read_string(pid, field(py311::code_qualname));
  auto filename = read_string(pid, field(py311::code_filename));
  auto linetable = read_bytes(pid, field(py311::code_linetable));
  if (!qualname || !filename || !linetable || firstlineno < 0) return nullptr;
  PythonCode read{std::move(*qualname), std::move(*filename), static_cast<uint32_t>(firstlineno), std::move(*linetable)};
  return &codes_.emplace(code, std::move(read)).first->second;
}

}  // namespace proclife::stacks
