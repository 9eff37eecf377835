#include "record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <concepts>
#include <istream>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <type_traits>

#include "escape.hpp"
#include "format.hpp"
#include "json_writer.hpp"
#include "stack_names.hpp"

namespace proclife {
namespace {

using Json = nlohmann::json;

constexpr size_t kWriteBatchBytes = 64 << 10;
// Far above any real line (argv is capped in the kernel): a bound on what a
// damaged file can make the reader hold.
constexpr size_t kMaxLineBytes = 16 << 20;

// ---- The fields of each line, listed once for the writer and the reader ----

template <class T, class U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

void fields(auto& v, Is<ForkEvent> auto& e) {
  v("child", e.child);
  v("child_ns_pid", e.child_ns_pid);
  v("child_ns_level", e.child_ns_level);
  v("child_exit_signal", e.child_exit_signal);
  v("shares_mm", e.shares_mm);
  v("comm", e.comm);
  // Newer than the format's first version: optional when reading.
  v.optional("clone_syscall", e.clone_syscall);
  v.optional("clone_flags", e.clone_flags);
  v.optional("clone_flags_known", e.clone_flags_known);
}

void fields(auto& v, Is<ExecEvent> auto& e) {
  v("old_tid", e.old_tid);
  v("comm", e.comm);
  v("filename", e.filename);
  v("argv", e.argv);
  v("argv_truncated", e.argv_truncated);
}

void fields(auto& v, Is<ExitEvent> auto& e) {
  v("exit_code", e.exit_code);
  v("group_dead", e.group_dead);
  v("task_flags", e.task_flags);
  v("signal_flags", e.signal_flags);
  v("group_exit_code", e.group_exit_code);
  v("exit_signal", e.exit_signal);
  v("ns_pid", e.ns_pid);
  v("ns_level", e.ns_level);
  v("parent", e.parent);
  v("new_reaper", e.new_reaper);
  v("parent_sigchld_handler", e.parent_sigchld_handler);
  v("parent_sigchld_flags", e.parent_sigchld_flags);
  v("ptraced", e.ptraced);
  v("comm", e.comm);
  v.optional("thread_forks", e.thread_forks);
}

void fields(auto& v, Is<FreeEvent> auto& e) { v.optional("parent", e.parent); }

void fields(auto& v, Is<WaitEnterEvent> auto& e) { v("target_pid", e.target_pid); }

void fields(auto& v, Is<WaitExitEvent> auto& e) {
  v("syscall", e.syscall);
  v("which", e.which);
  v("id", e.id);
  v("options", e.options);
  v("ret", e.ret);
  v("status", e.status);
  v("info_code", e.info_code);
  v("info_pid", e.info_pid);
  v("status_read", e.status_read);
}

// signal_generate and signal_deliver: the kind tells them apart.
template <class T>
concept IsSignal = std::derived_from<std::remove_const_t<T>, SignalEvent>;

void fields(auto& v, IsSignal auto& e) {
  v("target", e.target);
  v("sig", e.sig);
  v("info_code", e.info_code);
  v("info_pid", e.info_pid);
  v("info_status", e.info_status);
  v("result", e.result);
  v("group", e.group);
  v("handler", e.handler);
  v("sa_flags", e.sa_flags);
  v("comm", e.comm);
}

void fields(auto& v, Is<CloneReturnEvent> auto& e) {
  v("child", e.child);
  v("flags", e.flags);
  v("syscall", e.syscall);
  v("flags_known", e.flags_known);
  v("ret", e.ret);
}

// Resolved frames only: the capture means nothing without the live process.
void fields(auto& v, Is<StackEvent> auto& e) {
  v("site", e.site);
  v("site_ns", e.site_ns);
  v("frames", e.stack.frames);
  v("truncated", e.stack.truncated);
  v("incomplete", e.stack.incomplete);
}

void fields(auto& v, Is<Frame> auto& f) {
  v("kind", f.kind);
  v("pc", f.pc);
  v("module", f.module);
  v("build_id", f.build_id);
  v("module_address", f.module_address);
  v("symbol", f.symbol);
  v("file", f.file);
  v("line", f.line);
}

void fields(auto& v, Is<TaskId> auto& t) {
  v("tid", t.tid);
  v("tgid", t.tgid);
  v("start_ns", t.tgid_start_ns);
}

// format_version is handled apart: the writer always writes its own.
void fields(auto& v, Is<RecordHeader> auto& h) {
  v("proclife_version", h.proclife_version);
  v("kernel_release", h.kernel_release);
  v("boot_id", h.boot_id);
  v("origin_ns", h.origin_ns);
  v("observer_pid", h.observer_pid);
  v("observer_comm", h.observer_comm);
  v("root_pid", h.root_pid);
  v("command", h.command);
  v("pre_existing", h.pre_existing);
  v.optional("reap_source", h.reap_source);
}

void fields(auto& v, Is<PreExistingProcess> auto& p) {
  v("pid", p.pid);
  v("parent_pid", p.parent_pid);
  v("comm", p.comm);
}

void fields(auto& v, Is<RecordTrailer> auto& t) {
  v("lost_events", t.lost_events);
  v("end_ns", t.end_ns);
  v.optional("decode_errors", t.decode_errors);
}

// ---- Writing: straight into a line buffer, through the one JSON writer ----

// Writes `"key":value` for each field it is given, into one compact line.
// Strings that are not UTF-8 become {"hex":...}: the recording loses no byte.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : json_(out, JsonLayout::compact, InvalidUtf8::hex_object), out_(out) {}

