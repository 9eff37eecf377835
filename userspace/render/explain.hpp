// The reaping story in plain language: for each parent, how it waited; for
// each child, exit -> SIGCHLD -> handler -> the wait that reaped it.
#pragma once

#include <iosfwd>
#include <string>

#include "model.hpp"
#include "report.hpp"

namespace proclife {

void write_explain_report(const Graph& graph, const ReportContext& context, std::ostream& out);

// "wait4(4243, WNOHANG)", "waitid(P_PIDFD, fd 3, WEXITED)".
std::string describe_wait_call(const WaitCall& call);

}  // namespace proclife
