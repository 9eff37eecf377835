// Record and replay: every decoded event of a trace, written as NDJSON, so a
// report can be rebuilt later, elsewhere and without root (`proclife report`).
//
// Format (format_version 2): one JSON object per line, each ending in '\n'.
//   {"type":"header","format_version":2,"proclife_version":"0.1.0",
//    "kernel_release":"6.18.0","boot_id":"…","origin_ns":N,"observer_pid":N,
//    "observer_comm":"proclife","root_pid":N,"command":["make","-j2"],
//    "pre_existing":[{"pid":N,"parent_pid":N,"comm":"bash"}]}
//   {"type":"event","kind":"fork","ns":N,"cpu":N,"task":{"tid":N,"tgid":N,"start_ns":N},
//    …every field of the event body, named as in events.hpp…}
//   {"type":"trailer","lost_events":N,"end_ns":N,"decode_errors":N}
// Kinds: fork, exec, exit, free, wait_enter, wait_exit, signal_generate,
// signal_deliver (SignalEvent::delivered is the kind), clone_return, and
// with --stacks stack: {"site":"wait"|"fork"|"exit_group","site_ns":N,
// "frames":[{"kind":"native"|"python","pc","module","build_id",
// "module_address","symbol","file","line"}],"truncated","incomplete"}, the
// resolved frames only (the raw capture is never written). A TaskId
// is {"tid","tgid","start_ns"}; the syscall enums are their names ("wait4",
// "clone3"). Times are absolute kernel CLOCK_MONOTONIC ns, as in the events.
// pre_existing lists, in order, the processes `attach` found running and
// seeded the graph with (Graph::seed_pre_existing) before the first event.
//
// Strings (comm, filename, argv, the command, a frame's names) are bytes a traced process
// chose, not necessarily UTF-8, and JSON strings must be. A string that is
// valid UTF-8 is a JSON string (control characters escaped as JSON requires,
// so no line ever holds a raw newline; DEL, C1 and bidi controls escaped too,
// as core/json_writer does everywhere); any other string is written as
// {"hex":"<two lowercase hex digits per byte>"} in its place. Every byte
// survives: replaying a recording gives the same events, hence the same graph.
//
// Replay also checks the order of each process's events (Graph's
// Inconsistency): an exit stamped before its fork and the like are repaired
// so no duration is negative, and Replay::inconsistencies says where.
//
// Reading is strict, since the file may be damaged or hostile (a line is read
// up to 16 MiB and no further: past it, an error): every field of
// a kind is required and typed (integers range-checked, no floats; an event's
// ns below 2^64 - 1, the graph's "absent" stamp), and the first problem throws one RecordingError naming the line ("trace.ndjson:17:
// event has no \"ns\""). Unknown keys are ignored; an unknown type or kind is
// an error; the optional fields are the trailer's decode_errors (0 when
// absent, as in recordings made before it existed), the header's reap_source
// (empty), the fork's clone_syscall/clone_flags/clone_flags_known (unset), the
// exit's thread_forks (0) and the free's parent (tgid 0). Blank lines are skipped. A recording without its trailer is cut
// short (proclife crashed or was killed): its events are kept and the result
// carries a warning, not an error; a last line without its '\n' that is not
// JSON is the write that was cut, and is dropped with that warning.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events.hpp"
#include "model.hpp"
#include "stack.hpp"

namespace proclife {

// Version 1 also carried each wait_exit's enter_ns, which its wait_enter
// gives as well: it is read, and the field ignored.
inline constexpr int kRecordFormatVersion = 2;
inline constexpr int kOldestRecordFormatVersion = 1;

// attach: a process found running before the trace, as the graph was seeded.
struct PreExistingProcess {
  uint32_t pid = 0;
  uint32_t parent_pid = 0;
  std::string comm;