  void begin(std::string_view type) {
    json_.begin_object();
    json_.key("type").value(type);
  }
  void end() {
    json_.end_object();
    out_ += '\n';
  }

  template <class T>
  void optional(std::string_view key, const T& value) {
    (*this)(key, value);
  }

  template <class T>
  void operator()(std::string_view key, const T& value) {
    json_.key(key);
    write(value);
  }
  // A field added after the format's first version: written when it has a
  // value, and a reader of older recordings does without it.
  template <class T>
  void optional(std::string_view key, const std::optional<T>& value) {
    if (value) (*this)(key, *value);
  }

 private:
  void write(bool value) { json_.value(value); }
  template <std::integral T>
  void write(T value) {
    if constexpr (std::is_signed_v<T>) json_.value(static_cast<int64_t>(value));
    else json_.value(static_cast<uint64_t>(value));
  }
  void write(const std::string& value) { json_.value(value); }
  void write(std::string_view name) { json_.value(name); }  // names of ours: plain ASCII
  void write(const std::vector<std::string>& values) { json_.value(values); }
  void write(const TaskId& task) { write_object(task); }
  template <class Object>
  void write(const std::vector<Object>& objects) {
    json_.begin_array();
    for (const auto& object : objects) write_object(object);
    json_.end_array();
  }
  template <class Object>
  void write_object(const Object& object) {
    json_.begin_object();
    fields(*this, object);
    json_.end_object();
  }
  void write(WaitSyscall value) { write(wait_syscall_name(value)); }
  void write(CloneSyscall value) { write(clone_syscall_name(value)); }
  void write(StackSite value) { write(stack_site_name(value)); }
  void write(Frame::Kind value) { write(frame_kind_name(value)); }

  JsonWriter json_;
  std::string& out_;
};

// ---- Reading: strict, one error naming the line ----

std::string quoted_for_message(std::string_view text) {
  constexpr size_t kMax = 40;
  std::string shown = printable(text.substr(0, kMax));
  return "\"" + shown + (text.size() > kMax ? "\"…" : "\"");
}

const char* a_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_float: return "a floating-point number";
    default: return "a number";
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int high = hex_value(hex[i]), low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes += static_cast<char>(high << 4 | low);
  }
  return bytes;
}

// Where a line came from, to name it in errors.
struct LineContext {
  std::string_view file;
  uint64_t line;

  [[noreturn]] void fail(std::string_view what) const {
    throw RecordingError(fmt::format("{}:{}: {}", file, line, what));
  }
};

// Reads the fields of one JSON object; `what` names it in errors ("fork
// event"), `prefix` the enclosing key of a nested object ("parent.").
class FieldReader {
 public:
  FieldReader(const Json& object, std::string what, const LineContext& where, std::string prefix = "")
      : object_(object), what_(std::move(what)), where_(where), prefix_(std::move(prefix)) {}

  template <class T>
  void operator()(std::string_view key, T& value) {
    auto it = object_.find(key);
    if (it == object_.end()) where_.fail(fmt::format("{} has no \"{}{}\"", what_, prefix_, key));
    read(*it, key, value);
  }
  template <class T>
  void optional(std::string_view key, std::optional<T>& value) {
    auto it = object_.find(key);
    if (it == object_.end()) return;
    read(*it, key, value.emplace());
  }

