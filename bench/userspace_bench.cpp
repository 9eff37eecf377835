// The userspace path on one core: raw ring-buffer records -> decode -> graph
// -> JSON report, timed on a recorded trace (e.g. of the fork storm).
//
//   proclife_userspace_bench RECORDING [REPETITIONS]
//
// The recording holds decoded events; they are encoded back into the exact
// records the kernel writes (bpf/proclife_abi.h), so the timed loop does what
// `proclife run` does per event, without the ring buffer itself.
#include <time.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <ostream>
#include <streambuf>
#include <vector>

#include "decode.hpp"
#include "encode.hpp"
#include "record.hpp"
#include "report.hpp"

namespace {

using namespace proclife;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: proclife_userspace_bench RECORDING [REPETITIONS]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "proclife_userspace_bench: cannot read " << argv[1] << '\n';
    return 2;
  }
  int repetitions = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  Recording recording = read_recording(in, argv[1]);
  std::vector<std::vector<uint8_t>> records;
  for (const auto& event : recording.events) records.push_back(encode_record(event));

  std::vector<double> model_rates, full_rates;
  size_t processes = 0;
  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  for (int rep = 0; rep < repetitions; ++rep) {
    double begin = thread_cpu_seconds();
    Graph graph(graph_options(recording.header));
    for (const auto& record : records)
      if (auto event = decode_record(record.data(), record.size())) graph.apply(*event);
    graph.finish(recording.trailer ? recording.trailer->end_ns : 0);
    double modelled = thread_cpu_seconds();
    write_json_report(graph, ReportContext{recording.header.command}, null_stream);
    double reported = thread_cpu_seconds();
    processes = graph.processes().size();
    model_rates.push_back(records.size() / (modelled - begin));
    full_rates.push_back(records.size() / (reported - begin));
  }
  std::sort(model_rates.begin(), model_rates.end());
  std::sort(full_rates.begin(), full_rates.end());
  std::cout << fmt::format(
      "userspace path on {} events ({} processes), median of {} on one core: decode+model {:.2f} M events/s; "
      "decode+model+JSON report {:.2f} M events/s\n",
      records.size(), processes, repetitions, model_rates[model_rates.size() / 2] / 1e6, full_rates[full_rates.size() / 2] / 1e6);
  return 0;
}
