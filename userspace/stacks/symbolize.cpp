#include "symbolize.hpp"

#include <cxxabi.h>
#include <elfutils/libdw.h>
#include <fmt/format.h>
#include <gelf.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "mappings.hpp"

namespace proclife::stacks {

const Dwfl_Callbacks& dwfl_callbacks() {
  static char* debuginfo_path = nullptr;  // the default: .debug, /usr/lib/debug
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dwfl_build_id_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = dwfl_offline_section_address,
      .debuginfo_path = &debuginfo_path,
  };
  return callbacks;
}

namespace {

std::string demangled(const char* name) {
  // Only C++ names: a C function called "c" would otherwise demangle as the type "char".
  if (std::strncmp(name, "_Z", 2) != 0) return name;
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) return name;
  std::string result(out);
  free(out);
  return result;
}

// The start (ELF address) of the .eh_frame FDE that covers pc: the function's
// entry, even when no symbol is left. From the sorted table of FDE starts in
// .eh_frame_hdr (PT_GNU_EH_FRAME, so stripped files have it too), in the
// encoding every linker writes (4-byte starts relative to the table).
std::optional<uint64_t> fde_start(Dwfl_Module* mod, Dwarf_Addr pc) {
  Dwarf_Addr bias = 0, cfi_bias = 0;
  Dwarf_Frame* frame = nullptr;
  Dwarf_CFI* cfi = dwfl_module_eh_cfi(mod, &cfi_bias);
  if (cfi == nullptr || dwarf_cfi_addrframe(cfi, pc - cfi_bias, &frame) != 0) return std::nullopt;
  free(frame);  // an FDE covers pc: the table's entry at or below pc is its start
  Elf* elf = dwfl_module_getelf(mod, &bias);
  size_t phnum = 0;
  if (elf == nullptr || elf_getphdrnum(elf, &phnum) != 0) return std::nullopt;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_GNU_EH_FRAME) continue;
    Elf_Data* data = elf_getdata_rawchunk(elf, static_cast<int64_t>(phdr.p_offset), phdr.p_filesz, ELF_T_BYTE);
    if (data == nullptr || data->d_size < 12) return std::nullopt;
    auto* hdr = static_cast<const uint8_t*>(data->d_buf);
    // version 1; fde_count udata4; table datarel sdata4
    if (hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b) return std::nullopt;
    uint32_t count;
    std::memcpy(&count, hdr + 8, 4);
    if (12 + uint64_t{count} * 8 > data->d_size) return std::nullopt;
    auto start_of = [&](uint32_t i) {
      int32_t relative;
      std::memcpy(&relative, hdr + 12 + uint64_t{i} * 8, 4);
      return phdr.p_vaddr + static_cast<int64_t>(relative);
    };
    uint64_t address = pc - bias;
    uint32_t low = 0, high = count;  // the last start <= address is in [low, high)
    while (high - low > 1) {
      uint32_t mid = low + (high - low) / 2;
      (start_of(mid) <= address ? low : high) = mid;
    }
    if (count == 0 || start_of(low) > address) return std::nullopt;
    return start_of(low);
  }
  return std::nullopt;
}

}  // namespace

void describe(Dwfl_Module* mod, Dwarf_Addr pc, Frame& frame, bool lines) {
  GElf_Off offset = 0;
  GElf_Sym sym;
  if (const char* name = dwfl_module_addrinfo(mod, pc, &offset, &sym, nullptr, nullptr, nullptr)) {
    frame.symbol = demangled(name);
  } else if (auto start = fde_start(mod, pc)) {
    frame.symbol = fmt::format("fn@{:#x}", *start);
  }
  if (!lines) return;
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc)) {
    int lineno = 0;
    if (const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr)) {
      frame.file = file;
      frame.line = lineno > 0 ? static_cast<uint32_t>(lineno) : 0;
    }
  }
}

// One file reported alone, at its own ELF addresses: runtime address =
// module_address + bias.
struct Symbolizer::Module {
  struct Names {
    std::string symbol, file;
    uint32_t line = 0;
    bool lines_read = false;
  };
  static constexpr size_t max_names = 1 << 16;  // then start over: bounded memory

  Dwfl* dwfl = nullptr;
  Dwfl_Module* mod = nullptr;
  Dwarf_Addr bias = 0;
  std::unordered_map<uint64_t, Names> names;  // by module address
  ~Module() {
    if (dwfl) dwfl_end(dwfl);
  }
};

Symbolizer::Symbolizer() = default;
Symbolizer::~Symbolizer() = default;

Symbolizer::Module* Symbolizer::module_for(const Frame& frame) {
  const std::string& key = frame.build_id.empty() ? frame.module : frame.build_id;
  auto it = modules_.find(key);
  if (it != modules_.end()) return it->second.get();
  auto module = std::make_unique<Module>();
  // The file at `module` when it is still the one recorded, else its debug file
  // by build-id; neither: no names rather than wrong ones.
  std::string file = frame.module;
  if (!frame.build_id.empty() && read_build_id(file) != frame.build_id)
    file = fmt::format("/usr/lib/debug/.build-id/{}/{}.debug", frame.build_id.substr(0, 2), frame.build_id.substr(2));
  if (frame.build_id.empty() || read_build_id(file) == frame.build_id) {
    module->dwfl = dwfl_begin(&dwfl_callbacks());
    dwfl_report_begin(module->dwfl);
    module->mod = dwfl_report_elf(module->dwfl, frame.module.c_str(), file.c_str(), -1, 0, false);
    dwfl_report_end(module->dwfl, nullptr, nullptr);
    if (module->mod != nullptr) dwfl_module_getelf(module->mod, &module->bias);
  }
  return modules_.emplace(key, std::move(module)).first->second.get();
}

bool Symbolizer::symbolize(Frame& frame, bool lines) {
  if (frame.kind != Frame::Kind::native || frame.module.empty()) return false;
  Module* module = module_for(frame);
  if (module->mod == nullptr) return false;
  auto it = module->names.find(frame.module_address);
  if (it == module->names.end() || (lines && !it->second.lines_read)) {
    if (module->names.size() == Module::max_names) module->names.clear();
    Frame named;
    describe(module->mod, frame.module_address + module->bias, named, lines);
    it = module->names.insert_or_assign(frame.module_address, Module::Names{named.symbol, named.file, named.line, lines})
             .first;
  }
  if (it->second.symbol.empty()) return false;
  frame.symbol = it->second.symbol;
  if (it->second.lines_read) {
    frame.file = it->second.file;
    frame.line = it->second.line;
  }
  return true;
}

}  // namespace proclife::stacks
