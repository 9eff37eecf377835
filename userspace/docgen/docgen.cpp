// proclife_docgen: the man page and the shell completions, generated from the
// very CLI::App that parses proclife's command line (inspect_command_line), so
// every command and option they list is one `--help` lists. The man page's
// prose that --help has no room for (exit statuses, the JSON report) is here.
//   proclife_docgen man|bash|zsh > FILE
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "version.hpp"

namespace {

using proclife::kExitCannotExecute;
using proclife::kExitGateFailed;
using proclife::kExitNotFound;
using proclife::kExitProclifeError;

// One option as the generators see it.
struct Opt {
  std::vector<std::string> names;  // "-f", "--format", in --help's order
  std::string value;               // "FILE", "[=SECONDS]", "" for a flag
  std::string description;
  std::vector<std::string> choices;  // from a CheckedTransformer / IsMember, if any
  bool required = false;
};

struct Positional {
  std::string name;
  std::string description;
  bool many = false;
  bool required = false;
};

struct Command {
  std::string name;  // "" for proclife itself
  std::string description;
  std::vector<Opt> options;
  std::vector<Positional> positionals;
};

// "ENUM:value in {dot->3,json->1} OR {3,1}" -> dot, json.
std::vector<std::string> choices_of(const std::string& type_name) {
  std::vector<std::string> choices;
  auto open = type_name.find('{');
  auto close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return choices;
  std::string list = type_name.substr(open + 1, close - open - 1);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item = item.substr(0, item.find("->"));
    if (!item.empty() && item.find_first_not_of("0123456789") != std::string::npos) choices.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return choices;
}

Command describe(const CLI::App& app, const std::string& name) {
  Command command{name, app.get_description(), {}, {}};
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden from --help: hidden here too
    if (!option->nonpositional()) {
      command.positionals.push_back({option->get_name(), option->get_description(),
                                     option->get_expected_max() > 1, option->get_required()});
      continue;
    }
    Opt opt;
    for (const auto& s : option->get_snames()) opt.names.push_back("-" + s);
    for (const auto& l : option->get_lnames()) opt.names.push_back("--" + l);
    if (option->get_expected_min() > 0)
      opt.value = option->get_option_text().empty() ? option->get_type_name() : option->get_option_text();
    else
      opt.value = option->get_option_text();  // a flag, or an optional =VALUE
    opt.description = option->get_description();
    opt.choices = choices_of(option->get_type_name());
    opt.required = option->get_required();
    command.options.push_back(std::move(opt));
  }
  return command;
}

std::vector<Command> commands() {
  std::vector<Command> all;
  proclife::inspect_command_line([&all](const CLI::App& app) {
    all.push_back(describe(app, ""));
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      all.push_back(describe(*sub, sub->get_name()));
  });
  return all;
}

bool takes_value(const Opt& opt) { return !opt.value.empty() && opt.value[0] != '['; }

// ---------------------------------------------------------------- man page

