// The lifetime graph for Graphviz: who forked whom, who reaped whom when it
// was not the parent, who adopted the orphans. `dot -Tsvg` renders it.
#include <fmt/format.h>

#include <optional>
#include <ostream>
#include <set>
#include <vector>

#include "escape.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "report.hpp"
#include "tree.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

constexpr size_t kMaxCommChars = 24;
// Graphviz refuses a label over 16,384 bytes: every string is cut well
// below that (escaped, a code point takes at most 12 bytes: \\xNN twice).
constexpr size_t kMaxStringChars = 1000;

// Fill by state at the end; the border says killed, a dashed one orphan.
constexpr const char* kFillReaped = "#eaf2fb";
constexpr const char* kFillZombie = "#f6b8b0";
constexpr const char* kFillLeaked = "#fbe49a";
constexpr const char* kBorder = "#4a6f96";
constexpr const char* kBorderKilled = "#8e2fb0";
constexpr const char* kReapColor = "#c0392b";
constexpr const char* kAdoptColor = "#2471a3";

// Inside a DOT quoted string. `text` comes from printable(), so it holds no
// control characters; doubling its backslashes keeps Graphviz from reading
// them as escapes (\N, \l), and &amp; keeps it from decoding entities.
// What XML 1.0 forbids (U+FFFE, U+FFFF; the C0 controls, surrogates and
// stray bytes printable() already escaped) would make Graphviz's SVG
// invalid: it is written as text, \uFFFE.
std::string dot_escape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '&') {
      out += "&amp;";
      continue;
    }
    if (static_cast<uint8_t>(c) < 0x20) {  // not from printable(): still never raw
      out += fmt::format("\\\\x{:02x}", static_cast<uint8_t>(c));
      continue;
    }
    if (text.substr(i, 2) == "\xEF\xBF" && i + 2 < text.size() && (text[i + 2] == '\xBE' || text[i + 2] == '\xBF')) {
      out += text[i + 2] == '\xBE' ? "\\\\uFFFE" : "\\\\uFFFF";
      i += 2;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// One line of a label, or a whole string: cut (marked "…") to a size Graphviz takes.
std::string dot_text(std::string_view printable_text) { return dot_escape(clip(printable_text, kMaxStringChars)); }

std::string dot_string(std::string_view printable_text) { return '"' + dot_text(printable_text) + '"'; }

// Lines of a label, each printable; joined with DOT's centered line break.
std::string label(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\\n") + dot_text(line);
  return '"' + out + '"';
}

std::string node_id(size_t index) { return fmt::format("p{}", index); }
std::string external_id(uint32_t pid) { return fmt::format("ext{}", pid); }

std::string node_label(const Graph& graph, const Process& process, const Verdict& verdict, const TraceWindow& window) {
  std::vector<std::string> lines;
  lines.push_back(fmt::format("{} ({})", clip(printable(process.comm), kMaxCommChars), process.key.pid));
  if (!process.execs.empty()) lines.push_back(last_argv(process));
  auto ran = ran_ns(process, window);
  std::string ran_text = ran ? format_duration(*ran) : "";
  if (!process.exit && !process.reap) {
    lines.push_back("still running" + (ran ? " after " + ran_text : std::string(" at the end")));
  } else if (process.exit) {
    std::string status = exit_text(process);
    if (const auto& killer = process.rare().killed_by) status += " from " + describe_sender(*killer);
    lines.push_back(ran ? status + ", ran " + ran_text : status);
  }
  if (process.exit || process.reap) lines.push_back(reap_sentence(graph, process, window));
  if (std::string flags = flag_words(verdict); !flags.empty()) lines.push_back(flags);
  return label(lines);
}

void write_node(const Graph& graph, size_t index, const TraceWindow& window, uint64_t cmd_end, std::ostream& out) {
  const Process& process = graph.processes()[index];
  Verdict flags = verdict(graph, process, cmd_end);
  EndState state = process.end_state();
  const char* fill = state == EndState::running ? kFillLeaked : state == EndState::zombie ? kFillZombie : kFillReaped;
  std::string tooltip = process.execs.empty() ? printable(process.comm) : last_argv(process);
  out << fmt::format("  {} [label={}, fillcolor=\"{}\", color=\"{}\", penwidth={}, style=\"{}\", tooltip={}];\n",
                     node_id(index), node_label(graph, process, flags, window), fill,
                     flags.killed ? kBorderKilled : kBorder, flags.killed ? "2.5" : "1",
                     flags.orphan ? "rounded,filled,dashed" : "rounded,filled", dot_string(tooltip));
}

// A process that is not in the graph (init adopting an orphan, proclife).
struct External {
  uint32_t pid;
  std::string comm;
  bool operator<(const External& other) const { return pid < other.pid; }
};

// The source of an edge from a reaper or adopter: its node, or an external one.
std::string endpoint(const Graph& graph, OptionalKey key, uint32_t pid, std::string_view comm,
                     std::set<External>& externals) {
  if (key)
    if (auto index = graph.index_of(*key)) return node_id(*index);
  externals.insert({pid, std::string(comm)});
  return external_id(pid);
}

void write_edges(const Graph& graph, size_t index, std::set<External>& externals, std::ostream& out) {
  const Process& process = graph.processes()[index];
  if (process.fork_parent)
    if (auto parent = graph.index_of(*process.fork_parent)) {
      std::string kind = clone_kind_name(process);
      // attach's seeded processes have a parent but no fork time
      std::string when = process.fork_ns ? " at " + format_offset(graph.rel(*process.fork_ns)) : "";
      out << fmt::format("  {} -> {} [tooltip=\"{}{}\"{}];\n", node_id(*parent), node_id(index), kind, when,
                         kind == "fork" ? "" : fmt::format(", label=\"{}\"", kind));
    }
  if (const auto& orphan = process.rare().orphaned; orphan && orphan->new_parent.pid) {
    std::string from = endpoint(graph, orphan->new_parent, orphan->new_parent.pid, orphan->new_parent_comm, externals);
    out << fmt::format("  {} -> {} [style=dotted, color=\"{}\", fontcolor=\"{}\", label=\"adopted {}\"];\n", from,
                       node_id(index), kAdoptColor, kAdoptColor, format_offset(graph.rel(orphan->ns)));
  }
  if (reaped_by_stranger(process)) {
    const ReapRecord& reap = *process.reap;
    std::string from = endpoint(graph, reap.reaper, reap.reaper_pid, reap.reaper_comm, externals);
    out << fmt::format("  {} -> {} [style=dashed, color=\"{}\", fontcolor=\"{}\", label=\"reaped ({})\"];\n", from,
                       node_id(index), kReapColor, kReapColor, reap_via_name(reap.via));
  }
}

// One HTML-like table: static text, nothing from the trace.
void write_legend(std::ostream& out) {
  auto cell = [](const char* fill, const char* border, const char* extra, const char* text) {
    return fmt::format("<TR><TD BGCOLOR=\"{}\" COLOR=\"{}\" {}>{}</TD></TR>", fill, border, extra, text);
  };
  auto line = [](const char* color, const char* text) {
    return fmt::format("<TR><TD BORDER=\"0\" ALIGN=\"LEFT\"><FONT COLOR=\"{}\">{}</FONT></TD></TR>", color, text);
  };
  out << "  legend [shape=plaintext, style=solid, fontsize=9, label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"3\">"
      << "<TR><TD BORDER=\"0\"><B>legend</B></TD></TR>" << cell(kFillReaped, kBorder, "", "exited and reaped")
      << cell(kFillZombie, kBorder, "", "ZOMBIE: exited, never reaped")
      << cell(kFillLeaked, kBorder, "", "running at the end (LEAKED when CMD had exited)")
      << cell(kFillReaped, kBorderKilled, "BORDER=\"3\"", "KILLED by a signal")
      << cell(kFillReaped, kBorder, "STYLE=\"dashed\"", "ORPHAN: its parent died first")
      << cell("#ffffff", "#888888", "STYLE=\"dashed\"", "not traced") << line("#555555", "&#8212;&#8212;&gt; fork")
      << line(kReapColor, "- - -&gt; reaped, not by the fork parent")
      << line(kAdoptColor, "&#183;&#183;&#183;&gt; adopted (reparented)") << "</TABLE>>];\n";
}

}  // namespace

