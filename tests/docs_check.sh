#!/usr/bin/env bash
# The man page and the bash and zsh completions list exactly the options
# `proclife [COMMAND] --help` lists, command by command.
#   tests/docs_check.sh PROCLIFE_BINARY DOC_DIR
set -euo pipefail
proclife=$1
doc=$2
failed=0

# Option names on --help's option lines ("  -f,--format FORMAT  ..."), sorted.
help_options() {
  "$proclife" $1 --help | sed -n '/^Options:/,/^$/p' | grep -E '^  -' |
    awk '{print $1}' | sed 's/{[^}]*}//' | tr ',' '\n' | sort -u
}
# Option names in the man page's section for COMMAND ("" for OPTIONS).
man_options() {
  local start
  if [[ -z $1 ]]; then start='^\.SH OPTIONS'; else start="^\\.SS $1\$"; fi
  awk -v start="$start" '
    $0 ~ start { inside = 1; next }
    inside && /^\.S[SH] / { inside = 0 }
    inside && prev == ".TP" { print }
    { prev = $0 }' "$doc/proclife.1" |
    sed 's/\\-/-/g' | grep -oE '\\fB-+[A-Za-z0-9-]+' | sed 's/\\fB//' | sort -u
}
# What the bash completion offers after `proclife COMMAND -`.
bash_options() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=(proclife "$@" -); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _proclife; printf "%s\n" "${COMPREPLY[@]}"' _ "$doc/proclife.bash" $1 | sort -u
}
# The option specs in the zsh completion's block for COMMAND ("" for the top).
zsh_options() {
  awk -v command="$1" '
    command == "" && /_arguments -C/ { inside = 1; next }
    command != "" && $1 == command ")" { inside = 1; next }
    inside && /&& ret=0/ { inside = 0 }
    inside' "$doc/_proclife" |
    grep -oE "^ *'\\([^)]*\\)-[-A-Za-z0-9]+" | sed -E "s/^ *'\\([^)]*\\)//" | sort -u
}

compare() {  # what, command, expected, actual
  if [[ $3 != "$4" ]]; then
    echo "FAIL: ${2:-proclife}: $1 differs from --help:"
    diff <(echo "$3") <(echo "$4") | sed 's/^/  /' || true
    failed=1
  fi
}

commands=$("$proclife" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF {print $1}')
[[ -n $commands ]] || { echo "FAIL: no subcommands in proclife --help"; exit 1; }
for command in "" $commands; do
  expected=$(help_options "$command")
  [[ -n $expected ]] || { echo "FAIL: no options in proclife $command --help"; failed=1; continue; }
  compare "man page" "$command" "$expected" "$(man_options "$command")"
  compare "bash completion" "$command" "$expected" "$(bash_options "$command")"
  compare "zsh completion" "$command" "$expected" "$(zsh_options "$command")"
  echo "proclife ${command:-(top)}: $(echo $expected)"
done
# Every command has its section in the man page and in both completions.
for command in $commands; do
  grep -qx "\\.SS $command" "$doc/proclife.1" || { echo "FAIL: no man section for $command"; failed=1; }
  bash_options "" >/dev/null
  grep -q "^        $command)" "$doc/_proclife" || { echo "FAIL: no zsh block for $command"; failed=1; }
done
bash_commands=$(bash -c 'source "$1"; COMP_WORDS=(proclife ""); COMP_CWORD=1; _proclife; printf "%s\n" "${COMPREPLY[@]}"' _ "$doc/proclife.bash" | sort)
compare "bash command list" "" "$(echo "$commands" | sort)" "$bash_commands"
# The roff and the zsh script must parse.
if command -v groff >/dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$doc/proclife.1" 2>&1) || true
  [[ -z $warnings ]] || { echo "FAIL: groff warns on the man page:"; echo "$warnings"; failed=1; }
fi
if command -v zsh >/dev/null; then
  zsh -n "$doc/_proclife" || { echo "FAIL: zsh cannot parse _proclife"; failed=1; }
fi
bash -n "$doc/proclife.bash" || { echo "FAIL: bash cannot parse proclife.bash"; failed=1; }
# --version: version, commit, kernel features.
"$proclife" --version | grep -qE '^proclife [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+|unknown\)' ||
  { echo "FAIL: proclife --version: $("$proclife" --version | head -1)"; failed=1; }
"$proclife" --version | grep -q 'BTF' || { echo "FAIL: proclife --version names no kernel feature"; failed=1; }
[[ $failed -eq 0 ]] && echo "docs_check: man page and completions match --help"
exit $failed
