/* fork_wait [CODE]: forks one child that sleeps 50 ms and exits CODE
 * (default 7); the parent blocks in waitpid before the child exits. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 7;
	pid_t child = fork();

	if (child < 0)
		return 1;
	if (child == 0) {
		usleep(50 * 1000);
		_exit(code);
	}
	int status;
	if (waitpid(child, &status, 0) != child)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == code ? 0 : 2;
}
