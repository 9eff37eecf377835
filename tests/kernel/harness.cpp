#include "harness.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace proclife::ktest {

std::string temp_path(const char* stem) {
  std::string pattern = std::string("/tmp/proclife-ktest-") + stem + "-XXXXXX";
  int fd = mkstemp(pattern.data());
  REQUIRE(fd >= 0);
  close(fd);
  return pattern;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log_path, const std::vector<std::string>& env) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& entry : env) putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void require_root() {
  if (geteuid() != 0) FAIL("kernel tests load BPF programs and must run as root");
}

std::string workload(const std::string& name) { return std::string(PROCLIFE_WORKLOAD_DIR) + "/" + name; }

int run_capture(const std::vector<std::string>& argv, std::string& output) {
  std::string out_path = temp_path("out");
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(out_path.c_str(), O_WRONLY | O_TRUNC);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  output = slurp(out_path);
  unlink(out_path.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Traced trace(const std::vector<std::string>& command, const std::vector<std::string>& options) {
  require_root();
  std::string report_path = temp_path("report");
  std::vector<std::string> argv = {PROCLIFE_BIN, "run", "--format", "json", "-o", report_path};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  Traced traced;
  traced.status = run_capture(argv, traced.stderr_text);
  std::string text = slurp(report_path);
  unlink(report_path.c_str());
  INFO("proclife stderr:\n" << traced.stderr_text);
  REQUIRE_FALSE(text.empty());
  traced.report = Json::parse(text);
  return traced;
}

std::vector<Json> Traced::all(const std::string& comm) const {
  std::vector<Json> found;
  for (const auto& process : report.at("processes"))
    if (process.at("comm") == comm) found.push_back(process);
  INFO("report: " << report.dump(1));
  REQUIRE_FALSE(found.empty());
  return found;
}

Json Traced::one(const std::string& comm) const {
  auto found = all(comm);
  INFO("processes named " << comm);
  REQUIRE(found.size() == 1);
  return found.front();
}

Json Traced::by_pid(uint64_t pid) const {
  for (const auto& process : report.at("processes"))
    if (process.at("pid") == pid) return process;
  FAIL("no process " << pid << " in the report");
  return {};
}

}  // namespace proclife::ktest
