#!/bin/sh
# Shell-heavy tree: N iterations (default 1000) of a three-stage pipeline, run
# as `sh shell_tree.sh N`.  /bin/sh (dash on Debian) forks a subshell per
# pipeline stage and execs cat and wc, giving a realistic mix of fork,
# exec, pipes, SIGCHLD and wait4 like a build or CI script.
n=${1:-1000}
i=0
while [ "$i" -lt "$n" ]; do
	echo x | cat | wc -c >/dev/null
	i=$((i + 1))
done
