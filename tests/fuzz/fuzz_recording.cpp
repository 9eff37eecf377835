// libFuzzer target: arbitrary bytes as a recording. A RecordingError is the
// reader doing its job; any other exception, a crash, a sanitizer report or a
// hang is a finding. What the reader accepts must also survive a round trip:
// written again and read back, it writes the same text.
//
// Built as fuzz_recording (the reader alone) and fuzz_replay (PROCLIFE_FUZZ_REPLAY:
// also the graph and every report, which then see events no kernel would send).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "record.hpp"
#ifdef PROCLIFE_FUZZ_REPLAY
#include "explain.hpp"
#include "report.hpp"
#endif

namespace {

std::string write_again(const proclife::Recording& recording) {
  std::ostringstream out;
  proclife::RecordWriter writer(out, recording.header);
  for (const auto& event : recording.events) writer.write(event);
  if (recording.trailer) writer.finish(*recording.trailer);
  writer.flush();
  return out.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  proclife::Recording recording;
  try {
    recording = proclife::read_recording(in, "fuzz");
  } catch (const proclife::RecordingError&) {
    return 0;
  }
  std::string once = write_again(recording);
  std::istringstream again(once);
  proclife::Recording reread = proclife::read_recording(again, "again");  // must not throw
  if (write_again(reread) != once || reread.events.size() != recording.events.size() ||
      reread.trailer.has_value() != recording.trailer.has_value())
    __builtin_trap();

#ifdef PROCLIFE_FUZZ_REPLAY
  proclife::Graph graph = proclife::build_graph(recording);
  proclife::ReportContext context{recording.header.command};
  std::ostringstream sink;
  proclife::write_json_report(graph, context, sink);
  proclife::write_text_report(graph, context, sink);
  proclife::write_explain_report(graph, context, sink);
#endif
  return 0;
}
