#include "stack_stage.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <iostream>

#include "proc_identity.hpp"
#include "python.hpp"

namespace proclife {
namespace {

bool still_running(const ProcKey& key) {
  auto stat = read_proc_stat(static_cast<pid_t>(key.pid));
  return stat && same_start(key.start_ns, stat->start_ticks);
}

std::string python_version(uint64_t hex) {
  return fmt::format("{}.{}", (hex >> 24) & 0xff, (hex >> 16) & 0xff);
}

}  // namespace

StackStage::StackStage(Probe& probe, bool verbose)
    : probe_(probe), verbose_(verbose), resolver_(still_running) {
  // libdw would otherwise ask a debuginfod server about every build-id it
  // meets: names of what runs here, sent over the network, and a stall in
  // the middle of a trace. Local debug info only.
  unsetenv("DEBUGINFOD_URLS");
}

void StackStage::prepare(Event& event) {
  // A stack is an extra: whatever goes wrong resolving one (a /proc file
  // gone mid-read, a broken ELF file) costs that stack, never the trace.
  try {
    resolve(event);
  } catch (const std::exception& error) {
    if (auto* stack = std::get_if<StackEvent>(&event.body)) {
      stack->stack = Stack{};
      stack->stack.incomplete = std::string("could not be resolved: ") + error.what();
      stack->capture = {};
    }
  }
}

void StackStage::resolve(Event& event) {
  // Only four kinds matter here, and `stack` must be changed in place: not
  // the exhaustive dispatch() the graph uses.
  ProcKey process = event.task.process();
  if (const auto* fork = std::get_if<ForkEvent>(&event.body)) {
    resolver_.on_fork(process, fork->child.process());
  } else if (std::holds_alternative<ExecEvent>(event.body)) {
    resolver_.on_exec(process);
    register_python(process);
  } else if (const auto* exit = std::get_if<ExitEvent>(&event.body)) {
    if (exit->group_dead) resolver_.on_end(process);
  } else if (auto* stack = std::get_if<StackEvent>(&event.body)) {
    stack->stack = resolver_.resolve(event.task, stack->capture);
    stack->capture = {};
  }
}

void StackStage::add_lines(Graph& graph) {
  graph.visit_stacks([this](Stack& stack) { resolver_.add_lines(stack); });
}

void StackStage::seed(pid_t pid) {
  auto runtime = stacks::find_python_runtime(pid);
  if (runtime && runtime->supported()) probe_.set_python_runtime(static_cast<uint32_t>(pid), runtime->runtime_address);
}

void StackStage::register_python(const ProcKey& key) {
  if (!still_running(key)) return;
  auto runtime = stacks::find_python_runtime(static_cast<pid_t>(key.pid));
  if (!runtime) return;
  if (runtime->supported()) {
    probe_.set_python_runtime(key.pid, runtime->runtime_address);
    if (verbose_)
      std::cerr << fmt::format("proclife: stacks: {} ({}) is CPython {}: Python frames on\n", key.pid, runtime->module,
                               python_version(runtime->version));
    return;
  }
  if (unsupported_reported_.insert(runtime->version).second)
    std::cerr << fmt::format(
        "proclife: --stacks: {} is Python {}, whose frames proclife cannot read (CPython 3.11 only): native frames "
        "only\n",
        runtime->module, runtime->version ? python_version(runtime->version) : std::string("older than 3.11"));
}

}  // namespace proclife
