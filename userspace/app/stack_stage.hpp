// Between the decoder and the graph when --stacks is on: turns each stack
// capture into a resolved stack while the process is still there to read
// (its maps, its Python code objects), and keeps the resolver and the
// probe's table of Python interpreters in step with forks, execs and ends.
#pragma once

#include <sys/types.h>

#include <set>

#include "events.hpp"
#include "model.hpp"
#include "probe.hpp"
#include "resolver.hpp"

namespace proclife {

class StackStage {
 public:
  StackStage(Probe& probe, bool verbose);

  // Before the graph sees `event`: a stack event leaves with `stack` filled
  // and `capture` empty.
  void prepare(Event& event);

  // A process that was running before tracing began (attach): its
  // interpreter, if it is one, is registered now.
  void seed(pid_t pid);

  // At the end of the trace: file and line for every native frame the graph
  // holds (the recording has names only; `report` reads debug info itself).
  void add_lines(Graph& graph);

 private:
  void resolve(Event& event);
  void register_python(const ProcKey& key);

  Probe& probe_;
  bool verbose_;
  stacks::StackResolver resolver_;
  std::set<uint64_t> unsupported_reported_;  // Python versions already explained
};

}  // namespace proclife
