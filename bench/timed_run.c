/*
 * timed_run: run a command and report its wall time, and optionally the
 * command's OWN CPU time and peak RSS, separate from its descendants'.
 *
 * Why not /usr/bin/time: wait4()'s rusage of a child includes everything
 * that child has reaped, so for `proclife run -- W` it reports proclife +
 * the whole workload.  To isolate the tracer we:
 *   - wait for the child to become a zombie WITHOUT reaping it
 *     (waitid(WNOWAIT)), then read utime+stime from /proc/PID/stat; those
 *     fields cover the thread group's own time only (reaped children are in
 *     cutime/cstime, which we ignore);
 *   - sample VmHWM (peak RSS of its own address space) from
 *     /proc/PID/status every 10 ms while it runs; the zombie has no mm left,
 *     so growth in the last <10 ms before exit can be missed.
 * Wall time runs from just before fork() to the moment the child's pidfd
 * turns readable (it exited), so reaping/bookkeeping is not counted.
 *
 * The command and everything it starts run with address-space randomization
 * off (personality ADDR_NO_RANDOMIZE, inherited across fork and exec), so
 * every variant of a workload runs in the same memory layout. Where page
 * faults are dear (tens of microseconds each on the VM the README's table
 * comes from), the layout alone moved the fork storm's fault count between
 * 17 and 20 per child from run to run: +-8% of its time, tracer or not.
 *
 * Usage: timed_run [-s] -r RESULT_FILE -- CMD [ARGS...]
 * Writes one line of key=value pairs to RESULT_FILE and exits with CMD's
 * status (128+signal if it was killed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* VmHWM in kB, or -1 if it cannot be read (e.g. already a zombie). */
static long read_vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* utime+stime of the thread group in ms (children excluded), -1 on error. */
static double read_self_cpu_ms(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may contain spaces or ')': fields restart after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long utime, stime;
	/* After ')': state(3) ... utime(14) stime(15). */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime) != 2)
		return -1;
	return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static void usage(void)
{
	fprintf(stderr, "usage: timed_run [-s] -r RESULT_FILE -- CMD [ARGS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int sample_self = 0;
	const char *result_path = NULL;
	int opt;

	while ((opt = getopt(argc, argv, "+sr:")) != -1) {
		if (opt == 's')
			sample_self = 1;
		else if (opt == 'r')
			result_path = optarg;
		else
			usage();
	}
	if (!result_path || optind >= argc)
		usage();

	double t0 = now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		perror("timed_run: fork");
		return 2;
	}
	if (pid == 0) {
		int persona = personality(0xffffffff);

		if (persona == -1 || personality(persona | ADDR_NO_RANDOMIZE) == -1) {
			fprintf(stderr, "timed_run: personality: %s\n", strerror(errno));
			_exit(127);
		}
		execvp(argv[optind], &argv[optind]);
		fprintf(stderr, "timed_run: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	/* A pidfd lets us sleep until exit yet wake every 10 ms to sample. */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		perror("timed_run: pidfd_open");
		return 2;
	}
	long hwm_kb = -1;
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	for (;;) {
		int r = poll(&pfd, 1, sample_self ? 10 : -1);
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR) {
			perror("timed_run: poll");
			return 2;
		}
		long kb = read_vm_hwm_kb(pid);
		if (kb > hwm_kb)
			hwm_kb = kb;
	}
	double t1 = now_ns();

	/* Read the zombie's own CPU time before reaping it. */
	double self_cpu_ms = -1;
	siginfo_t si;
	if (sample_self && waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0)
		self_cpu_ms = read_self_cpu_ms(pid);

	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("timed_run: wait4");
		return 2;
	}
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	FILE *out = fopen(result_path, "w");
	if (!out) {
		perror("timed_run: result file");
		return 2;
	}
	/* tree_* = command + all descendants it reaped (what time(1) shows). */
	fprintf(out,
		"wall_ms=%.3f rc=%d self_cpu_ms=%.0f self_hwm_kb=%ld tree_cpu_ms=%.0f tree_maxrss_kb=%ld\n",
		(t1 - t0) / 1e6, rc, self_cpu_ms, hwm_kb,
		(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
		ru.ru_maxrss);
	fclose(out);
	return rc;
}
