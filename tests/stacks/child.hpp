// A child process the stacks tests read while it runs: its stdout is read up
// to a line, its stdin is held open until the test lets it go.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace stacks_test {

class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      close(in[1]);
      close(out[0]);
      std::vector<char*> args;
      for (auto& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~Child() {
    finish();
    close(stdout_);
  }

  pid_t pid() const { return pid_; }

  // One line of its output, without the newline; empty at end of output.
  std::string line() {
    std::string text;
    char c;
    while (read(stdout_, &c, 1) == 1 && c != '\n') text += c;
    return text;
  }

  // Lets it exit (stdin closes) and reaps it.
  void finish() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
};

}  // namespace stacks_test
