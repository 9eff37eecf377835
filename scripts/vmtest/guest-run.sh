#!/bin/bash
# Runs inside the guest, chrooted into the host root (see scripts/vmtest/init), as root.
#
# Runs the test command from the project root and copies its output to the results share
# (/run/vmtest/output.log, which the host streams live) as well as to the console log. Its own
# exit status is the test command's: init sends that back to the host.
set -uo pipefail

readonly XFER=/run/vmtest

# CI and PROCLIFE_* variables passed on from the host.
# shellcheck source=/dev/null
[[ ! -f $XFER/env ]] || source "$XFER/env"
# Tests can tell they run under the harness.
export PROCLIFE_VMTEST=1

run_test_command() {
	local project_root test_cmd
	project_root=$(<"$XFER/project-root")
	test_cmd=$(<"$XFER/cmd")
	echo "vmtest: guest kernel: $(uname -r)"
	if [[ -s $XFER/warnings ]]; then
		sed 's/^/vmtest: guest warning: /' "$XFER/warnings"
	fi
	cd "$project_root" || {
		echo "vmtest: the project root $project_root is not visible in the guest"
		return 125
	}
	bash -c "$test_cmd" </dev/null
}

run_test_command 2>&1 | tee "$XFER/output.log"
exit "${PIPESTATUS[0]}"
