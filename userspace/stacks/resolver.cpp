#include "resolver.hpp"

#include "merge.hpp"
#include "native.hpp"

namespace proclife::stacks {
namespace {

void explain(Stack& stack, const char* why) {
  if (!stack.incomplete.empty()) stack.incomplete += "; ";
  stack.incomplete += why;
}

}  // namespace

StackResolver::StackResolver(IsAlive is_alive) : is_alive_(std::move(is_alive)) {}
StackResolver::~StackResolver() = default;

bool StackResolver::read_maps(const ProcKey& key, Process& process) {
  if (!is_alive_(key)) return false;
  auto snapshot = MappingSnapshot::read(static_cast<pid_t>(key.pid), &build_ids_);
  // Checked again after the read: the maps read were those of `key`.
  if (!snapshot || !is_alive_(key)) return false;
  process.unwinder = std::make_shared<NativeUnwinder>(static_cast<pid_t>(key.pid),
                                                      std::make_shared<const MappingSnapshot>(std::move(*snapshot)));
  return true;
}

Stack StackResolver::resolve(const TaskId& task, const StackCapture& capture) {
  Stack stack;
  const ProcKey key = task.process();
  auto [entry, inserted] = processes_.try_emplace(key);
  Process& process = entry->second;
  bool fresh = false;
  if (!process.unwinder) fresh = read_maps(key, process);

  NativeUnwind native;
  if (process.unwinder) {
    native = process.unwinder->unwind(static_cast<pid_t>(task.tid), capture);
    // Code mapped since the snapshot (dlopen): read the maps again, once.
    if (native.outside_snapshot && !fresh && read_maps(key, process))
      native = process.unwinder->unwind(static_cast<pid_t>(task.tid), capture);
  } else {
    explain(stack, "process gone before its maps were read");
  }
  if (native.frames.empty()) native.frames.push_back(Frame{.pc = capture.ip});

  std::vector<PythonFrame> python;
  std::optional<bool> alive;  // asked once, and only if a code object must be read
  bool unread = false;
  for (const PythonFrameRaw& raw : capture.python) {
    PythonFrame& frame = python.emplace_back();
    frame.frame.kind = Frame::Kind::python;
    frame.is_entry = raw.is_entry;
    const PythonCode* code = process.codes.cached(raw.code);
    if (!code) {
      if (!alive) alive = is_alive_(key);
      if (*alive) code = process.codes.get(static_cast<pid_t>(key.pid), raw.code);
    }
    if (code == nullptr) {
      unread = true;
      continue;
    }
    frame.frame.symbol = code->qualname;
    frame.frame.file = code->filename;
    frame.frame.line = python_frame_line(*code, raw.code, raw.prev_instr);
  }
  if (unread) explain(stack, "Python code objects could not be read");
  if (capture.python_walk == PythonWalk::no_thread_state) explain(stack, "no Python thread state for this thread");
  if (capture.python_walk == PythonWalk::read_failed) explain(stack, "Python frames could not be read");

  // Names after the code objects: they need only the files, while the code
  // objects need the process. Names only: the Python merge looks for the
  // interpreter loop by name; file and line wait until the trace is over
  // (add_lines), since loading a file's debug info can take long enough for
  // the next captures' processes to be gone before they are read.
  for (Frame& frame : native.frames) symbolizer_.symbolize(frame, false);

  stack.frames = merge_python(std::move(native.frames), python);
  stack.truncated = capture.stack_truncated || !native.outermost || capture.python_walk == PythonWalk::truncated;
  if (!process.unwinder) processes_.erase(key);
  return stack;
}

void StackResolver::on_fork(const ProcKey& parent, const ProcKey& child) {
  // The parent's maps are read now when no stack of its was resolved yet:
  // the fork's own stack comes after this event, too late for the copy, and
  // a child that exits before its maps are read has only these.
  Process& source = processes_[parent];
  if (!source.unwinder) read_maps(parent, source);
  Process copy = source;  // processes_[child] may rehash and move `source`
  processes_[child] = std::move(copy);
}

void StackResolver::on_exec(const ProcKey& key) { processes_.erase(key); }
void StackResolver::on_end(const ProcKey& key) { processes_.erase(key); }

}  // namespace proclife::stacks
