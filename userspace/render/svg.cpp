// A self-contained SVG timeline: one row per process in tree order, its life
// as a bar (running, zombie, gone), fork and reap links between rows, and a
// time axis. No scripts, no external resources: it opens anywhere.
#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#include "escape.hpp"
#include "format.hpp"
#include "render_common.hpp"
#include "stack_text.hpp"
#include "report.hpp"
#include "svg_util.hpp"
#include "tree.hpp"
#include "verdict.hpp"

namespace proclife {
namespace {

constexpr double kWidth = 1400, kLabelLeft = 8, kPlotLeft = 430, kPlotRight = kWidth - 24;
constexpr double kRowsTop = 112;
constexpr size_t kMaxTooltipChars = 600;
constexpr size_t kAlwaysLinkRows = 60, kMaxLinkRows = 24;

// Fewer rows get more room; hundreds stay readable at 9 px text.
struct RowStyle {
  double height, font, bar;
  bool dense;  // thin links, no end dots
};

RowStyle row_style(size_t rows) {
  if (rows <= 40) return {20, 12, 10, false};
  if (rows <= 150) return {15, 10.5, 8, false};
  return {12, 9, 6, true};
}

constexpr const char* kStyle = R"(
  text { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; fill: #222; }
  .label { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; }
  .dim { fill: #666; }
  .argv { fill: #8a9099; }
  .run { fill: #3b7dd8; }
  .zombie { fill: #e4572e; }
  .gone { stroke: #c3c7cd; stroke-width: 1; }
  .exec { stroke: #fff; stroke-width: 1.2; }
  .fork { stroke: #404850; fill: none; }
  .reap { stroke: #c0392b; fill: none; stroke-dasharray: 3 2; }
  .reapdot { fill: #c0392b; }
  .grid { stroke: #e3e6ea; stroke-width: 1; }
  .axis { stroke: #888; stroke-width: 1; }
  .stripe { fill: #f4f6f8; }
  .orphaned { fill: #1f6fb2; }
  .ORPHAN { fill: #1f6fb2; font-weight: bold; }
  .LEAKED { fill: #b7791f; font-weight: bold; }
  .ZOMBIE { fill: #c0392b; font-weight: bold; }
  .KILLED { fill: #8e2fb0; font-weight: bold; }
)";

class SvgWriter {
 public:
  SvgWriter(const Graph& graph, std::ostream& out)
      : graph_(graph), out_(out), window_(trace_window(graph)), end_ns_(window_.end), cmd_end_(cmd_end_ns(graph)),
        tree_(build_tree(graph)), order_(tree_order(tree_)), style_(row_style(order_.size())) {
    row_of_.resize(graph.processes().size());
    for (size_t row = 0; row < order_.size(); ++row) row_of_[order_[row]] = row;
    depth_.assign(graph.processes().size(), 0);
    for (size_t index : order_)
      for (size_t child : tree_.children[index]) depth_[child] = depth_[index] + 1;
  }

  void write(const ReportContext& context);

 private:
  // Always on the plot, whatever the time: a stamp outside the trace is clamped to its edge.
  double x(uint64_t ns) const {
    double span = std::max<double>(1, static_cast<double>(window_.length()));
    double at = static_cast<double>(std::clamp(ns, window_.begin, window_.end) - window_.begin) / span;
    return kPlotLeft + (kPlotRight - kPlotLeft) * std::clamp(at, 0.0, 1.0);
  }
  double row_top(size_t row) const { return kRowsTop + row * style_.height; }
  double row_mid(size_t row) const { return row_top(row) + style_.height / 2; }
  double rows_bottom() const { return row_top(order_.size()); }
  // The edge of `row`'s bar that faces `toward`.
  double bar_edge(size_t row, size_t toward) const {
    return row_mid(row) + (toward > row ? 1 : -1) * style_.bar / 2;
  }

  void header(const ReportContext& context);
  void legend();
  void axis(double y, bool labels_above);
  void link(std::string& path, double at_x, size_t from, size_t to) const;
  void links();
  void row(size_t row);
  std::string label(const Process& process, size_t row) const;
  std::string tooltip(const Process& process) const;

  const Graph& graph_;
  std::ostream& out_;
  TraceWindow window_;
  uint64_t end_ns_;
  uint64_t cmd_end_;
  ProcessTree tree_;
  std::vector<size_t> order_;
  RowStyle style_;
  std::vector<size_t> row_of_;
  std::vector<size_t> depth_;
};

void SvgWriter::write(const ReportContext& context) {
  double height = rows_bottom() + 40;
  out_ << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out_ << fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\">\n",
                      kWidth, height);
  out_ << "<style>" << kStyle << "</style>\n";
  out_ << fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n", kWidth, height);
  header(context);
  legend();
  for (size_t row = 1; row < order_.size(); row += 2)
    out_ << fmt::format("<rect class=\"stripe\" x=\"0\" y=\"{:.1f}\" width=\"{}\" height=\"{}\"/>\n", row_top(row),
                        kWidth, style_.height);
  axis(kRowsTop - 4, true);
  if (order_.size() > 30) axis(rows_bottom() + 4, false);
  links();
  for (size_t row = 0; row < order_.size(); ++row) this->row(row);
  out_ << "</svg>\n";
}

void SvgWriter::header(const ReportContext& context) {
  std::string title = "proclife: " + clip(shell_join(context.command), 160);
  out_ << fmt::format("<title>{}</title>\n", xml_text(title));
  out_ << fmt::format("<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", kLabelLeft,
                      xml_text(title));
  std::string summary = fmt::format("{}, {} traced; times from the trace start", count_of(order_.size(), "process", "processes"),
                                    format_duration(window_.length()));
  if (graph_.lost_events())
    summary += fmt::format(". WARNING: {} events lost, parts of this may be wrong", graph_.lost_events());
  out_ << fmt::format("<text x=\"{}\" y=\"40\" font-size=\"11\" class=\"dim\">{}</text>\n", kLabelLeft,
                      xml_text(summary));
}

void SvgWriter::legend() {
  double y = 62, x = kLabelLeft;
  auto item = [&](const std::string& swatch, const char* text) {
    out_ << fmt::format("<g transform=\"translate({:.1f},{})\">{}<text x=\"22\" y=\"4\" font-size=\"11\">{}</text></g>\n",
                        x, y, swatch, text);
    x += 30 + 6.2 * std::string_view(text).size();
  };
  item("<rect class=\"run\" x=\"0\" y=\"-5\" width=\"18\" height=\"10\"/><line class=\"exec\" x1=\"9\" y1=\"-5\" "
       "x2=\"9\" y2=\"5\"/>",
       "running (white tick: exec)");
  item("<rect class=\"zombie\" x=\"0\" y=\"-5\" width=\"18\" height=\"10\"/>", "zombie: exited, not yet reaped");
  item("<line class=\"gone\" x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\"/>", "reaped: gone");
  item("<line class=\"fork\" x1=\"9\" y1=\"-7\" x2=\"9\" y2=\"7\"/>", "fork: parent to child");
  item("<line class=\"reap\" x1=\"9\" y1=\"-7\" x2=\"9\" y2=\"7\"/><circle class=\"reapdot\" cx=\"9\" cy=\"-6\" "
       "r=\"2\"/>",
       "reap: child to the waiter");
  y += 18, x = kLabelLeft;
  for (auto [flag, text] : {std::pair{"ORPHAN", "its parent died first (▼ when)"}, {"LEAKED", "running when CMD exited"},
                            {"ZOMBIE", "never reaped"}, {"KILLED", "by a signal"}}) {
    out_ << fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\"><tspan class=\"{}\">{}</tspan>: {}</text>\n", x,
                        y + 4, flag, flag, text);
    x += 40 + 6.2 * (std::string_view(flag).size() + std::string_view(text).size());
  }
}

void SvgWriter::axis(double y, bool labels_above) {
  out_ << fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>\n", kPlotLeft, y,
                      kPlotRight, y);
  for (const auto& tick : time_ticks(window_.length(), 9)) {
    double tx = x(graph_.origin_ns() + tick.ns);
    if (labels_above)
      out_ << fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", tx, y,
                          rows_bottom());
    out_ << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\" text-anchor=\"middle\" class=\"dim\">{}</text>\n",
                        tx, labels_above ? y - 4 : y + 13, xml_text(tick.label));
  }
}

// A vertical link at `at_x` from row `from` to row `to`. A long one (past
// kMaxLinkRows in a big chart) becomes two stubs facing each other: hundreds
// of children of one parent stay a comb under its bar instead of a wash of
// lines across every row; the indentation and tooltips name the parent.
void SvgWriter::link(std::string& path, double at_x, size_t from, size_t to) const {
  double from_y = bar_edge(from, to), to_y = bar_edge(to, from);
  size_t span = from > to ? from - to : to - from;
  if (order_.size() <= kAlwaysLinkRows || span <= kMaxLinkRows) {
    path += fmt::format("M{:.1f} {:.1f}V{:.1f}", at_x, from_y, to_y);
    return;
  }
  double stub = (to > from ? 1 : -1) * style_.height * 0.7;
  path += fmt::format("M{0:.1f} {1:.1f}v{2:.1f}M{0:.1f} {3:.1f}v{4:.1f}", at_x, from_y, stub, to_y, -stub);
}

// Links go under the bars, all of a kind in one path.
void SvgWriter::links() {
  std::string forks, reaps, dots;
  const auto& procs = graph_.processes();
  for (size_t index : order_) {
    const Process& process = procs[index];
    size_t row = row_of_[index];
    if (process.fork_parent && process.fork_ns)
      if (auto parent = graph_.index_of(*process.fork_parent)) link(forks, x(*process.fork_ns), row_of_[*parent], row);
    if (!process.reap || !process.reap->reaper || process.reap->via == ReapVia::autoreap) continue;
    auto reaper = graph_.index_of(*process.reap->reaper);
    if (!reaper) continue;
    size_t to = row_of_[*reaper];
    double rx = x(process.reap->ns);
    link(reaps, rx, row, to);
    if (!style_.dense)
      dots += fmt::format("<circle class=\"reapdot\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2\"/>", rx, bar_edge(to, row));
  }
  double width = style_.dense ? 0.7 : 1;
  if (!forks.empty()) out_ << fmt::format("<path class=\"fork\" stroke-width=\"{}\" d=\"{}\"/>\n", width, forks);
  if (!reaps.empty()) out_ << fmt::format("<path class=\"reap\" stroke-width=\"{}\" d=\"{}\"/>\n", width, reaps);
  out_ << dots << '\n';
}

void SvgWriter::row(size_t row) {
  const Process& process = graph_.processes()[order_[row]];
  Lifetime life = lifetime(graph_, process, end_ns_);
  double top = row_mid(row) - style_.bar / 2, mid = row_mid(row);
  out_ << fmt::format("<g class=\"row\"><title>{}</title>", xml_text(tooltip(process)));
  double run_from = x(life.start_ns), run_to = std::max(x(life.exit_ns), run_from + 2);
  out_ << fmt::format("<rect class=\"run\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\"/>", run_from, top,
                      run_to - run_from, style_.bar);
  for (const auto& exec : process.execs)
    if (double ex = x(exec.ns); ex - run_from >= 2 && run_to - ex >= 2)  // a tick would hide a short bar
      out_ << fmt::format("<line class=\"exec\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>", ex,
                          top, top + style_.bar);
  if (life.exited && life.reap_ns > life.exit_ns) {
    double zombie_to = std::max(x(life.reap_ns), run_to + 0.6);
    out_ << fmt::format("<rect class=\"zombie\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\"/>", run_to,
                        top, zombie_to - run_to, style_.bar);
  }
  if (life.reaped && life.reap_ns < end_ns_)
    out_ << fmt::format("<line class=\"gone\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\"/>",
                        std::max(x(life.reap_ns), run_to), mid, kPlotRight, mid);
  if (process.rare().orphaned) {  // a small flag above the bar when its parent died
    double size = style_.bar * 0.6;
    out_ << fmt::format("<path class=\"orphaned\" d=\"M{:.1f} {:.1f}l{:.1f} {:.1f}h{:.1f}z\"/>",
                        x(process.rare().orphaned->ns), top, -size / 2, -size, size);
  }
  out_ << label(process, row) << "</g>\n";
}

// "4242 sh ZOMBIE exited 1", indented by tree depth, cut to the column.
std::string SvgWriter::label(const Process& process, size_t row) const {
  double indent = static_cast<double>(std::min<size_t>(depth_[order_[row]], 16)) * style_.font * 0.7;
  double char_width = style_.font * 0.61;  // monospace
  auto max_chars = static_cast<size_t>((kPlotLeft - 10 - kLabelLeft - indent) / char_width);
  std::vector<TextRun> runs = {{fmt::format("{} {}", process.key.pid, clip(printable(process.comm), 20)), ""}};
  for (auto word : flag_names(verdict(graph_, process, cmd_end_)))
    runs.push_back({" " + std::string(word), std::string(word)});
  if (process.exit) runs.push_back({" " + exit_text(process), "dim"});
  if (!process.execs.empty()) runs.push_back({"  " + last_argv(process), "argv"});
  return fmt::format("<text class=\"label\" x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"{}\">{}</text>", kLabelLeft + indent,
                     row_mid(row) + style_.font * 0.35, style_.font, tspans(runs, max_chars));
}

// The whole story of the row, shown on hover.
std::string SvgWriter::tooltip(const Process& process) const {
  std::string text = describe_process(process);
  if (!process.execs.empty()) text += ": " + last_argv(process);
  Lifetime life = lifetime(graph_, process, end_ns_);
  text += fmt::format("\n{} at {}", process.pre_existing ? "seen" : clone_kind_name(process),
                      format_offset(graph_.rel(life.start_ns)));
  if (process.fork_parent_pid) text += fmt::format(" by pid {}", process.fork_parent_pid);
  auto ran = ran_ns(process, window_);
  if (process.exit) text += "; " + exit_text(process) + (ran ? " after " + format_duration(*ran) : "");
  else if (!process.reap) text += "; still running" + (ran ? " after " + format_duration(*ran) : "");
  if (process.exit || process.reap) text += "\n" + reap_sentence(graph_, process, window_);
  if (const auto& orphan = process.rare().orphaned)
    text += fmt::format("\norphaned at {}, adopted by {}", format_offset(graph_.rel(orphan->ns)),
                        describe_pid(orphan->new_parent.pid, orphan->new_parent_comm));
  // --stacks: where in the program, a few frames each (the tooltip is clipped).
  constexpr size_t kTooltipFrames = 4;
  if (process.rare().fork_stack)
    text += fmt::format("\n{} called from {}", clone_kind_name(process), stack_chain(*process.rare().fork_stack, kTooltipFrames));
  if (const WaitCall* call = reaping_call(graph_, process); call && call->stack)
    text += fmt::format("\nreaping {} called from {}", wait_syscall_name(call->syscall),
                        stack_chain(*call->stack, kTooltipFrames));
  if (process.exit && process.rare().exit_group_stack)
    text += "\nexit_group called from " + stack_chain(*process.rare().exit_group_stack, kTooltipFrames);
  return clip(text, kMaxTooltipChars);
}

}  // namespace

void write_svg_report(const Graph& graph, const ReportContext& context, std::ostream& out) {
  SvgWriter(graph, out).write(context);
}

}  // namespace proclife
