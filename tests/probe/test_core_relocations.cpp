// The probe objects' CO-RE relocations, read from their .BTF.ext, against the
// kernel's cache of relocation candidates (kernel/bpf/btf.c,
// vmlinux_cand_cache): one type per slot, 31 slots, slot = jhash of the type's
// essential name. Two relocated types in one slot evict each other, and every
// load of the probe then searches the kernel's whole BTF again for both
// (~1 ms each on the development VM): start-up paid on every run. No root, no
// kernel: the objects are the build's.
#include <bpf/btf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

uint32_t rotate_left(uint32_t word, int shift) { return (word << shift) | (word >> (32 - shift)); }

// linux/jhash.h: Bob Jenkins' lookup3 hashlittle, as the kernel has it.
uint32_t kernel_jhash(const std::string& key, uint32_t initval = 0) {
  auto mix = [](uint32_t& a, uint32_t& b, uint32_t& c) {
    a -= c, a ^= rotate_left(c, 4), c += b;
    b -= a, b ^= rotate_left(a, 6), a += c;
    c -= b, c ^= rotate_left(b, 8), b += a;
    a -= c, a ^= rotate_left(c, 16), c += b;
    b -= a, b ^= rotate_left(a, 19), a += c;
    c -= b, c ^= rotate_left(b, 4), b += a;
  };
  auto final_mix = [](uint32_t& a, uint32_t& b, uint32_t& c) {
    c ^= b, c -= rotate_left(b, 14);
    a ^= c, a -= rotate_left(c, 11);
    b ^= a, b -= rotate_left(a, 25);
    c ^= b, c -= rotate_left(b, 16);
    a ^= c, a -= rotate_left(c, 4);
    b ^= a, b -= rotate_left(a, 14);
    c ^= b, c -= rotate_left(b, 24);
  };
  auto word = [&](size_t at) {
    uint32_t w = 0;
    for (size_t i = 0; i < 4 && at + i < key.size(); ++i) w |= uint32_t(uint8_t(key[at + i])) << (8 * i);
    return w;
  };
  uint32_t a, b, c;
  a = b = c = 0xdeadbeef + uint32_t(key.size()) + initval;
  size_t at = 0, left = key.size();
  for (; left > 12; left -= 12, at += 12) {
    a += word(at), b += word(at + 4), c += word(at + 8);
    mix(a, b, c);
  }
  if (left == 0) return c;
  a += word(at), b += word(at + 4), c += word(at + 8);
  final_mix(a, b, c);
  return c;
}

// kernel/bpf/btf.c: bpf_core_essential_name_len(), a name up to its last
// flavour separator (X___Y, neither X nor Y an underscore).
std::string essential_name(const std::string& name) {
  for (size_t i = name.size() >= 5 ? name.size() - 5 + 1 : 0; i-- > 0;) {
    if (name[i] != '_' && name.compare(i + 1, 3, "___") == 0 && name[i + 4] != '_') return name.substr(0, i + 1);
  }
  return name;
}

// kernel/bpf/btf.c: hash_cands(), of the essential name.
unsigned cand_cache_slot(const std::string& type_name) {
  constexpr unsigned vmlinux_cand_cache_size = 31;
  return kernel_jhash(essential_name(type_name)) % vmlinux_cand_cache_size;
}

// One ELF section's bytes, by name (libbpf's btf_ext raw-data accessor is not
// exported by every libbpf 1.x).
std::vector<uint8_t> elf_section(const std::string& object, const std::string& name) {
  REQUIRE(elf_version(EV_CURRENT) != EV_NONE);
  int fd = open(object.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  REQUIRE(elf);
  size_t names_index = 0;
  REQUIRE(elf_getshdrstrndx(elf, &names_index) == 0);
  std::vector<uint8_t> bytes;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section; section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (!gelf_getshdr(section, &header)) continue;
    const char* section_name = elf_strptr(elf, names_index, header.sh_name);
    if (!section_name || name != section_name) continue;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data && data->d_buf) {
      auto begin = static_cast<const uint8_t*>(data->d_buf);
      bytes.assign(begin, begin + data->d_size);
    }
  }
  elf_end(elf);
  close(fd);
  return bytes;
}

// A cache entry: a type's essential name and BTF kind.
using CacheEntry = std::pair<std::string, unsigned>;

