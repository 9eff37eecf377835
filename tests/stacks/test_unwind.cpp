// Native unwinding on real stacks: unwind_fixture captures its own stack at
// c() (called from b(), from a(), from main) as the probe would, built with
// frame pointers, without, and stripped. Resolved from the copied window and
// the saved maps alone, the frames must be c, b, a, main, in that order.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "native.hpp"
#include "resolver.hpp"
#include "symbolize.hpp"
// After the project headers: the C library's signal macros (sa_handler) would rename ABI fields.
#include "child.hpp"

using namespace proclife;
using namespace proclife::stacks;

namespace {

struct Saved {
  StackCapture capture;
  std::string maps;
};

Saved load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string data(std::istreambuf_iterator<char>(in), {});
  REQUIRE(data.substr(0, 8) == "PLSTACK1");
  const char* at = data.data() + 8;
  auto u64 = [&] {
    uint64_t value;
    std::memcpy(&value, at, 8);
    at += 8;
    return value;
  };
  Saved saved;
  StackCapture& c = saved.capture;
  c.ip = u64(), c.sp = u64(), c.bp = u64(), c.bx = u64();
  c.r12 = u64(), c.r13 = u64(), c.r14 = u64(), c.r15 = u64();
  uint64_t size = u64();
  c.stack_truncated = u64() != 0;
  c.stack.assign(at, at + size);
  at += size;
  uint64_t maps_size = u64();
  saved.maps.assign(at, maps_size);
  return saved;
}

std::string fixture(const std::string& variant) { return std::string(STACKS_FIXTURE_DIR "/stacks_fixture_") + variant; }

// Runs a fixture to its capture; it stays alive until `child` is finished.
Saved capture(stacks_test::Child& child, const std::string& out) {
  REQUIRE(child.line() == "ready");
  return load(out);
}

// Unwinds and names the frames, as the resolver does.
NativeUnwind unwind(const Saved& saved, BuildIdCache* build_ids = nullptr) {
  auto snapshot = std::make_shared<const MappingSnapshot>(MappingSnapshot::parse(saved.maps, build_ids));
  NativeUnwind result = NativeUnwinder(1, snapshot).unwind(1, saved.capture);
  Symbolizer symbolizer;
  for (Frame& frame : result.frames) symbolizer.symbolize(frame);
  return result;
}

std::vector<std::string> symbols(const std::vector<Frame>& frames) {
  std::vector<std::string> names;
  for (const Frame& f : frames) names.push_back(f.symbol);
  return names;
}

// The address of a symbol in an ELF file, from nm.
uint64_t nm_address(const std::string& file, const std::string& symbol) {
  FILE* nm = popen(("nm " + file).c_str(), "r");
  char line[512];
  uint64_t address = 0;
  while (fgets(line, sizeof line, nm)) {
    unsigned long value;
    char type, name[400];
    if (sscanf(line, "%lx %c %399s", &value, &type, name) == 3 && symbol == name) address = value;
  }
  pclose(nm);
  return address;
}

std::string temp_path(const std::string& name) { return fmt::format("/tmp/proclife-stacks-{}-{}", getpid(), name); }

}  // namespace

TEST_CASE("a captured stack unwinds to c, b, a, main from the window and the saved maps", "[stacks]") {
  std::string variant = GENERATE("fp", "nofp");
  INFO("fixture built " << variant);
  std::string out = temp_path(variant);
  stacks_test::Child child({fixture(variant), out});
  Saved saved = capture(child, out);
  child.finish();  // gone: what follows needs only the capture and the maps text
  std::remove(out.c_str());

  BuildIdCache build_ids;
  NativeUnwind result = unwind(saved, &build_ids);
  auto names = symbols(result.frames);
  INFO(fmt::format("{}", fmt::join(names, " <- ")));
  REQUIRE(names.size() >= 4);
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) == std::vector<std::string>{"c", "b", "a", "main"});
  // The window holds the whole stack: the unwind reaches _start, libc's outermost frame.
  CHECK(result.outermost);
  CHECK_FALSE(result.outside_snapshot);
  const Frame& c = result.frames[0];
  CHECK(c.module == fixture(variant));
  CHECK(c.build_id == read_build_id(fixture(variant)));
  CHECK(c.build_id.size() == 40);
  CHECK(c.pc == saved.capture.ip);  // the innermost frame is at its pc, not one before
  uint64_t c_start = nm_address(fixture(variant), "c");
  CHECK(c.module_address > c_start);
  CHECK(c.module_address < c_start + 256);
  // Built with -g: the source line of each call.
  CHECK(result.frames[1].file.ends_with("tests/stacks/unwind_fixture.c"));
  CHECK(result.frames[1].line > 0);
  // Callers point into their call instruction (return address - 1).
  CHECK(result.frames[1].module_address > nm_address(fixture(variant), "b"));
}

TEST_CASE("a stripped binary's functions are named by their .eh_frame start", "[stacks]") {
  std::string out = temp_path("stripped");
  stacks_test::Child child({fixture("stripped"), out});
  Saved saved = capture(child, out);
  child.finish();
  std::remove(out.c_str());

  BuildIdCache build_ids;
  NativeUnwind result = unwind(saved, &build_ids);
  auto names = symbols(result.frames);
  INFO(fmt::format("{}", fmt::join(names, " <- ")));
  REQUIRE(names.size() >= 4);
  // The stripped copy is the -fomit-frame-pointer build: same addresses.
  std::vector<std::string> expected;
  for (const char* name : {"c", "b", "a", "main"})
    expected.push_back(fmt::format("fn@{:#x}", nm_address(fixture("nofp"), name)));
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 4) == expected);
  CHECK(result.outermost);
}

