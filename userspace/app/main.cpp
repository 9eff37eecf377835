// proclife's entry point: parse the command line, dispatch, and turn every
// failure into one line on stderr and a documented exit status.
#include <iostream>
#include <stdexcept>
#include <variant>

#include "attach.hpp"
#include "cli.hpp"
#include "monitor.hpp"
#include "report_command.hpp"
#include "run.hpp"

namespace {

int dispatch(const proclife::ParsedCommand& parsed) {
  using namespace proclife;
  if (const auto* exit = std::get_if<CliExit>(&parsed)) {
    (exit->status == 0 ? std::cout : std::cerr) << exit->message;
    return exit->status;
  }
  if (const auto* run = std::get_if<RunCommand>(&parsed)) return run_command(*run);
  if (const auto* attach = std::get_if<AttachCommand>(&parsed)) return attach_command(*attach);
  if (const auto* monitor = std::get_if<MonitorCommand>(&parsed)) return monitor_command(*monitor);
  if (const auto* report = std::get_if<ReportCommand>(&parsed)) return report_command(*report);
  return kExitProclifeError;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(proclife::parse_command_line(argc, argv));
  } catch (const std::exception& e) {
    std::cerr << "proclife: " << e.what() << '\n';
    return proclife::kExitProclifeError;
  }
}