  // A field recordings made before it existed lack: `value` keeps its default.
  template <class T>
  void optional(std::string_view key, T& value) {
    if (object_.contains(key)) (*this)(key, value);
  }

  // "type" and "kind": plain strings only.
  std::string_view plain_string(std::string_view key) {
    auto it = object_.find(key);
    if (it == object_.end()) where_.fail(fmt::format("{} has no \"{}\"", what_, key));
    if (!it->is_string()) wrong_type(key, "a string", *it);
    return it->template get_ref<const std::string&>();
  }

 private:
  [[noreturn]] void wrong_type(std::string_view key, std::string_view expected, const Json& value) const {
    where_.fail(fmt::format("{}: \"{}{}\" must be {}, not {}", what_, prefix_, key, expected, a_type_name(value)));
  }

  void read(const Json& value, std::string_view key, bool& out) {
    if (!value.is_boolean()) wrong_type(key, "true or false", value);
    out = value.get<bool>();
  }

  template <std::integral T>
  void read(const Json& value, std::string_view key, T& out) {
    constexpr const char* expected = std::is_signed_v<T> ? (sizeof(T) == 4 ? "a 32-bit integer" : "a 64-bit integer")
                                                         : (sizeof(T) == 4 ? "an unsigned 32-bit integer"
                                                                           : "an unsigned 64-bit integer");
    if (value.is_number_unsigned()) {
      auto number = value.get<uint64_t>();
      if (number <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
        out = static_cast<T>(number);
        return;
      }
    } else if (value.is_number_integer()) {
      auto number = value.get<int64_t>();
      if (std::is_signed_v<T> && number >= static_cast<int64_t>(std::numeric_limits<T>::min())) {
        out = static_cast<T>(number);
        return;
      }
    } else {
      wrong_type(key, expected, value);
    }
    where_.fail(fmt::format("{}: \"{}{}\" is out of range for {}", what_, prefix_, key, expected));
  }

  void read(const Json& value, std::string_view key, std::string& out) {
    if (value.is_string()) {
      out = value.get_ref<const std::string&>();
      return;
    }
    if (value.is_object() && value.size() == 1) {
      auto hex = value.find("hex");
      if (hex != value.end() && hex->is_string()) {
        auto bytes = decode_hex(hex->get_ref<const std::string&>());
        if (!bytes)
          where_.fail(fmt::format("{}: \"{}{}\" has a \"hex\" that is not pairs of hex digits", what_, prefix_, key));
        out = std::move(*bytes);
        return;
      }
    }
    wrong_type(key, "a string or {\"hex\": \"...\"}", value);
  }

  void read(const Json& value, std::string_view key, std::vector<std::string>& out) {
    if (!value.is_array()) wrong_type(key, "an array of strings", value);
    out.clear();
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      std::string element_key = fmt::format("{}[{}]", key, i);
      read(value[i], element_key, out.emplace_back());
    }
  }

  void read(const Json& value, std::string_view key, TaskId& out) {
    if (!value.is_object()) wrong_type(key, "an object {tid, tgid, start_ns}", value);
    FieldReader nested(value, what_, where_, fmt::format("{}{}.", prefix_, key));
    fields(nested, out);
  }

  void read(const Json& value, std::string_view key, std::vector<PreExistingProcess>& out) {
    read_objects(value, key, out, "{pid, parent_pid, comm}");
  }
  void read(const Json& value, std::string_view key, std::vector<Frame>& out) {
    read_objects(value, key, out, "{kind, pc, module, build_id, module_address, symbol, file, line}");
  }
  template <class Object>
  void read_objects(const Json& value, std::string_view key, std::vector<Object>& out, std::string_view shape) {
    if (!value.is_array()) wrong_type(key, fmt::format("an array of {}", shape), value);
    out.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      std::string element_key = fmt::format("{}[{}]", key, i);
      if (!value[i].is_object()) wrong_type(element_key, fmt::format("an object {}", shape), value[i]);
      FieldReader nested(value[i], what_, where_, fmt::format("{}{}.", prefix_, element_key));
      fields(nested, out.emplace_back());
    }
  }

  template <class Enum, size_t N>
  void read_enum(const Json& value, std::string_view key, Enum& out,
                 const std::array<Named<Enum>, N>& names) {
    if (!value.is_string()) wrong_type(key, "a string", value);
    const auto& text = value.get_ref<const std::string&>();
    for (const auto& [enumerator, name] : names)
      if (name == text) {
        out = enumerator;
        return;
      }
    std::string known;
    for (const auto& entry : names) known += (known.empty() ? "" : ", ") + std::string(entry.name);
    where_.fail(fmt::format("{}: \"{}{}\" is {}, not one of {}", what_, prefix_, key, quoted_for_message(text), known));
  }
  void read(const Json& value, std::string_view key, WaitSyscall& out) { read_enum(value, key, out, kWaitSyscallNames); }
  void read(const Json& value, std::string_view key, CloneSyscall& out) { read_enum(value, key, out, kCloneSyscallNames); }
  void read(const Json& value, std::string_view key, StackSite& out) { read_enum(value, key, out, kStackSiteNames); }
  void read(const Json& value, std::string_view key, Frame::Kind& out) { read_enum(value, key, out, kFrameKindNames); }

  const Json& object_;
  std::string what_;
  const LineContext& where_;
  std::string prefix_;
};

