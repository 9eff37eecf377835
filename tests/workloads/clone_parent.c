/* clone_parent: makes a sibling with clone(CLONE_PARENT), as runc's nsexec
 * does, and waits for it to vanish. Its parent, and so its reaper, is CMD's
 * parent: under proclife, proclife. Exits 0 once the sibling is gone (its
 * zombie reaped), 1 if it is still there after 5 s. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long sibling = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (sibling < 0)
		return 2;
	if (sibling == 0) {
		usleep(100000);
		_exit(4);
	}
	printf("sibling %ld\n", sibling);
	fflush(stdout);
	for (int i = 0; i < 500; ++i) {
		if (kill((pid_t)sibling, 0) && errno == ESRCH)
			return 0;
		usleep(10000);
	}
	return 1;
}