std::string roff(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\e";
    else if (c == '-')
      out += "\\-";
    else
      out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string usage(const Command& command) {
  std::string text = "\\fBproclife " + command.name + "\\fR [\\fIOPTIONS\\fR]";
  for (const auto& opt : command.options)
    if (opt.required) text += " \\fB" + roff(opt.names.front()) + "\\fR \\fI" + roff(opt.value) + "\\fR";
  for (const auto& pos : command.positionals) {
    std::string arg = "\\fI" + roff(pos.name) + "\\fR" + (pos.many ? " [\\fIARGS\\fR...]" : "");
    if (pos.many) arg = "[\\-\\-] " + arg;
    text += " " + (pos.required || pos.many ? arg : "[" + arg + "]");
  }
  return text;
}

void option_items(std::ostream& out, const Command& command) {
  for (const auto& pos : command.positionals)
    out << ".TP\n\\fI" << roff(pos.name) << "\\fR" << (pos.many ? " [\\fIARGS\\fR...]" : "") << "\n"
        << roff(pos.description) << "\n";
  for (const auto& opt : command.options) {
    out << ".TP\n";
    for (size_t i = 0; i < opt.names.size(); ++i) out << (i ? ", " : "") << "\\fB" << roff(opt.names[i]) << "\\fR";
    if (!opt.value.empty()) out << (opt.value[0] == '[' ? "" : " ") << "\\fI" << roff(opt.value) << "\\fR";
    out << "\n" << roff(opt.description);
    if (!opt.choices.empty()) {
      out << " (one of:";
      for (const auto& choice : opt.choices) out << " " << roff(choice);
      out << ")";
    }
    out << "\n";
  }
}

void man(std::ostream& out, const std::vector<Command>& all) {
  const Command& top = all.front();
  out << ".\\\" Generated by proclife_docgen from proclife's command line; do not edit.\n"
      << ".TH PROCLIFE 1 \"\" \"proclife " << PROCLIFE_VERSION << "\" \"User Commands\"\n"
      << ".SH NAME\nproclife \\- " << roff(top.description.substr(top.description.find(": ") + 2)) << "\n"
      << ".SH SYNOPSIS\n";
  for (size_t i = 1; i < all.size(); ++i) out << usage(all[i]) << "\n.br\n";
  out << "\\fBproclife\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n";
  out << R"(.SH DESCRIPTION
proclife records every step of a process's life with CO\-RE eBPF programs on the
kernel's own tracepoints: who forked whom and how, what it exec'd, how it exited, what
happened to its SIGCHLD, who reaped it, how long it was a zombie, whether it was
orphaned or leaked. It rebuilds a lifetime graph per process and reports it as a text
tree, JSON, a plain\-language explanation of the reaping, Graphviz DOT, a Perfetto
trace or an SVG timeline.
.PP
.B proclife run
starts CMD held at a gate, attaches the probe, adds CMD's pid to the kernel\-side
filter and only then lets CMD exec, so no event of the tree is missed. It follows every
descendant, stops when CMD exits, prints the report and exits with CMD's status.
Options after CMD are CMD's, never proclife's.
.B proclife attach
follows a running process and its descendants;
.B proclife report
rebuilds any report from a recording, without root.
.SH COMMANDS
)";
  for (size_t i = 1; i < all.size(); ++i) {
    out << ".SS " << roff(all[i].name) << "\n" << usage(all[i]) << "\n.PP\n" << roff(all[i].description) << ".\n";
    option_items(out, all[i]);
  }
  out << ".SH OPTIONS\nOptions of proclife itself, before any command:\n";
  option_items(out, top);
  out << ".SH EXIT STATUS\n"
      << ".TP\n.I N\n" << "CMD's own exit status when all went well (128+N when CMD was killed by signal N).\n"
      << ".TP\n.B " << kExitGateFailed << "\nA \\fB\\-\\-fail\\-on\\fR condition held; the processes are named on stderr.\n"
      << ".TP\n.B " << kExitProclifeError
      << "\nproclife itself failed: a bad option, not root, no BTF, the kernel refused the programs. "
         "One line on stderr says which.\n"
      << ".TP\n.B " << kExitCannotExecute << "\nCMD could not be executed.\n"
      << ".TP\n.B " << kExitNotFound << "\nCMD was not found.\n";
  out << R"(.SH GATE CONDITIONS
.TP
.B leaked
a descendant still running when CMD exited.
.TP
.B orphan
a process whose parent died before it.
.TP
.B zombie
exited and never reaped by its traced parent by the end.
.TP
.B killed
a process other than CMD died of a signal (not counting \fB\-\-kill\-leaked\fR's).
.TP
.B lost
the kernel dropped events (enlarge \fB\-\-ring\-buffer\-mb\fR).
.SH JSON REPORT
\fB\-\-format json\fR writes one object. Times are nanoseconds since the start of
tracing (\fI*_ns\fR); a field that does not apply is null.
.TP
.B schema_version
1.
.TP
.BR command ", " duration_ns ", " lost_events
what was traced, for how long, and how many events the kernel dropped.
.TP
.B processes
one object per process:
\fBpid\fR, \fBns_pid\fR, \fBparent_pid\fR, \fBcomm\fR, \fBargv\fR, \fBpre_existing\fR,
\fBfork_ns\fR, \fBclone\fR (\fBkind\fR, \fBsyscall\fR, \fBflags\fR),
\fBexecs\fR (\fBns\fR, \fBfilename\fR, \fBargv\fR),
\fBexit\fR (\fBns\fR, \fBcode\fR, \fBsignal\fR, \fBcore_dumped\fR, \fBkilled_by\fR),
\fBsigchld\fR (\fBresult\fR, \fBhandler\fR, \fBgenerated_ns\fR, \fBdelivered_ns\fR),
\fBreaper_pid\fR, \fBreap_ns\fR, \fBreaped_via\fR, \fBzombie_ns\fR,
\fBwaits\fR (\fBcalls\fR, \fBwnohang_polls\fR, \fBblocked_ns\fR),
\fBorphaned\fR, \fBwaiting_at_end\fR, \fBstate_at_end\fR, \fBthreads\fR.
With \fB\-\-stacks\fR: \fBunmatched_stacks\fR, \fBstacks_not_taken\fR, and per process \fBfork_stack\fR,
\fBexit.stack\fR, \fBwaiting_at_end.stack\fR, \fBwaits.stacks\fR and \fBwaits.stacks_dropped\fR;
a stack is \fBframes\fR (\fBkind\fR, \fBmodule\fR, \fBbuild_id\fR, \fBaddress\fR, \fBsymbol\fR,
\fBfile\fR, \fBline\fR), \fBtruncated\fR, \fBincomplete\fR.
.SH REQUIREMENTS
)";
  // The same text as --version prints, after its first line.
  std::string version = proclife::version_text();
  out << roff(version.substr(version.find('\n') + 1)) << ".PP\nThe binary carries its BPF object; it needs no "
      << "clang, kernel headers or BTF files at run time.\n";
  out << R"(.SH EXAMPLES
.EX
sudo proclife run \-\- make test
sudo proclife run \-\-explain \-\- python3 app.py
sudo proclife run \-\-fail\-on leaked,zombie \-\-kill\-leaked \-\-format svg \-o timeline.svg \-\- ./run\-tests
sudo proclife attach \-p 1234 \-\-duration 10 \-\-record trace.ndjson
proclife report trace.ndjson \-\-format json \-o report.json
.EE
.SH SEE ALSO
.BR strace (1),
.BR bpftrace (8),
.BR wait (2),
.BR bpf (2)
)";
}

