#!/usr/bin/env bash
# The demo: trace a Python program whose worker process outlives its
# "All done", and explain how the interpreter waited for and reaped it, and
# where in the program (--stacks) it forked, polled and blocked.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
set -x
"$root/build/proclife" run --explain --stacks -- /usr/bin/python3 "$root/examples/multiprocessing_lifetime.py"
