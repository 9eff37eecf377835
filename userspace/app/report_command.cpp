#include "report_command.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "escape.hpp"
#include "output.hpp"
#include "record.hpp"
#include "symbolize.hpp"

namespace proclife {
namespace {

// A recording is input like any other: its build-id becomes a path under
// /usr/lib/debug/.build-id/xx/, so only hex bytes get that far.
bool is_build_id(const std::string& id) {
  return id.size() >= 2 && id.size() % 2 == 0 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// Native frames the live trace left without a name or a line (debug info
// installed since, a file gone unreadable then) named again from the files
// on this machine. Only a frame with a build-id: the Symbolizer then answers
// from a file with that same build-id or not at all, where a bare path may
// now hold another build of the program and its names would be wrong. What
// the recording had is kept; only what it lacked is filled in.
void symbolize_again(stacks::Symbolizer& symbolizer, Event& event) {
  auto* stack = std::get_if<StackEvent>(&event.body);
  if (stack == nullptr) return;
  for (auto& frame : stack->stack.frames) {
    if (frame.kind != Frame::Kind::native || !is_build_id(frame.build_id)) continue;
    if (!frame.symbol.empty() && frame.line != 0) continue;
    Frame named = frame;
    if (!symbolizer.symbolize(named)) continue;
    if (frame.symbol.empty()) frame.symbol = named.symbol;
    if (frame.line == 0 && named.line != 0) {
      frame.file = named.file;
      frame.line = named.line;
    }
  }
}

Replay replay_file(const std::string& path) {
  stacks::Symbolizer symbolizer;
  auto prepare = [&symbolizer](Event& event) { symbolize_again(symbolizer, event); };
  if (path == "-") return replay_recording(std::cin, "<stdin>", prepare);
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw std::runtime_error(printable(path) + ": is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + printable(path) + ": " + std::strerror(errno));
  return replay_recording(file, printable(path), prepare);
}

}  // namespace

int report_command(const ReportCommand& command) {
  try {
    // stdout by default: that is what users redirect (`report F > out.json`).
    ReportSink sink(command.output, std::cout);
    Replay replay = replay_file(command.recording);
    // Said before the report, so it is not lost below a long one.
    if (!replay.warning.empty()) std::cerr << "proclife: warning: " << replay.warning << '\n';
    for (const auto& warning : replay.inconsistencies) std::cerr << "proclife: warning: " << warning << '\n';
    std::string error = sink.write(replay.graph, ReportContext{replay.header.command});
    if (error.empty()) return 0;
    std::cerr << "proclife: " << error << '\n';
    return kExitProclifeError;
  } catch (const std::exception& e) {
    std::cerr << "proclife: " << e.what() << '\n';
    return kExitProclifeError;
  }
}

}  // namespace proclife
