// libFuzzer target: arbitrary bytes as a recording. A RecordingError is the
// reader doing its job; any other exception, a crash, a sanitizer report or a
// hang is a finding. What the reader accepts must also survive a round trip:
// written again and read back, it writes the same text.
//
// Built as fuzz_recording (the reader alone) and fuzz_replay (PROCLIFE_FUZZ_REPLAY:
// also `proclife report`'s path, replay into the graph, then every output format
// in the registry, which then see events no kernel would send). Each format's
// output must stay within kOutputPerInputByte bytes per input byte plus
// kOutputSlack, and take under kFormatSeconds: a blow-up is a finding too.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include "record.hpp"
#ifdef PROCLIFE_FUZZ_REPLAY
#include "formats.hpp"
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
  constexpr size_t kOutputPerInputByte = 64, kOutputSlack = 64 << 10;
  constexpr double kFormatSeconds = 2.0;
  std::istringstream replay_in(std::string(reinterpret_cast<const char*>(data), size));
  proclife::Replay replay = proclife::replay_recording(replay_in, "fuzz");  // read once already: must not throw
  proclife::ReportContext context{replay.header.command};
  for (const auto& format : proclife::output_formats()) {
    std::ostringstream out;
    auto start = std::chrono::steady_clock::now();
    format.write(replay.graph, context, out);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    size_t written = out.str().size();
    if (written > kOutputPerInputByte * size + kOutputSlack || seconds > kFormatSeconds) {
      std::fprintf(stderr, "fuzz_replay: format %.*s wrote %zu bytes in %.2f s from %zu bytes\n",
                   static_cast<int>(format.name.size()), format.name.data(), written, seconds, size);
      __builtin_trap();
    }
  }
#endif
  return 0;
}
