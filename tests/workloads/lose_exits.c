/* lose_exits DIR [LEAKERS]: makes proclife lose the exits of processes whose
 * pids strangers then take, as a busy machine does to a stalled tracer.
 *
 * It stops proclife (its parent), forks LEAKERS children (their forks reach
 * the ring buffer), floods the ring buffer with ignored signals until
 * events are dropped, then lets the leakers exit (those exits are lost) and
 * reaps them. It writes their pids to DIR/pids and waits for DIR/go, which
 * the test creates once strangers hold those pids; then it resumes proclife
 * and exits. proclife's graph still shows the leakers as running. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Ignored signals to itself: each is a signal_generate record (104 bytes),
 * and far cheaper than a process: 40,000 are about 4 MiB. */
#define FLOOD 40000

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int leakers = argc > 2 ? atoi(argv[2]) : 20;
	pid_t proclife = getppid();
	char path[4096];
	int gate[2];
	if (pipe(gate))
		return 1;
	kill(proclife, SIGSTOP);

	pid_t *pids = calloc(leakers, sizeof *pids);
	for (int i = 0; i < leakers; ++i) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;
			close(gate[1]);
			(void)!read(gate[0], &c, 1); /* EOF: the flood is done */
			_exit(0);
		}
	}
	close(gate[0]);
	signal(SIGUSR1, SIG_IGN);
	for (int i = 0; i < FLOOD; ++i)
		kill(getpid(), SIGUSR1);
	close(gate[1]);
	for (int i = 0; i < leakers; ++i)
		waitpid(pids[i], NULL, 0);

	snprintf(path, sizeof path, "%s/pids.tmp", argv[1]);
	FILE *out = fopen(path, "w");
	for (int i = 0; i < leakers; ++i)
		fprintf(out, "%d\n", pids[i]);
	fclose(out);
	char done[4096];
	snprintf(done, sizeof done, "%s/pids", argv[1]);
	rename(path, done);

	snprintf(path, sizeof path, "%s/go", argv[1]);
	struct stat st;
	for (int i = 0; i < 3000 && stat(path, &st); ++i)
		usleep(10000);
	kill(proclife, SIGCONT);
	return 0;
}
