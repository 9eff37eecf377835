// The session's resolver: turns a StackCapture into a Stack while the
// process's mappings are known, keeping per process (pid, start time) one
// mapping snapshot, the libdwfl session built from it and its Python code
// objects. Fed by the event stream: a fork copies them to the child, an exec
// or the end of the process drops them, so memory follows the live processes.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include "events.hpp"
#include "mappings.hpp"
#include "python.hpp"
#include "stack.hpp"
#include "symbolize.hpp"

namespace proclife::stacks {

class NativeUnwinder;

struct ProcKeyHash {
  size_t operator()(const ProcKey& key) const { return std::hash<uint64_t>()(key.start_ns * 31 + key.pid); }
};

class StackResolver {
 public:
  // Whether pid is still the process `key` names (its start time matches):
  // /proc is read only then, never for a stranger that reused the pid. The
  // session's clock conversion lives in the app (same_start in proc_identity).
  using IsAlive = std::function<bool(const ProcKey&)>;

  explicit StackResolver(IsAlive is_alive);
  ~StackResolver();
  StackResolver(const StackResolver&) = delete;
  StackResolver& operator=(const StackResolver&) = delete;

  Stack resolve(const TaskId& task, const StackCapture& capture);

  // The child of a fork has its parent's address space: it shares the
  // parent's snapshot and unwinder (read now if not yet) and gets a copy of
  // its code objects, so it unwinds even when it exits before its maps could
  // be read.
  void on_fork(const ProcKey& parent, const ProcKey& child);
  void on_exec(const ProcKey& key);
  void on_end(const ProcKey& key);

  size_t processes() const { return processes_.size(); }
  // File and line of a resolved stack's native frames (slow: debug info).
  void add_lines(Stack& stack) {
    for (Frame& frame : stack.frames) symbolizer_.symbolize(frame, true);
  }

 private:
  struct Process {
    std::shared_ptr<NativeUnwinder> unwinder;
    PythonCodeCache codes;
  };
  // Reads the maps of a live process into a new unwinder; false when the
  // process is gone (or is not `key` any more).
  bool read_maps(const ProcKey& key, Process& process);

  IsAlive is_alive_;
  BuildIdCache build_ids_;
  Symbolizer symbolizer_;  // for every process: names depend on the file only
  std::unordered_map<ProcKey, Process, ProcKeyHash> processes_;
};

}  // namespace proclife::stacks
