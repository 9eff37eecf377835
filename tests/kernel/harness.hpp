// Runs the real proclife on a workload and hands back its JSON report, with
// helpers that make kernel tests read like the scenario they check.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace proclife::ktest {

using Json = nlohmann::json;

struct Traced {
  int status = -1;          // proclife's exit status
  std::string stderr_text;  // what proclife (and the workload) wrote to stderr
  Json report;              // the --format json report

  // The processes whose comm is `comm`, in fork order; fails the test when none.
  std::vector<Json> all(const std::string& comm) const;
  Json one(const std::string& comm) const;  // exactly one such process
  Json by_pid(uint64_t pid) const;
};

// Fails the test (never skips) when not root: CI runs these as root.
void require_root();

std::string workload(const std::string& name);

// proclife run --format json -o TMP [options] -- command...
Traced trace(const std::vector<std::string>& command, const std::vector<std::string>& options = {});

// Runs any command; returns its exit status and captures stdout+stderr.
int run_capture(const std::vector<std::string>& argv, std::string& output);

// Starts a command in the background, stdout and stderr to `log_path`, with
// extra environment entries ("NAME=VALUE"); wait_exit() collects it.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path,
            const std::vector<std::string>& env = {});
int wait_exit(pid_t pid);  // as a shell reports it: code, or 128+signal

// A fresh empty file under /tmp, and a file's whole content.
std::string temp_path(const char* stem);
std::string slurp(const std::string& path);

}  // namespace proclife::ktest
