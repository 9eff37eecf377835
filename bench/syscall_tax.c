/* bench/syscall_tax.c - what one syscall costs a process proclife does not
 * trace: a tight loop of getppid(2), in ns per call. Prints the best of
 * BATCHES batches (the least disturbed by other work on the machine).
 * Usage: syscall_tax [CALLS_PER_BATCH [BATCHES]] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 200000;
	int batches = argc > 2 ? atoi(argv[2]) : 7;
	double best = 0;

	if (calls <= 0 || batches <= 0) {
		fprintf(stderr, "usage: syscall_tax [CALLS_PER_BATCH [BATCHES]]\n");
		return 2;
	}
	for (int b = 0; b < batches; b++) {
		double start = now_ns();
		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid); /* the libc wrapper may be cached: go to the kernel */
		double per_call = (now_ns() - start) / calls;
		if (b == 0 || per_call < best)
			best = per_call;
	}
	printf("%.1f\n", best);
	return 0;
}