TEST_CASE("a window cut short marks the unwind as not reaching the outermost frame", "[stacks]") {
  std::string out = temp_path("cut");
  stacks_test::Child child({fixture("nofp"), out});
  Saved saved = capture(child, out);
  child.finish();
  std::remove(out.c_str());
  saved.capture.stack.resize(64);  // c's own frame only, at most

  BuildIdCache build_ids;
  NativeUnwind result = unwind(saved, &build_ids);
  CHECK_FALSE(result.outermost);
  REQUIRE_FALSE(result.frames.empty());
  CHECK(result.frames[0].symbol == "c");
  CHECK(result.frames.size() < 4);
}

TEST_CASE("the resolver reads a live process's maps, and a forked child unwinds after it is gone", "[stacks]") {
  std::string out = temp_path("resolver");
  stacks_test::Child child({fixture("fp"), out});
  Saved saved = capture(child, out);
  std::remove(out.c_str());
  auto pid = static_cast<uint32_t>(child.pid());
  ProcKey parent{pid, 1000}, forked{pid + 100000, 2000}, stranger{pid + 200000, 3000};
  bool alive = true;
  StackResolver resolver([&](const ProcKey& key) { return alive && key == parent; });

  Stack stack = resolver.resolve(TaskId{pid, pid, parent.start_ns}, saved.capture);
  REQUIRE(stack.frames.size() >= 4);
  CHECK(stack.frames[3].symbol == "main");
  CHECK_FALSE(stack.truncated);
  CHECK(stack.incomplete.empty());

  resolver.on_fork(parent, forked);
  child.finish();
  alive = false;
  // The child never had its maps read: it unwinds on its parent's snapshot.
  Stack child_stack = resolver.resolve(TaskId{forked.pid, forked.pid, forked.start_ns}, saved.capture);
  REQUIRE(child_stack.frames.size() >= 4);
  CHECK(child_stack.frames[3].symbol == "main");
  CHECK(resolver.processes() == 2);

  // Never seen and gone: only the pc, and why.
  Stack lost = resolver.resolve(TaskId{stranger.pid, stranger.pid, stranger.start_ns}, saved.capture);
  REQUIRE(lost.frames.size() == 1);
  CHECK(lost.frames[0].pc == saved.capture.ip);
  CHECK(lost.incomplete == "process gone before its maps were read");
  CHECK(lost.truncated);

  resolver.on_end(forked);
  resolver.on_exec(parent);
  CHECK(resolver.processes() == 0);
}

TEST_CASE("the offline symbolizer names frames from module and address alone, and only from the right file",
          "[stacks]") {
  std::string out = temp_path("offline");
  stacks_test::Child child({fixture("nofp"), out});
  Saved saved = capture(child, out);
  child.finish();
  std::remove(out.c_str());
  BuildIdCache build_ids;
  NativeUnwind live = unwind(saved, &build_ids);
  REQUIRE(live.frames.size() >= 4);

  Symbolizer symbolizer;
  for (size_t i = 0; i < 4; ++i) {
    Frame recorded = live.frames[i];
    recorded.symbol.clear(), recorded.file.clear(), recorded.line = 0;
    recorded.pc = 0;  // the recording's pc means nothing offline
    CHECK(symbolizer.symbolize(recorded));
    CHECK(recorded.symbol == live.frames[i].symbol);
    CHECK(recorded.line == live.frames[i].line);
  }
  // The file at that path is another build now, and no debug file has the
  // recorded build-id: no name rather than a wrong one.
  Frame moved = live.frames[0];
  moved.build_id = std::string(40, 'e');
  moved.symbol = "kept";
  CHECK_FALSE(symbolizer.symbolize(moved));
  CHECK(moved.symbol == "kept");
}

TEST_CASE("unwind cost: a first process, warm, another process of the same files", "[stacks][!benchmark]") {
  std::string out = temp_path("bench");
  stacks_test::Child child({fixture("nofp"), out});
  Saved saved = capture(child, out);
  child.finish();
  std::remove(out.c_str());
  using clock = std::chrono::steady_clock;
  auto us = [](auto d) { return std::chrono::duration<double, std::micro>(d).count(); };
  BuildIdCache build_ids;
  Symbolizer symbolizer;
  // What the resolver does for a process it has not seen: maps, libdwfl, unwind, names.
  auto resolve = [&](NativeUnwinder& unwinder) {
    NativeUnwind result = unwinder.unwind(1, saved.capture);
    for (Frame& frame : result.frames) symbolizer.symbolize(frame);
    return result;
  };
  auto t0 = clock::now();
  auto snapshot = std::make_shared<const MappingSnapshot>(MappingSnapshot::parse(saved.maps, &build_ids));
  auto unwinder = std::make_unique<NativeUnwinder>(1, snapshot);
  auto t1 = clock::now();
  resolve(*unwinder);
  auto t2 = clock::now();
  const int rounds = 1000;
  for (int i = 0; i < rounds; ++i) resolve(*unwinder);
  auto t3 = clock::now();
  auto again = std::make_shared<const MappingSnapshot>(MappingSnapshot::parse(saved.maps, &build_ids));
  NativeUnwinder other(2, again);
  CHECK(resolve(other).frames.size() >= 4);
  auto t4 = clock::now();
  WARN(fmt::format("first process: maps and libdwfl {:.0f} us, first unwind and names {:.0f} us; warm: {:.1f} us "
                   "an unwind; another process of the same files: {:.0f} us",
                   us(t1 - t0), us(t2 - t1), us(t3 - t2) / rounds, us(t4 - t3)));
}
