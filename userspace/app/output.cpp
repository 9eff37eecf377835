#include "output.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "escape.hpp"
#include "formats.hpp"

namespace proclife {
namespace {

void render(const Graph& graph, const ReportContext& context, const std::string& name, std::ostream& out) {
  const OutputFormat* format = find_output_format(name);
  if (!format) throw std::runtime_error("the " + name + " format is not available");
  format->write(graph, context, out);
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  std::error_code error;
  auto ca = std::filesystem::weakly_canonical(a, error);
  if (error) return a == b;
  auto cb = std::filesystem::weakly_canonical(b, error);
  return error ? a == b : ca == cb;
}

}  // namespace

std::unique_ptr<std::ofstream> open_output_file(const std::string& path, const std::string& what) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw std::runtime_error(fmt_cannot_write(what, path, "is a directory"));
  auto file = std::make_unique<std::ofstream>();
  errno = 0;
  file->open(path, std::ios::binary | std::ios::trunc);
  if (!*file) throw std::runtime_error(fmt_cannot_write(what, path, errno ? strerror(errno) : "cannot open it"));
  return file;
}

void check_distinct_outputs(const OutputOptions& output) {
  if (!output.output_path.empty() && !output.record_path.empty() && same_file(output.output_path, output.record_path))
    throw std::runtime_error("-o and --record name the same file (" + printable(output.output_path) +
                             "): the report would overwrite the recording");
}

std::string lost_events_advice(uint64_t ring_buffer_full, uint64_t traced_table_full, uint32_t ring_buffer_mb) {
  constexpr uint32_t kLargestRingBufferMb = 1024;  // the option's limit
  std::string advice;
  if (ring_buffer_full) {
    advice += fmt::format("proclife: {} event{} lost: the ring buffer was full; ", ring_buffer_full,
                          ring_buffer_full == 1 ? "" : "s");
    advice += ring_buffer_mb < kLargestRingBufferMb
                  ? fmt::format("try --ring-buffer-mb {}\n", std::min(ring_buffer_mb * 4, kLargestRingBufferMb))
                  : std::string("it is at its largest (1024 MiB): the tree makes events faster than proclife reads "
                                "them\n");
  }
  if (traced_table_full)
    advice += fmt::format(
        "proclife: {} new process{} not followed: the table of traced processes (65,536) was full; a larger ring "
        "buffer does not help\n",
        traced_table_full, traced_table_full == 1 ? "" : "es");
  return advice;
}

std::string fmt_cannot_write(const std::string& what, const std::string& path, const std::string& why) {
  return "cannot write " + what + " to " + printable(path) + ": " + why;
}

ReportSink::ReportSink(const OutputOptions& output, std::ostream& fallback)
    : format_(output.format), name_(output.output_path), out_(&fallback) {
  if (output.output_path.empty()) {
    name_ = &fallback == &std::cout ? "stdout" : "stderr";
    return;
  }
  file_ = open_output_file(output.output_path, "the report");
  out_ = file_.get();
}

ReportSink::~ReportSink() = default;

std::string ReportSink::write(const Graph& graph, const ReportContext& context) {
  errno = 0;
  render(graph, context, format_, *out_);
  out_->flush();
  if (file_) file_->close();
  if (*out_) return {};
  int error = errno;
  out_->clear();
  return fmt_cannot_write("the report", name_, error ? strerror(error) : "write failed");
}

}  // namespace proclife
