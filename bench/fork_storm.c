/*
 * Fork storm: fork -> child _exit(0) -> waitpid, N times (default 20000).
 * Exercises sched_process_fork/exit/free/wait, SIGCHLD and wait4 per child
 * with almost no work in between, so tracer overhead per event dominates.
 * Usage: fork_storm [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork_storm: fork");
			return 1;
		}
		if (pid == 0)
			_exit(0);
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "fork_storm: child %d failed\n", (int)pid);
			return 1;
		}
	}
	return 0;
}