// ---------------------------------------------------------------- bash

std::string bash_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

void bash(std::ostream& out, const std::vector<Command>& all) {
  out << "# bash completion for proclife; generated by proclife_docgen from proclife's command line, do not edit.\n"
      << "_proclife() {\n"
      << "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
      << "  local command= i word after_cmd=0 pending=\n"
      << "  COMPREPLY=()\n"
      << "  # Which command, and has CMD (run's positional) begun?\n"
      << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      << "    word=${COMP_WORDS[i]}\n"
      << "    if [[ -n $pending ]]; then pending=; continue; fi\n"
      << "    if [[ -z $command ]]; then\n"
      << "      case $word in\n";
  std::string names;
  for (size_t i = 1; i < all.size(); ++i) names += (i > 1 ? "|" : "") + all[i].name;
  out << "        " << names << ") command=$word ;;\n"
      << "      esac\n"
      << "      continue\n"
      << "    fi\n"
      << "    case $command:$word in\n";
  for (const auto& command : all) {
    std::vector<std::string> valued;
    for (const auto& opt : command.options)
      if (takes_value(opt))
        for (const auto& name : opt.names) valued.push_back(command.name + ":" + name);
    if (!valued.empty()) {
      std::string pattern;
      for (const auto& v : valued) pattern += (pattern.empty() ? "" : "|") + v;
      out << "      " << pattern << ") pending=1 ;;\n";
    }
  }
  out << "      *:--) after_cmd=1; break ;;\n"
      << "      *:-*) ;;\n"
      << "      run:*) after_cmd=1; break ;;\n"
      << "    esac\n"
      << "  done\n"
      << "  if [[ $after_cmd -eq 1 ]]; then\n"
      << "    if [[ $COMP_CWORD -eq $((i + 1)) && ${COMP_WORDS[i]} == -- ]] || [[ $COMP_CWORD -eq $i ]]; then\n"
      << "      COMPREPLY=($(compgen -c -- \"$cur\"))\n"
      << "    else\n"
      << "      COMPREPLY=($(compgen -f -- \"$cur\"))\n"
      << "    fi\n"
      << "    return\n"
      << "  fi\n"
      << "  if [[ -n $pending ]]; then\n"
      << "    case $command:$prev in\n";
  for (const auto& command : all)
    for (const auto& opt : command.options) {
      if (!takes_value(opt)) continue;
      std::string pattern;
      for (const auto& name : opt.names) pattern += (pattern.empty() ? "" : "|") + command.name + ":" + name;
      std::string action;
      if (!opt.choices.empty())
        action = "COMPREPLY=($(compgen -W \"" + bash_words(opt.choices) + "\" -- \"$cur\"))";
      else if (opt.value == "FILE")
        action = "COMPREPLY=($(compgen -f -- \"$cur\"))";
      else if (opt.value == "PID")
        action = "COMPREPLY=($(compgen -W \"$(cd /proc && echo [0-9]*)\" -- \"$cur\"))";
      else
        action = ":";
      out << "      " << pattern << ") " << action << " ;;\n";
    }
  out << "    esac\n"
      << "    return\n"
      << "  fi\n"
      << "  case $command in\n";
  for (const auto& command : all) {
    std::vector<std::string> names;
    for (const auto& opt : command.options)
      for (const auto& name : opt.names) names.push_back(name);
    out << "    " << (command.name.empty() ? "''" : command.name) << ")\n";
    if (command.name.empty()) {
      std::vector<std::string> subs;
      for (size_t i = 1; i < all.size(); ++i) subs.push_back(all[i].name);
      out << "      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"" << bash_words(names)
          << "\" -- \"$cur\")); else COMPREPLY=($(compgen -W \"" << bash_words(subs) << "\" -- \"$cur\")); fi\n";
    } else {
      std::string fallback = ":";
      for (const auto& pos : command.positionals)
        fallback = pos.many ? "COMPREPLY=($(compgen -c -- \"$cur\"))" : "COMPREPLY=($(compgen -f -- \"$cur\"))";
      out << "      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"" << bash_words(names)
          << "\" -- \"$cur\")); else " << fallback << "; fi\n";
    }
    out << "      ;;\n";
  }
  out << "  esac\n"
      << "}\n"
      << "complete -o filenames -F _proclife proclife\n";
}