// The entries an object's CO-RE relocations ask the kernel for (every kind of
// relocation but a local type id, which needs no candidates).
std::set<CacheEntry> relocated_types(const std::string& object) {
  btf* types = btf__parse_elf(object.c_str(), nullptr);
  REQUIRE(types);
  std::vector<uint8_t> raw = elf_section(object, ".BTF.ext");
  auto u32_at = [&](size_t at) {
    REQUIRE(at + 4 <= raw.size());
    uint32_t v;
    std::memcpy(&v, raw.data() + at, sizeof v);
    return v;
  };
  // struct btf_ext_header: magic, version, flags, hdr_len, then (offset,
  // length) of func_info, line_info and core_relo, from the header's end.
  REQUIRE(raw.size() >= 32);
  uint16_t magic;
  std::memcpy(&magic, raw.data(), sizeof magic);
  REQUIRE(magic == 0xeB9F);
  uint32_t header_len = u32_at(4);
  REQUIRE(header_len >= 32);
  size_t begin = header_len + u32_at(24), end = begin + u32_at(28);
  REQUIRE(end <= raw.size());
  uint32_t record_size = u32_at(begin);
  REQUIRE(record_size >= sizeof(bpf_core_relo));
  std::set<CacheEntry> entries;
  // Per ELF section: sec_name_off, num_info, then num_info records.
  for (size_t at = begin + 4; at < end;) {
    REQUIRE(at + 8 <= end);
    uint32_t count = u32_at(at + 4);
    at += 8;
    for (uint32_t i = 0; i < count; ++i, at += record_size) {
      bpf_core_relo relo;
      REQUIRE(at + sizeof relo <= end);
      std::memcpy(&relo, raw.data() + at, sizeof relo);
      if (relo.kind == BPF_CORE_TYPE_ID_LOCAL) continue;
      const btf_type* type = btf__type_by_id(types, relo.type_id);
      REQUIRE(type);
      const char* name = btf__name_by_offset(types, type->name_off);
      REQUIRE(name);
      entries.emplace(essential_name(name), btf_kind(type));
    }
  }
  btf__free(types);
  return entries;
}

// Every BPF object the build links (gen/<stem>.o: the full object and each
// light skeleton's), so a new variant is checked without naming it here.
std::vector<std::string> probe_objects() {
  std::vector<std::string> objects;
  for (const auto& entry : std::filesystem::directory_iterator(PROCLIFE_BPF_GEN_DIR)) {
    std::string file = entry.path().filename();
    if (file.size() > 2 && file.ends_with(".o") && !file.ends_with(".bpf.o")) objects.push_back(entry.path());
  }
  return objects;
}

}  // namespace

TEST_CASE("the candidate cache's slots are the kernel's") {
  // As the 6.18 kernel's verifier log showed them (BPF_LOG_LEVEL2 prints the cache).
  const std::map<std::string, unsigned> seen = {
      {"pid", 0},           {"kernfs_node", 1},    {"bpf_prog_aux", 3},   {"css_set", 4},   {"kernel_siginfo", 8},
      {"cgroup", 11},       {"upid", 12},          {"btf", 13},           {"signal_struct", 19},
      {"k_sigaction", 20},  {"sighand_struct", 22}, {"task_struct", 24},  {"bpf_prog", 26}, {"pt_regs", 28}};
  for (const auto& [name, slot] : seen) {
    INFO(name);
    CHECK(cand_cache_slot(name) == slot);
  }
  CHECK(essential_name("task_struct___since_6_4") == "task_struct");
  CHECK(essential_name("a___b___c") == "a___b");
  CHECK(essential_name("__u64") == "__u64");
  CHECK(essential_name("x____y") == "x____y");
}

TEST_CASE("no two types the probe relocates share a candidate-cache slot, but pid and pid_namespace") {
  // exit's new-reaper lookup needs both; every other pair is avoided
  // (bpf/proclife.bpf.c: struct saved_regs, bpf_get_current_cgroup_id()).
  const std::set<std::string> known_pair = {"pid", "pid_namespace"};
  auto objects = probe_objects();
  CHECK(objects.size() >= 7);  // the full object and six light skeletons
  for (const auto& object : objects) {
    INFO(object);
    auto entries = relocated_types(object);
    CHECK(entries.count({"task_struct", BTF_KIND_STRUCT}));
    std::map<unsigned, std::set<CacheEntry>> by_slot;
    for (const auto& entry : entries) by_slot[cand_cache_slot(entry.first)].insert(entry);
    for (const auto& [slot, sharing] : by_slot) {
      if (sharing.size() < 2) continue;
      std::set<std::string> names;
      std::string listed;
      for (const auto& [name, kind] : sharing) names.insert(name), listed += name + " ";
      INFO("slot " << slot << ": " << listed);
      CHECK(sharing.size() == known_pair.size());
      CHECK(names == known_pair);
    }
  }
}
