#include "formats.hpp"

#include <algorithm>
#include <array>

#include "explain.hpp"

namespace proclife {
namespace {

constexpr std::array kFormats{
    OutputFormat{"text", "the process tree, leaks and zombies first", write_text_report},
    OutputFormat{"json", "every process and its fields (schema in the README)", write_json_report},
    OutputFormat{"explain", "the reaping story in plain language", write_explain_report},
    OutputFormat{"dot", "Graphviz: the fork tree, reaps by others, adoptions", write_dot_report},
    OutputFormat{"perfetto", "Chrome trace-event JSON for ui.perfetto.dev", write_perfetto_report},
    OutputFormat{"svg", "a self-contained timeline, a row per process", write_svg_report},
};

}  // namespace

std::span<const OutputFormat> output_formats() { return kFormats; }

const OutputFormat* find_output_format(std::string_view name) {
  auto it = std::find_if(kFormats.begin(), kFormats.end(), [&](const auto& format) { return format.name == name; });
  return it == kFormats.end() ? nullptr : &*it;
}

}  // namespace proclife
