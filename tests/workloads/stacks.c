/* stacks: the three call sites --stacks captures, after a handshake so the
 * test can read this process's mappings first: writes "ready\n" to stdout,
 * waits for a byte on stdin, then forks a child that sleeps 50 ms and calls
 * _exit(3) (exit_group), waits for it, and returns 0 (exit_group again).
 * Each call is made from its own non-inlined function, so the stacks hold
 * return addresses into this binary. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static pid_t start_child(void)
{
	pid_t child = fork();

	if (child == 0) {
		usleep(50 * 1000);
		_exit(3);
	}
	return child;
}

__attribute__((noinline)) static int reap(pid_t child)
{
	int status;

	if (waitpid(child, &status, 0) != child)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 0 : 2;
}

int main(void)
{
	char go;

	if (write(1, "ready\n", 6) != 6 || read(0, &go, 1) != 1)
		return 1;
	pid_t child = start_child();
	if (child < 0)
		return 1;
	return reap(child);
}
