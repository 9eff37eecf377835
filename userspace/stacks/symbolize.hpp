// Names for native code: what both the live resolver and `proclife report`
// (offline, the process long gone) do with a module and an ELF address.
#pragma once

#include <elfutils/libdwfl.h>

#include <map>
#include <unordered_map>
#include <memory>
#include <string>

#include "stack.hpp"

namespace proclife::stacks {

// The callbacks every Dwfl here uses: ELF files named by path, debug info
// found by build-id or debuglink under /usr/lib/debug.
const Dwfl_Callbacks& dwfl_callbacks();

// Fills frame.symbol (and, with `lines`, file and line) for runtime address
// pc in mod. The symbol is the ELF symbol (demangled) when one covers pc,
// else "fn@0x<start>" from the function's .eh_frame entry (stripped static
// functions). Lines read DWARF, which can take a library's debug info
// hundreds of milliseconds to load: the live path asks for names only.
void describe(Dwfl_Module* mod, Dwarf_Addr pc, Frame& frame, bool lines = true);

// Symbolizes native frames from their (module, build-id, module_address)
// alone: from the file at `module` when its build-id still matches, else from
// /usr/lib/debug/.build-id/xx/rest.debug. Needs no root and no process: used
// live by the StackResolver and offline by `proclife report`. Each file is
// loaded once, and each address looked up once (libdwfl's symbol lookup scans
// the whole table).
class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // Fills symbol (and with `lines` file and line) of a native frame when a
  // matching file is found; returns whether it was. Keeps what the frame had
  // otherwise.
  bool symbolize(Frame& frame, bool lines = true);

 private:
  struct Module;
  Module* module_for(const Frame& frame);
  std::map<std::string, std::unique_ptr<Module>> modules_;  // by build-id, else path
};

}  // namespace proclife::stacks
