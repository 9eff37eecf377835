// --stacks on the real kernel: the probe, driven directly (a Python runtime
// is registered through its API), records the user stack at a wait, a fork
// and exit_group, and a CPython 3.11 process's frames at its os.waitpid().
// The ABI header first: <signal.h> defines sa_handler as a macro, which
// would rename a field of pl_signal_event.
#include "decode.hpp"
#include "harness.hpp"
#include "probe.hpp"
#include "python_runtime.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

using namespace proclife;
using namespace proclife::ktest;

namespace {

struct Run {
  pid_t pid = 0;
  std::vector<Mapping> maps;  // the workload's, read at its "ready"
  uint64_t start_stack = 0;   // its initial sp (argc, with auxv above): every frame is below
  std::vector<Event> events;
  size_t decode_errors = 0;
  uint64_t lost = 0;

  std::vector<const Event*> of(uint32_t tgid) const {
    std::vector<const Event*> out;
    for (const auto& e : events)
      if (e.task.tgid == tgid) out.push_back(&e);
    return out;
  }
  template <class Body>
  const Body* first(uint32_t tgid, const Event** event = nullptr) const {
    for (const auto* e : of(tgid))
      if (const auto* body = std::get_if<Body>(&e->body)) {
        if (event) *event = e;
        return body;
      }
    return nullptr;
  }
  const StackEvent* stack(uint32_t tgid, StackSite site) const {
    for (const auto* e : of(tgid))
      if (const auto* s = std::get_if<StackEvent>(&e->body); s && s->site == site) return s;
    return nullptr;
  }
};

// Starts argv with pipes on stdin and stdout, follows it, waits for its
// "ready" line, calls `at_ready`, sends the go byte and collects everything
// the probe recorded until it has exited.
Run run_workload(bool stacks, const std::vector<std::string>& argv,
                 const std::function<void(Probe&, Run&)>& at_ready = {}) {
  Run run;
  ProbeOptions options;
  options.stacks = stacks;
  Probe probe(options, [&run](const void* data, size_t size) {
    if (auto event = decode_record(data, size)) run.events.push_back(std::move(*event));
    else ++run.decode_errors;
  });
  int to_child[2], from_child[2];
  REQUIRE(pipe(to_child) == 0);
  REQUIRE(pipe(from_child) == 0);
  run.pid = fork();
  REQUIRE(run.pid >= 0);
  if (run.pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  probe.track(run.pid);
  close(to_child[0]);
  close(from_child[1]);
  char ready[6] = {};
  REQUIRE(read(from_child[0], ready, sizeof ready) == sizeof ready);
  run.maps = read_maps(run.pid);
  run.start_stack = start_stack(run.pid);
  if (at_ready) at_ready(probe, run);
  REQUIRE(write(to_child[1], "g", 1) == 1);
  int status = -1;
  REQUIRE(waitpid(run.pid, &status, 0) == run.pid);
  close(to_child[1]);
  close(from_child[0]);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Every record is in the ring once the process has exited; take them all.
  for (int i = 0; i < 5; ++i) {
    probe.consume();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.lost = probe.lost_events();
  return run;
}

const Mapping* mapping_of(const Run& run, uint64_t address) {
  for (const auto& m : run.maps)
    if (address >= m.start && address < m.end) return &m;
  return nullptr;
}

bool in_text_of(const Run& run, uint64_t address, const std::string& name) {
  const auto* m = mapping_of(run, address);
  return m && m->perms.find('x') != std::string::npos && m->path.find(name) != std::string::npos;
}

// The capture's basics: ip in code of the workload or libc, sp in the main
// thread's stack, and a copy that holds every frame unless it was cut. It
// need not reach the mapping's end: exec leaves a random gap below the
// argument strings, and a page of it never touched is where the copy stops.
void check_native(const Run& run, const StackEvent& stack, const std::string& binary) {
  const auto& c = stack.capture;
  INFO("ip " << std::hex << c.ip << " sp " << c.sp << " start_stack " << run.start_stack << std::dec
             << " stack_len " << c.stack.size());
  CHECK((in_text_of(run, c.ip, binary) || in_text_of(run, c.ip, "libc")));
  const auto* stack_map = mapping_of(run, c.sp);
  REQUIRE(stack_map);
  CHECK(stack_map->path == "[stack]");
  REQUIRE_FALSE(c.stack.empty());
  CHECK(c.sp + c.stack.size() <= stack_map->end);
  if (c.stack_truncated) {
    CHECK(c.stack.size() == PL_STACK_MAX);
  } else {
    CHECK((c.sp + c.stack.size()) % 4096 == 0);  // stopped at a page it could not read
    CHECK(c.sp + c.stack.size() > run.start_stack);
  }
}

bool holds_return_address_into(const Run& run, const StackEvent& stack, const std::string& binary) {
  const auto& bytes = stack.capture.stack;
  for (size_t at = 0; at + 8 <= bytes.size(); at += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + at, 8);
    if (in_text_of(run, word, binary)) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("stack records: a wait, a fork and both exit_group calls come with the caller's stack", "[vm][stacks]") {
  require_root();
  auto run = run_workload(true, {workload("stacks")});
  CHECK(run.decode_errors == 0);
  CHECK(run.lost == 0);
  uint32_t pid = run.pid;

  const Event* fork_event = nullptr;
  const auto* fork = run.first<ForkEvent>(pid, &fork_event);
  REQUIRE(fork);
  const auto* fork_stack = run.stack(pid, StackSite::fork);
  REQUIRE(fork_stack);
  CHECK(fork_stack->site_ns == fork_event->ns);
  check_native(run, *fork_stack, "stacks");
  CHECK(holds_return_address_into(run, *fork_stack, "stacks"));
  CHECK(fork_stack->capture.python_walk == PythonWalk::not_python);
  CHECK(fork_stack->capture.python.empty());

  const Event* wait_enter = nullptr;
  REQUIRE(run.first<WaitEnterEvent>(pid, &wait_enter));
  const Event* wait_exit = nullptr;
  REQUIRE(run.first<WaitExitEvent>(pid, &wait_exit));
  const auto* wait_stack = run.stack(pid, StackSite::wait);
  REQUIRE(wait_stack);
  CHECK(wait_stack->site_ns == wait_enter->ns);
  CHECK(wait_exit->ns >= wait_stack->site_ns);
  check_native(run, *wait_stack, "stacks");
  CHECK(holds_return_address_into(run, *wait_stack, "stacks"));

  // The child was forked from the parent's mappings, so they hold for it too.
  for (uint32_t tgid : {pid, fork->child.tgid}) {
    INFO("exit_group of " << tgid);
    const auto* exit_stack = run.stack(tgid, StackSite::exit_group);
    REQUIRE(exit_stack);
    check_native(run, *exit_stack, "stacks");
    CHECK(in_text_of(run, exit_stack->capture.ip, "libc"));  // the syscall is made in libc
  }
}

TEST_CASE("without --stacks no stack record is sent", "[vm][stacks]") {
  require_root();
  auto run = run_workload(false, {workload("stacks")});
  REQUIRE(run.first<ForkEvent>(run.pid));
  REQUIRE(run.first<WaitEnterEvent>(run.pid));
  for (const auto& event : run.events) CHECK_FALSE(std::holds_alternative<StackEvent>(event.body));
}

TEST_CASE("stack records walk a CPython 3.11 process's frames at os.waitpid and os.fork", "[vm][stacks]") {
  require_root();
  const char* script =
      "import os, sys\n"
      "def inner():\n"
      "    pid = os.fork()\n"
      "    if pid == 0:\n"
      "        os._exit(0)\n"
      "    os.waitpid(pid, 0)\n"
      "def outer():\n"
      "    inner()\n"
      "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
      "sys.stdin.read(1)\n"
      "outer()\n";
  auto run = run_workload(true, {"/usr/bin/python3.11", "-c", script}, [](Probe& probe, Run& ready) {
    uint64_t runtime = python_runtime_address(ready.pid);
    REQUIRE(runtime != 0);
    probe.set_python_runtime(ready.pid, runtime);
  });
  CHECK(run.decode_errors == 0);
  for (auto site : {StackSite::wait, StackSite::fork}) {
    INFO("site " << int(site));
    const auto* stack = run.stack(run.pid, site);
    REQUIRE(stack);
    const auto& py = stack->capture.python;
    CHECK(stack->capture.python_walk == PythonWalk::complete);
    // inner, outer, <module>: the module frame is where the evaluator was entered.
    REQUIRE(py.size() == 3);
    CHECK(py[2].is_entry);
    CHECK_FALSE(py[0].is_entry);
    CHECK(py[0].code != py[1].code);
    CHECK(py[1].code != py[2].code);
    for (const auto& frame : py) {
      CHECK(mapping_of(run, frame.code));  // code objects existed before "ready"
      CHECK(frame.prev_instr != 0);
      CHECK(frame.owner == 0);  // FRAME_OWNED_BY_THREAD
    }
    CHECK_FALSE(stack->capture.stack.empty());
  }
}