  bool operator==(const PreExistingProcess&) const = default;
};

struct RecordHeader {
  int format_version = kRecordFormatVersion;  // what the file says; the writer writes its own
  std::string proclife_version;
  std::string kernel_release;  // uname -r of the traced machine
  std::string boot_id;         // /proc/sys/kernel/random/boot_id: the clock's epoch
  uint64_t origin_ns = 0;      // CLOCK_MONOTONIC when tracing started
  uint32_t observer_pid = 0;
  std::string observer_comm = "proclife";
  uint32_t root_pid = 0;
  std::vector<std::string> command;
  std::vector<PreExistingProcess> pre_existing;  // empty for `run`
  // Where wait results came from: "fexit", "sys_exit" or "none" (reaps then
  // approximate). Optional when reading: empty in older recordings.
  std::string reap_source;

  bool operator==(const RecordHeader&) const = default;
};

struct RecordTrailer {
  uint64_t lost_events = 0;
  uint64_t end_ns = 0;
  uint64_t decode_errors = 0;  // optional when reading: older recordings lack it

  bool operator==(const RecordTrailer&) const = default;
};

class RecordingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes a recording to `out` as the trace runs. Lines are built in a buffer
// without a JSON DOM and handed to the stream in batches: call flush() after
// each batch of events (once per ring-buffer poll) so a crash loses little.
// Throws std::runtime_error when the stream fails. A writer destroyed before
// finish() flushes what it holds, leaving a recording without a trailer.
class RecordWriter {
 public:
  RecordWriter(std::ostream& out, const RecordHeader& header);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void write(const Event& event);
  void flush();
  // Writes the trailer and flushes; nothing may be written after it.
  void finish(const RecordTrailer& trailer);

  uint64_t events_written() const { return events_; }

 private:
  void write_out();

  std::ostream& out_;
  std::string buffer_;
  uint64_t events_ = 0;
  bool finished_ = false;
};

// Reads a recording one event at a time, so replay never holds the whole
// trace. `name` (the file name) begins every error message.
class RecordReader {
 public:
  // Reads and checks the header; throws RecordingError.
  RecordReader(std::istream& in, std::string name);

  const RecordHeader& header() const { return header_; }
  // The next event; nullopt at the end of the recording. Throws RecordingError.
  std::optional<Event> next();
  // After next() returned nullopt: the trailer, or nullopt when the recording
  // was cut short (then warning() says so).
  const std::optional<RecordTrailer>& trailer() const { return trailer_; }
  const std::string& warning() const { return warning_; }
  // The line the last event, header or trailer came from.
  uint64_t line_number() const { return line_number_; }

 private:
  enum class LineRead { line, last_unterminated, end };
  LineRead read_line();
  [[noreturn]] void fail(std::string_view what) const;
  void check_nothing_follows();

  std::istream& in_;
  std::string name_;
  std::string line_;
  uint64_t line_number_ = 0;
  RecordHeader header_;
  std::optional<RecordTrailer> trailer_;
  std::string warning_;
  bool done_ = false;
};


struct Recording {
  RecordHeader header;
  std::vector<Event> events;
  std::optional<RecordTrailer> trailer;  // nullopt: cut short
  std::string warning;                   // empty, or why the recording is incomplete
};

// The whole recording in memory (tests, small files). Throws RecordingError.
Recording read_recording(std::istream& in, std::string_view name = "recording");

// Replaying: the graph the live trace built (seeded with the header's
// pre_existing processes, then every event). Without a trailer the trace ends
// at the last event seen and its lost-event count is unknown (reported as 0).
GraphOptions graph_options(const RecordHeader& header);
Graph build_graph(const Recording& recording);

struct Replay {
  RecordHeader header;
  Graph graph;
  std::string warning;  // as Recording::warning
  // Events in an order no kernel produces (Graph's Inconsistency): one
  // warning per kind, naming the line of the first and how many there were.
  std::vector<std::string> inconsistencies;
};

// Streams the recording into a graph. Throws RecordingError. `prepare`, when
// given, may change each event before the graph sees it (report names stack
// frames again there).
Replay replay_recording(std::istream& in, std::string_view name = "recording",
                        const std::function<void(Event&)>& prepare = {});

}  // namespace proclife
