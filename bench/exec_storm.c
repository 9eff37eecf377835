/*
 * Exec storm: fork -> execv("/bin/true") -> waitpid, N times (default 5000).
 * Adds sched_process_exec and the cost of a real program start (dynamic
 * loader, page faults) to every child, like a build system or a shell does.
 * Usage: exec_storm [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 5000;
	char *const child_argv[] = { "true", NULL };

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("exec_storm: fork");
			return 1;
		}
		if (pid == 0) {
			execv("/bin/true", child_argv);
			_exit(127); /* exec failed: reported by the parent */
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "exec_storm: child %d failed\n", (int)pid);
			return 1;
		}
	}
	return 0;
}
