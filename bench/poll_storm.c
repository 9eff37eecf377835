/* poll_storm N: a parent polls its running child N times with
 * waitpid(WNOHANG) (each poll finds nothing), then lets it exit and reaps
 * it: the cost of a program that polls for its children, per poll. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	int gate[2];
	char byte;

	if (n <= 0 || pipe(gate))
		return 2;
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(gate[1]);
		_exit(read(gate[0], &byte, 1) == 0 ? 0 : 1);
	}
	close(gate[0]);
	for (long i = 0; i < n; i++)
		if (waitpid(child, NULL, WNOHANG) != 0) {
			fprintf(stderr, "poll_storm: the child ended early\n");
			return 1;
		}
	close(gate[1]);
	return waitpid(child, NULL, 0) == child ? 0 : 1;
}
