#include "native.hpp"

#include <elfutils/libdwfl.h>

#include <cstring>
#include <set>
#include <string>

#include "symbolize.hpp"  // dwfl_callbacks

namespace proclife::stacks {

struct NativeUnwinder::Callbacks {
  static NativeUnwinder& self(void* arg) { return *static_cast<NativeUnwinder*>(arg); }

  // One thread only: the one whose capture is being unwound.
  static pid_t next_thread(Dwfl*, void* arg, void** thread_arg) {
    if (*thread_arg != nullptr) return 0;
    *thread_arg = arg;
    return self(arg).tid_;
  }
  static bool get_thread(Dwfl*, pid_t, void* arg, void** thread_arg) {
    *thread_arg = arg;
    return true;
  }
  // The copied window only: the process may be gone, and reading its live
  // memory would mix two moments of its stack.
  static bool memory_read(Dwfl*, Dwarf_Addr address, Dwarf_Word* result, void* arg) {
    const StackCapture& capture = *self(arg).capture_;
    if (address < capture.sp || address - capture.sp + sizeof(*result) > capture.stack.size()) {
      // libdwfl takes a return address it cannot read for the end of the
      // stack: remember that it was the window's end instead.
      self(arg).missed_ = true;
      return false;
    }
    std::memcpy(result, capture.stack.data() + (address - capture.sp), sizeof(*result));
    return true;
  }
  static bool set_initial_registers(Dwfl_Thread* thread, void* arg) {
    const StackCapture& c = *self(arg).capture_;
    // DWARF x86_64 numbering: 3 rbx, 6 rbp, 7 rsp, 12-15 r12-r15; the rest is
    // not captured and stays undefined (CFI never needs a caller-saved one).
    Dwarf_Word bx = c.bx, bp_sp[2] = {c.bp, c.sp}, r12_r15[4] = {c.r12, c.r13, c.r14, c.r15};
    if (!dwfl_thread_state_registers(thread, 3, 1, &bx) || !dwfl_thread_state_registers(thread, 6, 2, bp_sp) ||
        !dwfl_thread_state_registers(thread, 12, 4, r12_r15))
      return false;
    dwfl_thread_state_register_pc(thread, c.ip);
    return true;
  }
  static int frame(Dwfl_Frame* state, void* arg) {
    NativeUnwinder& unwinder = self(arg);
    NativeUnwind& result = *unwinder.result_;
    Dwarf_Addr pc = 0;
    bool activation = false;
    if (!dwfl_frame_pc(state, &pc, &activation)) return DWARF_CB_ABORT;
    if (result.frames.size() == max_frames) return DWARF_CB_ABORT;
    // A caller's pc is its return address: the call itself is one byte before.
    if (!activation) pc -= 1;
    Frame& f = result.frames.emplace_back();
    f.pc = pc;
    if (const Mapping* mapping = unwinder.snapshot_->find(pc)) {
      f.module = mapping->path;
      f.build_id = mapping->build_id;
    } else {
      result.outside_snapshot = true;
    }
    if (Dwfl_Module* mod = dwfl_addrmodule(unwinder.dwfl_, pc)) {
      Dwarf_Addr bias = 0;
      dwfl_module_getelf(mod, &bias);
      f.module_address = pc - bias;
    }
    return DWARF_CB_OK;
  }
};

NativeUnwinder::NativeUnwinder(pid_t pid, std::shared_ptr<const MappingSnapshot> snapshot)
    : snapshot_(std::move(snapshot)), dwfl_(dwfl_begin(&dwfl_callbacks())) {
  if (dwfl_ == nullptr) return;
  dwfl_report_begin(dwfl_);
  std::set<std::string> reported;
  // The lowest mapping of a file is its first segment: start - pgoff is
  // where the file's offset 0 is mapped, the base dwfl_report_elf takes.
  for (const Mapping& m : snapshot_->mappings) {
    if (!reported.insert(m.path).second) continue;
    dwfl_report_elf(dwfl_, m.path.c_str(), m.path.c_str(), -1, m.start - m.pgoff, false);
  }
  dwfl_report_end(dwfl_, nullptr, nullptr);
  static const Dwfl_Thread_Callbacks thread_callbacks = {
      .next_thread = Callbacks::next_thread,
      .get_thread = Callbacks::get_thread,
      .memory_read = Callbacks::memory_read,
      .set_initial_registers = Callbacks::set_initial_registers,
      .detach = nullptr,
      .thread_detach = nullptr,
  };
  attached_ = dwfl_attach_state(dwfl_, nullptr, pid, &thread_callbacks, this);
}

NativeUnwinder::~NativeUnwinder() {
  if (dwfl_) dwfl_end(dwfl_);
}

NativeUnwind NativeUnwinder::unwind(pid_t tid, const StackCapture& capture) {
  NativeUnwind result;
  if (!attached_) return result;
  tid_ = tid;
  capture_ = &capture;
  result_ = &result;
  missed_ = false;
  result.outermost = dwfl_getthread_frames(dwfl_, tid, Callbacks::frame, this) == 0 && !missed_;
  capture_ = nullptr;
  result_ = nullptr;
  return result;
}

}  // namespace proclife::stacks