template <class Body>
EventBody read_body(FieldReader& reader) {
  Body body;
  fields(reader, body);
  return body;
}

using BodyReader = EventBody (*)(FieldReader&);
#define PROCLIFE_BODY_READER(name, abi, Raw, Body) read_body<Body>,
constexpr std::array<BodyReader, std::variant_size_v<EventBody>> kBodyReaders{
    PROCLIFE_EVENT_KINDS(PROCLIFE_BODY_READER)};
#undef PROCLIFE_BODY_READER

Event read_event(const Json& line, const LineContext& where) {
  FieldReader common(line, "event", where);
  std::string kind(common.plain_string("kind"));
  auto known = std::find(kEventKindNames.begin(), kEventKindNames.end(), kind);
  if (known == kEventKindNames.end()) where.fail("unknown event kind " + quoted_for_message(kind));
  Event event;
  common("ns", event.ns);
  // The graph marks an absent exit, SIGCHLD or reap with this stamp.
  if (event.ns == std::numeric_limits<uint64_t>::max()) where.fail("event \"ns\" is 2^64 - 1, a time no kernel gives");
  common("cpu", event.cpu);
  common("task", event.task);
  FieldReader body(line, kind + " event", where);
  event.body = kBodyReaders[static_cast<size_t>(known - kEventKindNames.begin())](body);
  return event;
}

RecordHeader read_header(const Json& line, const LineContext& where) {
  FieldReader reader(line, "header", where);
  RecordHeader header;
  reader("format_version", header.format_version);
  if (header.format_version < kOldestRecordFormatVersion || header.format_version > kRecordFormatVersion)
    where.fail(fmt::format("format_version {} is {} this proclife reads ({} to {})", header.format_version,
                           header.format_version > kRecordFormatVersion ? "newer than what" : "not one",
                           kOldestRecordFormatVersion, kRecordFormatVersion));
  fields(reader, header);
  return header;
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// nlohmann's message without its tag and its "line 1" (a line is one line).
std::string parse_error_message(const Json::exception& error) {
  std::string_view text = error.what();
  if (auto tag = text.find("] "); tag != std::string_view::npos) text.remove_prefix(tag + 2);
  constexpr std::string_view kAtLine = "parse error at line 1, ";
  if (text.starts_with(kAtLine)) text.remove_prefix(kAtLine.size());
  constexpr size_t kMax = 160;
  std::string shown = printable(text.substr(0, kMax));
  return "not valid JSON: " + shown + (text.size() > kMax ? "…" : "");
}

std::optional<Json> parse_json(const std::string& line, std::string* error) {
  try {
    return Json::parse(line);
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    *error = parse_error_message(e);
    return std::nullopt;
  }
}

Graph start_graph(const RecordHeader& header) {
  Graph graph(graph_options(header));
  for (const auto& process : header.pre_existing)
    graph.seed_pre_existing(process.pid, process.parent_pid, process.comm);
  return graph;
}

void finish_graph(Graph& graph, const std::optional<RecordTrailer>& trailer, uint64_t last_ns) {
  graph.finish(trailer ? trailer->end_ns : last_ns);
  graph.set_lost_events(trailer ? trailer->lost_events : 0);
  graph.add_decode_errors(trailer ? trailer->decode_errors : 0);
}

// The first inconsistency of each kind, where it was, and how many followed.
class InconsistencyLog {
 public:
  void add(const InconsistencyNote& note, uint64_t line) {
    auto& first = first_[static_cast<size_t>(note.kind)];
    if (!first) first = std::pair(note, line);
  }

  std::vector<std::string> messages(std::string_view file, const Graph& graph) const {
    std::vector<std::string> out;
    for (const auto& first : first_) {
      if (!first) continue;
      const auto& [note, line] = *first;
      uint64_t count = graph.inconsistencies(note.kind);
      std::string more = count > 1 ? fmt::format(" ({} such events in all; only the first is named)", count) : "";
      out.push_back(fmt::format("{}:{}: inconsistent recording: {}{}", file, line, describe(note), more));
    }
    return out;
  }

 private:
  static std::string describe(const InconsistencyNote& note) {
    std::string early = note.bound_ns > note.ns ? format_duration(note.bound_ns - note.ns) : "";
    switch (note.kind) {
      case Inconsistency::event_before_fork:
        return fmt::format("the {} of pid {} is stamped {} before its fork or an earlier exec; it is taken as "
                           "happening then, so no duration comes out negative",
                           note.event, note.process.pid, early);
      case Inconsistency::fork_after_own_events:
        return fmt::format("the fork of pid {} comes after events of that process; it is reported as pre-existing",
                           note.process.pid);
      case Inconsistency::reap_before_exit:
        if (!note.bound_ns)
          return fmt::format("pid {} is reaped before any exit of it is recorded", note.process.pid);
        return fmt::format("pid {} is reaped {} before its exit; it is taken as reaped at its exit", note.process.pid,
                           early);
      case Inconsistency::wait_return_before_entry:
        return fmt::format("a wait call of pid {} returns {} before it was entered; it is taken as returning at once",
                           note.process.pid, early);
    }
    return "unknown";
  }

  std::array<std::optional<std::pair<InconsistencyNote, uint64_t>>, kInconsistencyKinds> first_;
};

}  // namespace