void write_dot_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  TraceWindow window = trace_window(graph);
  uint64_t cmd_end = cmd_end_ns(graph);
  out << "digraph proclife {\n";
  out << fmt::format("  label={}; labelloc=t; fontsize=12;\n",
                     dot_string(fmt::format("proclife: {}: {}, {} traced{}", clip(shell_join(context.command), 160),
                                        count_of(graph.processes().size(), "process", "processes"), format_duration(window.length()),
                                        graph.lost_events() ? fmt::format(" ({} EVENTS LOST)", graph.lost_events())
                                                            : "")));
  out << "  rankdir=LR; fontname=\"Helvetica\";\n"
         "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
         "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n";
  write_legend(out);
  ProcessTree tree = build_tree(graph);
  std::vector<size_t> order = tree_order(tree);
  for (size_t index : order) write_node(graph, index, window, cmd_end, out);
  std::set<External> externals;
  for (size_t index : order) write_edges(graph, index, externals, out);
  for (const auto& external : externals)
    out << fmt::format("  {} [label={}, shape=ellipse, style=dashed, color=\"#888888\", fontcolor=\"#555555\"];\n",
                       external_id(external.pid),
                       label({describe_pid(external.pid, external.comm), "not traced"}));
  out << "}\n";
}

}  // namespace proclife
