// Call stacks at the three call sites proclife cares about (a wait call, a
// fork/clone call, the exit_group call), in the two shapes they take:
//
//   StackCapture: what the probe copied in the kernel (user registers, a
//     window of the user stack, the CPython frames it walked). Meaningless
//     without the live process's mappings, so it never leaves the session.
//   Stack: what the session's resolver made of it while the process was
//     still there: native frames as (module, build-id, ELF address) plus a
//     symbol when one was found, Python frames as (qualname, file, line).
//     This is what the recording keeps and every output reads; `report`
//     may symbolize its native frames again (debug info installed later).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace proclife {

enum class StackSite { wait, fork, exit_group };

// One CPython frame as the probe read it from _PyInterpreterFrame.
struct PythonFrameRaw {
  uint64_t code = 0;        // PyCodeObject* in the traced process
  uint64_t prev_instr = 0;  // _Py_CODEUNIT*: the instruction running
  bool is_entry = false;    // first frame a _PyEval_EvalFrameDefault call ran
  uint8_t owner = 0;        // FRAME_OWNED_BY_THREAD / _GENERATOR / _FRAME_OBJECT
};

enum class PythonWalk : uint8_t {
  not_python,        // no interpreter registered for the process
  complete,          // walked to the outermost frame
  truncated,         // stopped at the frame limit
  no_thread_state,   // interpreter known, but no thread state for this tid
  read_failed,       // a pointer could not be read
};

struct StackCapture {
  // x86_64 user registers at the call (DWARF numbering: rip, rsp, rbp and the
  // callee-saved ones CFI may need to restore).
  uint64_t ip = 0, sp = 0, bp = 0, bx = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
  std::vector<uint8_t> stack;  // user memory copied from sp upward
  bool stack_truncated = false;  // the copy ended before the stack's mapping did
  std::vector<PythonFrameRaw> python;  // innermost first
  PythonWalk python_walk = PythonWalk::not_python;
};

struct Frame {
  enum class Kind : uint8_t { native, python };
  Kind kind = Kind::native;
  // native
  uint64_t pc = 0;              // runtime address (the return address minus one for callers)
  std::string module;           // path of the mapped file; empty: anonymous/JIT
  std::string build_id;         // lowercase hex; empty when the file has none
  uint64_t module_address = 0;  // pc as an address in the ELF file (what symbolizers take)
  // both
  std::string symbol;  // native: function (or "fn@0x<start>" from .eh_frame); python: qualname
  std::string file;    // source file when known
  uint32_t line = 0;   // 0: unknown
};

struct Stack {
  std::vector<Frame> frames;  // innermost first, Python frames merged in
  bool truncated = false;     // the copy or the unwind stopped early
  std::string incomplete;     // why frames are missing, for users ("process gone before its maps were read")
};

// The event kind "stack": sent by the probe right after the event it belongs
// to, by the same task. site_ns is that event's timestamp (the wait_enter's,
// which is also the wait call's enter_ns; the fork's; for exit_group the
// call's own time). The decoder fills `capture`; the session's resolver
// turns it into `stack` and empties it; the recording and the Graph see
// `stack` only.
struct StackEvent {
  StackSite site = StackSite::wait;
  uint64_t site_ns = 0;
  StackCapture capture;
  Stack stack;
};

}  // namespace proclife