// ---- RecordWriter ----

RecordWriter::RecordWriter(std::ostream& out, const RecordHeader& header) : out_(out) {
  buffer_.reserve(kWriteBatchBytes + 4096);
  LineWriter line(buffer_);
  line.begin("header");
  line("format_version", kRecordFormatVersion);
  fields(line, header);
  line.end();
  flush();  // a recording always has its header, however it ends
}

RecordWriter::~RecordWriter() {
  if (finished_) return;
  try {
    flush();
  } catch (...) {  // destructors must not throw; the recording stays without a trailer
  }
}

void RecordWriter::write(const Event& event) {
  if (finished_) throw std::logic_error("RecordWriter::write after finish");
  LineWriter line(buffer_);
  line.begin("event");
  line("kind", event_kind_name(event.body));
  line("ns", event.ns);
  line("cpu", event.cpu);
  line("task", event.task);
  std::visit([&line](const auto& body) { fields(line, body); }, event.body);
  line.end();
  ++events_;
  if (buffer_.size() >= kWriteBatchBytes) write_out();
}

void RecordWriter::flush() {
  write_out();
  out_.flush();
  if (!out_) throw std::runtime_error("cannot write the recording");
}

void RecordWriter::finish(const RecordTrailer& trailer) {
  if (finished_) throw std::logic_error("RecordWriter::finish twice");
  LineWriter line(buffer_);
  line.begin("trailer");
  fields(line, trailer);
  line.end();
  finished_ = true;
  flush();
}

void RecordWriter::write_out() {
  if (buffer_.empty()) return;
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  if (!out_) throw std::runtime_error("cannot write the recording");
}

// ---- RecordReader ----

RecordReader::RecordReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {
  LineRead read = read_line();
  if (read == LineRead::end) throw RecordingError(name_ + ": empty: not a proclife recording (no header)");
  std::string error;
  auto line = parse_json(line_, &error);
  if (!line) fail(read == LineRead::last_unterminated ? "the header is cut short" : error);
  if (!line->is_object()) fail(std::string("expected the header, found ") + a_type_name(*line));
  LineContext where{name_, line_number_};
  FieldReader reader(*line, "line", where);
  std::string_view type = reader.plain_string("type");
  if (type != "header") fail("expected the header first, found " + quoted_for_message(type));
  header_ = read_header(*line, where);
}

