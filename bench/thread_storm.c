/*
 * Thread storm: pthread_create + pthread_join, N times (default 100000), one
 * thread alive at a time.  Threads hit the same fork/exit/free tracepoints
 * as processes (clone with CLONE_THREAD) but no SIGCHLD or wait4, so this
 * shows what a tracer pays for threads it may not even report.
 * Usage: thread_storm [N]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *thread_body(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;

	for (long i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, thread_body, NULL);
		if (err) {
			fprintf(stderr, "thread_storm: pthread_create: %s\n", strerror(err));
			return 1;
		}
		err = pthread_join(t, NULL);
		if (err) {
			fprintf(stderr, "thread_storm: pthread_join: %s\n", strerror(err));
			return 1;
		}
	}
	return 0;
}
