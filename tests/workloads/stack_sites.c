/* stack_sites: one fork and one blocking wait, each from its own function
 * (fork_site, wait_site) that the compiler may neither inline nor clone
 * under another name, so the call stacks --stacks records must read
 * fork_site <- main and wait_site <- main. The child sleeps 200 ms, then
 * calls _exit(3) from fork_site (exit_group): proclife reads a process's
 * maps when it first handles its fork or stack, so the parent must outlive
 * that (a slow guest included). Built with and without frame pointers, and
 * stripped (tests/CMakeLists.txt). No handshake: traced by `proclife run`.
 * `stack_sites MS PROGRAM`: the child sleeps MS ms instead, and the parent
 * execs PROGRAM as soon as it has reaped it, as a shell runs its last
 * command: its maps must be read before that. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned child_sleep_ms = 200;

__attribute__((noinline, noclone)) pid_t fork_site(void)
{
	pid_t child = fork();

	if (child == 0) {
		usleep(child_sleep_ms * 1000);
		_exit(3);
	}
	return child;
}

__attribute__((noinline, noclone)) int wait_site(pid_t child)
{
	int status;

	if (waitpid(child, &status, 0) != child)
		return -1;
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 3)
		child_sleep_ms = (unsigned)atoi(argv[1]);
	pid_t child = fork_site();

	if (child < 0)
		return 1;
	int status = wait_site(child);
	if (argc == 3 && WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		execl(argv[2], argv[2], (char *)NULL);
		return 4;
	}
	/* Work after each call: neither may become a tail call that leaves
	 * main off the stack. */
	printf("child %d status %d\n", (int)child, status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 2;
}
