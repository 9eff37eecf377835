#include "render_common.hpp"

#include <algorithm>

#include "format.hpp"

namespace proclife {

uint64_t trace_end_ns(const Graph& graph) {
  uint64_t end = std::max(graph.end_ns(), graph.origin_ns());
  // A graph that was never finish()ed, or events stamped after the end.
  for (const auto& process : graph.processes()) {
    end = std::max(end, process.fork_ns.value_or(0));
    if (!process.execs.empty()) end = std::max(end, process.execs.back().ns);
    if (process.exit) end = std::max(end, process.exit->ns);
    if (process.reap) end = std::max(end, process.reap->ns);
    if (process.sigchld) end = std::max(end, process.sigchld->delivered_ns.value_or(process.sigchld->generated_ns));
    if (!process.wait_calls.empty()) end = std::max(end, process.wait_calls.back().exit_ns);
  }
  return end;
}

Lifetime lifetime(const Graph& graph, const Process& process, uint64_t end_ns) {
  auto clamp = [&](uint64_t ns) { return std::clamp(ns, graph.origin_ns(), end_ns); };
  Lifetime life;
  life.start_ns = clamp(process.fork_ns.value_or(process.key.start_ns));
  life.exited = process.exit.has_value();
  life.reaped = process.reap.has_value();
  life.exit_ns = std::max(life.start_ns, process.exit ? clamp(process.exit->ns) : end_ns);
  life.reap_ns = std::max(life.exit_ns, process.reap ? clamp(process.reap->ns) : end_ns);
  return life;
}

ProcessFlags process_flags(const Process& process) {
  ProcessFlags flags;
  flags.orphan = process.orphaned.has_value();
  flags.leaked = process.end_state() == EndState::running;
  flags.zombie = process.end_state() == EndState::zombie;
  flags.killed = process.exit && process.exit->status.signal.has_value();
  return flags;
}

std::string flag_words(const ProcessFlags& flags) {
  std::string out;
  auto add = [&](bool set, const char* word) {
    if (!set) return;
    if (!out.empty()) out += ' ';
    out += word;
  };
  add(flags.orphan, "ORPHAN");
  add(flags.leaked, "LEAKED");
  add(flags.zombie, "ZOMBIE");
  add(flags.killed, "KILLED");
  return out;
}

std::string exit_text(const Process& process) {
  return process.exit ? describe_exit(process.exit->status) : "running";
}

std::optional<ProcKey> sigchld_receiver(const Process& process) {
  // Children still unreaped when their parent dies are handed over with it:
  // the SIGCHLD of one that had already exited went to the old parent.
  if (process.orphaned && process.exit && process.exit->ns <= process.orphaned->ns)
    return process.orphaned->old_parent;
  return process.parent;
}

const WaitCall* reaping_call(const Graph& graph, const Process& process) {
  if (!process.reap || !process.reap->reaper) return nullptr;
  const Process* reaper = graph.find(*process.reap->reaper);
  if (!reaper) return nullptr;
  for (const auto& call : reaper->wait_calls)
    if (call.reaped && *call.reaped == process.key) return &call;
  return nullptr;
}

bool reaped_by_stranger(const Process& process) {
  const auto& reap = process.reap;
  if (!reap || reap->reaper_pid == 0) return false;
  if (reap->reaper && process.fork_parent) return *reap->reaper != *process.fork_parent;
  if (reap->reaper || process.fork_parent) return true;
  return reap->reaper_pid != process.fork_parent_pid;
}

size_t utf8_length(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(),
                                           [](char c) { return (static_cast<uint8_t>(c) & 0xC0) != 0x80; }));
}

std::string clip(std::string_view text, size_t max_chars) {
  if (utf8_length(text) <= max_chars) return std::string(text);
  if (max_chars == 0) return {};
  size_t keep = max_chars - 1, chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    bool starts_char = (static_cast<uint8_t>(text[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == keep) break;
  }
  return std::string(text.substr(0, i)) + "…";
}

}  // namespace proclife