std::optional<Event> RecordReader::next() {
  if (done_) return std::nullopt;
  LineRead read = read_line();
  if (read == LineRead::end) {
    done_ = true;
    warning_ = fmt::format("{}: truncated: no trailer after line {}; the trace may end early", name_, line_number_);
    return std::nullopt;
  }
  std::string error;
  auto line = parse_json(line_, &error);
  if (!line) {
    if (read != LineRead::last_unterminated) fail(error);
    // The write that was under way when proclife stopped.
    done_ = true;
    warning_ = fmt::format("{}: truncated: line {} is cut short and there is no trailer; the trace may end early",
                           name_, line_number_);
    return std::nullopt;
  }
  if (!line->is_object()) fail(std::string("expected a JSON object, found ") + a_type_name(*line));
  LineContext where{name_, line_number_};
  FieldReader reader(*line, "line", where);
  std::string_view type = reader.plain_string("type");
  if (type == "event") return read_event(*line, where);
  if (type == "trailer") {
    RecordTrailer trailer;
    FieldReader trailer_reader(*line, "trailer", where);
    fields(trailer_reader, trailer);
    trailer_ = trailer;
    done_ = true;
    check_nothing_follows();
    return std::nullopt;
  }
  if (type == "header") fail("a second header");
  fail("unknown line type " + quoted_for_message(type));
}

// Reads the next line into line_ a chunk at a time, so a line past the limit
// is refused once the limit is reached, having held no more than it: a file
// without line breaks (/dev/zero) costs kMaxLineBytes, not all of itself.
RecordReader::LineRead RecordReader::read_line() {
  constexpr std::streamsize kChunk = 64 << 10;
  char chunk[kChunk];
  while (true) {
    line_.clear();
    bool any = false, terminated = false;
    while (true) {
      in_.getline(chunk, kChunk);
      std::streamsize got = in_.gcount();
      any = any || got > 0;
      // Neither eof nor fail: getline stopped at a '\n', which gcount() counts.
      // fail alone: the chunk filled up before one.
      terminated = !in_.eof() && !in_.fail();
      bool full = in_.fail() && !in_.eof() && !in_.bad();
      auto stored = static_cast<size_t>(terminated ? got - 1 : got);
      if (line_.size() + stored > kMaxLineBytes) {
        ++line_number_;
        fail(fmt::format("line longer than {} MiB", kMaxLineBytes >> 20));
      }
      line_.append(chunk, stored);
      if (!full) break;
      in_.clear(in_.rdstate() & ~std::ios::failbit);
    }
    if (!any) break;
    ++line_number_;
    if (!is_blank(line_)) return terminated ? LineRead::line : LineRead::last_unterminated;
    if (!terminated) break;
  }
  if (in_.bad()) throw RecordingError(name_ + ": read error");
  return LineRead::end;
}

void RecordReader::check_nothing_follows() {
  if (read_line() != LineRead::end) fail("data after the trailer");
}

void RecordReader::fail(std::string_view what) const { LineContext{name_, line_number_}.fail(what); }

// ---- Whole recordings and replay ----

Recording read_recording(std::istream& in, std::string_view name) {
  RecordReader reader(in, std::string(name));
  Recording recording{reader.header(), {}, {}, {}};
  while (auto event = reader.next()) recording.events.push_back(std::move(*event));
  recording.trailer = reader.trailer();
  recording.warning = reader.warning();
  return recording;
}

GraphOptions graph_options(const RecordHeader& header) {
  GraphOptions options;
  options.origin_ns = header.origin_ns;
  options.observer_pid = header.observer_pid;
  options.root_pid = header.root_pid;
  options.observer_comm = header.observer_comm;
  options.reap_source = header.reap_source;
  return options;
}

Graph build_graph(const Recording& recording) {
  Graph graph = start_graph(recording.header);
  uint64_t last_ns = recording.header.origin_ns;
  for (const auto& event : recording.events) {
    graph.apply(event);
    last_ns = std::max(last_ns, event.ns);
  }
  finish_graph(graph, recording.trailer, last_ns);
  return graph;
}

Replay replay_recording(std::istream& in, std::string_view name, const std::function<void(Event&)>& prepare) {
  RecordReader reader(in, std::string(name));
  Replay replay{reader.header(), start_graph(reader.header()), {}, {}};
  InconsistencyLog log;
  replay.graph.on_inconsistency([&](const InconsistencyNote& note) { log.add(note, reader.line_number()); });
  uint64_t last_ns = reader.header().origin_ns;
  while (auto event = reader.next()) {
    if (prepare) prepare(*event);
    replay.graph.apply(*event);
    last_ns = std::max(last_ns, event->ns);
  }
  replay.graph.on_inconsistency(nullptr);  // `log` and `reader` end here
  finish_graph(replay.graph, reader.trailer(), last_ns);
  replay.warning = reader.warning();
  replay.inconsistencies = log.messages(name, replay.graph);
  return replay;
}

}  // namespace proclife
