// Native unwinding of a capture with libdwfl, from a MappingSnapshot only:
// every ELF file of the snapshot is reported at its load address (as perf's
// unwind-libdw does) and the unwinder reads memory from the copied stack
// window alone, so a process that has exited unwinds the same. Frames come
// out unnamed: names depend on the file only, and a Symbolizer shared by all
// processes finds them once (loading a file's debug info costs milliseconds
// to hundreds of them, libc6-dbg's compressed DWARF).
#pragma once

#include <sys/types.h>

#include <memory>
#include <vector>

#include "mappings.hpp"
#include "stack.hpp"

typedef struct Dwfl Dwfl;

namespace proclife::stacks {

struct NativeUnwind {
  std::vector<Frame> frames;      // innermost first, kind native: pc, module, build-id, module_address
  bool outermost = false;         // reached the frame with no caller, reading the window only
  bool outside_snapshot = false;  // a pc fell in no mapping of the snapshot
};

class NativeUnwinder {
 public:
  // snapshot must outlive the unwinder.
  NativeUnwinder(pid_t pid, std::shared_ptr<const MappingSnapshot> snapshot);
  ~NativeUnwinder();
  NativeUnwinder(const NativeUnwinder&) = delete;
  NativeUnwinder& operator=(const NativeUnwinder&) = delete;

  NativeUnwind unwind(pid_t tid, const StackCapture& capture);
  const MappingSnapshot& snapshot() const { return *snapshot_; }

  static constexpr size_t max_frames = 256;

 private:
  struct Callbacks;
  std::shared_ptr<const MappingSnapshot> snapshot_;
  Dwfl* dwfl_ = nullptr;
  bool attached_ = false;
  // The unwind in progress: what the libdwfl callbacks read.
  pid_t tid_ = 0;
  const StackCapture* capture_ = nullptr;
  NativeUnwind* result_ = nullptr;
  bool missed_ = false;  // a read fell outside the window
};

}  // namespace proclife::stacks