// ---------------------------------------------------------------- zsh

std::string zsh_quote(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else if (c == '[' || c == ']' || c == ':' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

void zsh_option(std::ostream& out, const Opt& opt) {
  std::string exclusive;
  for (const auto& name : opt.names) exclusive += (exclusive.empty() ? "" : " ") + name;
  std::string action;
  if (!opt.choices.empty()) {
    action = "(";
    for (const auto& choice : opt.choices) action += (action.size() > 1 ? " " : "") + choice;
    action += ")";
  } else if (opt.value == "FILE") {
    action = "_files";
  } else if (opt.value == "PID") {
    action = "_pids";
  } else {
    action = " ";
  }
  for (const auto& name : opt.names) {
    // One line per name, so every spelling is listed on its own.
    out << "    '(" << exclusive << ")" << name;
    if (opt.value.rfind("[=", 0) == 0)
      out << "=-[" << zsh_quote(opt.description) << "]::" << zsh_quote(opt.value.substr(2, opt.value.size() - 3))
          << ": '";
    else if (takes_value(opt))
      out << "[" << zsh_quote(opt.description) << "]:" << zsh_quote(opt.value) << ":" << action << "'";
    else
      out << "[" << zsh_quote(opt.description) << "]'";
    out << " \\\n";
  }
}

void zsh(std::ostream& out, const std::vector<Command>& all) {
  out << "#compdef proclife\n"
      << "# zsh completion for proclife; generated by proclife_docgen from proclife's command line, do not edit.\n"
      << "_proclife() {\n"
      << "  local curcontext=$curcontext state line ret=1\n"
      << "  local -a commands\n"
      << "  _arguments -C \\\n";
  for (const auto& opt : all.front().options) zsh_option(out, opt);
  out << "    '1:command:->command' \\\n"
      << "    '*::argument:->argument' && ret=0\n"
      << "  case $state in\n"
      << "    command)\n"
      << "      commands=(\n";
  for (size_t i = 1; i < all.size(); ++i)
    out << "        '" << all[i].name << ":" << zsh_quote(all[i].description) << "'\n";
  out << "      )\n"
      << "      _describe -t commands 'proclife command' commands && ret=0\n"
      << "      ;;\n"
      << "    argument)\n"
      << "      curcontext=${curcontext%:*:*}:proclife-$line[1]:\n"
      << "      case $line[1] in\n";
  for (size_t i = 1; i < all.size(); ++i) {
    const Command& command = all[i];
    out << "        " << command.name << ")\n"
        << "          _arguments -S \\\n";
    for (const auto& opt : command.options) zsh_option(out, opt);
    for (const auto& pos : command.positionals) {
      if (pos.many)
        out << "    '(-)*::" << zsh_quote(pos.description) << ":_normal' \\\n";
      else
        out << "    '1:" << zsh_quote(pos.description) << ":_files' \\\n";
    }
    out << "    && ret=0\n"
        << "          ;;\n";
  }
  out << "      esac\n"
      << "      ;;\n"
      << "  esac\n"
      << "  return ret\n"
      << "}\n"
      << "_proclife \"$@\"\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string what = argc == 2 ? argv[1] : "";
  auto all = commands();
  if (what == "man")
    man(std::cout, all);
  else if (what == "bash")
    bash(std::cout, all);
  else if (what == "zsh")
    zsh(std::cout, all);
  else {
    std::cerr << "usage: proclife_docgen man|bash|zsh > FILE\n";
    return 2;
  }
  return std::cout.good() ? 0 : 1;
}
