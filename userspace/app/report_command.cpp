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

namespace proclife {
namespace {

Replay replay_file(const std::string& path) {
  if (path == "-") return replay_recording(std::cin, "<stdin>");
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw std::runtime_error(printable(path) + ": is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error("cannot open " + printable(path) + ": " + std::strerror(errno));
  return replay_recording(file, printable(path));
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
