/* lifecycle MODE: the hard cases of a process's life, one per mode: orphans,
 * subreapers, threads that fork, exit or exec, vfork and posix_spawn, pid
 * reuse. Prints facts the kernel tests compare with proclife's report
 * ("adopted_by 123") on stdout, and exits 0 when the scenario played out. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int fail(const char *what)
{
	fprintf(stderr, "lifecycle: %s: %s\n", what, strerror(errno));
	return 1;
}

/* fork, setsid, fork again, the middle exits: the daemon is orphaned. */
static int mode_double_fork(void)
{
	int report[2];
	pid_t middle;

	if (pipe(report))
		return fail("pipe");
	middle = fork();
	if (middle == 0) {
		setsid();
		if (fork() == 0) {
			sleep_ms(100); /* by now the middle is gone */
			dprintf(report[1], "adopted_by %d\n", getppid());
			sleep_ms(200);
			_exit(0);
		}
		_exit(0);
	}
	close(report[1]);
	waitpid(middle, NULL, 0);
	char line[64] = { 0 };
	if (read(report[0], line, sizeof(line) - 1) <= 0)
		return fail("daemon report");
	fputs(line, stdout);
	return 0;
}

/* A middle process is SIGKILLed by CMD while its two children still run. */
static int mode_parent_killed(void)
{
	pid_t middle = fork();

	if (middle == 0) {
		for (int i = 0; i < 2; i++)
			if (fork() == 0) {
				sleep_ms(300);
				_exit(0);
			}
		pause();
		_exit(0);
	}
	sleep_ms(50);
	kill(middle, SIGKILL);
	int status;
	waitpid(middle, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1;
}

/* CMD is a subreaper: it adopts and reaps its grandchild. */
static int mode_subreaper(void)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		return fail("PR_SET_CHILD_SUBREAPER");
	pid_t middle = fork();
	if (middle == 0) {
		if (fork() == 0) {
			sleep_ms(100);
			_exit(6);
		}
		_exit(0);
	}
	waitpid(middle, NULL, 0);
	int status;
	pid_t grandchild = wait(&status);
	printf("grandchild %d\n", grandchild);
	return grandchild > 0 && WEXITSTATUS(status) == 6 ? 0 : 1;
}

static void *fork_then_exit(void *arg)
{
	pid_t *child = arg;

	*child = fork();
	if (*child == 0) {
		sleep_ms(100);
		_exit(0);
	}
	return NULL; /* the thread ends; its child stays the process's child */
}

/* Running, not asleep: a running thread takes exit_group()'s SIGKILL within
 * microseconds, while its killer is still on its way to exit_notify(). */
static void *spin_forever(void *arg)
{
	for (volatile int spin = 0;; spin++)
		;
	return arg;
}

/* The leader forks a child and ends the process with exit_group(), which
 * kills its other thread: exit_notify() passes a dying thread's children
 * only to a sibling that is not exiting itself, so with a second CPU the
 * child usually goes past the whole group, and the thread that dies last
 * has no children. (On one CPU the spinner is rarely exiting yet, and the
 * child passes to it first.) The child asks for its parent only once CMD
 * has reaped the middle, so the adoption is over. */
static int mode_thread_orphan(void)
{
	int report[2], reaped[2];
	pid_t middle;

	if (pipe(report) || pipe(reaped))
		return fail("pipe");
	middle = fork();
	if (middle == 0) {
		pthread_t thread;

		pthread_create(&thread, NULL, spin_forever, NULL);
		sleep_ms(20); /* the thread is running */
		if (fork() == 0) {
			char go;

			close(reaped[1]);
			if (read(reaped[0], &go, 1) != 1)
				_exit(1);
			dprintf(report[1], "adopted_by %d\n", getppid());
			sleep_ms(200);
			_exit(0);
		}
		_exit(0);
	}
	close(report[1]);
	close(reaped[0]);
	waitpid(middle, NULL, 0);
	if (write(reaped[1], "g", 1) != 1)
		return fail("write");
	char line[64] = { 0 };
	if (read(report[0], line, sizeof(line) - 1) <= 0)
		return fail("orphan report");
	fputs(line, stdout);
	return 0;
}

/* A non-leader thread forks, then exits; the leader reaps the child. */
static int mode_thread_fork(void)
{
	pthread_t thread;
	pid_t child = 0;

	pthread_create(&thread, NULL, fork_then_exit, &child);
	pthread_join(thread, NULL);
	return waitpid(child, NULL, 0) == child ? 0 : fail("waitpid");
}

static void *exit_group_from_thread(void *arg)
{
	(void)arg;
	printf("exit_group_tid %ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	exit(5);
}

/* exit_group() called from a non-leader thread: the whole process exits 5. */
static int mode_thread_exit_group(void)
{
	pthread_t thread;

	pthread_create(&thread, NULL, exit_group_from_thread, NULL);
	for (;;)
		pause();
}

static void *exec_from_thread(void *arg)
{
	char *argv[] = { "true", NULL };

	(void)arg;
	printf("exec_tid %ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	execv("/bin/true", argv);
	return NULL;
}

/* execve() from a non-leader thread: the process keeps the leader's pid. */
static int mode_thread_exec(void)
{
	pthread_t thread;

	pthread_create(&thread, NULL, exec_from_thread, NULL);
	for (;;)
		pause();
}

/* vfork + exec, and posix_spawn (CLONE_VM|CLONE_VFORK in glibc). */
static int mode_spawn(void)
{
	char *argv[] = { "true", NULL };
	pid_t child = vfork();

	if (child == 0) {
		execv("/bin/true", argv);
		_exit(127);
	}
	waitpid(child, NULL, 0);
	if (posix_spawn(&child, "/bin/true", NULL, NULL, argv, environ))
		return fail("posix_spawn");
	return waitpid(child, NULL, 0) == child ? 0 : fail("waitpid");
}

static int set_last_pid(pid_t pid)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	char text[32];
	int len = snprintf(text, sizeof(text), "%d", pid);
	int ok = fd >= 0 && write(fd, text, len) == len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static pid_t fork_exiting(int code)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(code);
	return pid;
}

/* The same pid twice in one trace: reap a child, then make the kernel hand
 * its pid to the next one (ns_last_pid). Other activity can take the pid
 * first, so try a few times. */
static int mode_pid_reuse(void)
{
	pid_t first = fork_exiting(11);

	waitpid(first, NULL, 0);
	for (int attempt = 0; attempt < 50; attempt++) {
		if (set_last_pid(first - 1))
			return fail("write ns_last_pid");
		pid_t second = fork_exiting(12);
		waitpid(second, NULL, 0);
		if (second == first) {
			printf("reused %d\n", first);
			return 0;
		}
	}
	fprintf(stderr, "lifecycle: pid %d was never handed out again\n", first);
	return 1;
}

/* A child killed by a signal it raises itself, no core file. */
static int mode_killed(void)
{
	pid_t child = fork();

	if (child == 0) {
		signal(SIGABRT, SIG_DFL);
		raise(SIGTERM);
		_exit(0);
	}
	int status;
	waitpid(child, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 1;
}

/* A child that aborts with core dumps allowed, in a scratch directory. */
static int mode_core_dump(void)
{
	char dir[] = "/tmp/lifecycle-core-XXXXXX";

	if (!mkdtemp(dir))
		return fail("mkdtemp");
	pid_t child = fork();
	if (child == 0) {
		struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

		setrlimit(RLIMIT_CORE, &unlimited);
		if (chdir(dir))
			_exit(1);
		abort();
	}
	int status;
	waitpid(child, &status, 0);
	char cleanup[128];
	snprintf(cleanup, sizeof(cleanup), "rm -rf %s", dir);
	if (system(cleanup))
		return fail("cleanup");
	printf("core_dumped %d\n", WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT ? 0 : 1;
}

/* A leaked child that renames itself (PR_SET_NAME: no exec the probe sees)
 * before its parent, CMD, exits: named by what it is at the end. */
static int mode_renamed_leak(void)
{
	pid_t child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		prctl(PR_SET_NAME, "renamed", 0, 0, 0);
		sleep(30);
		_exit(0);
	}
	sleep_ms(100);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} modes[] = {
		{ "double_fork", mode_double_fork },
		{ "parent_killed", mode_parent_killed },
		{ "subreaper", mode_subreaper },
		{ "thread_fork", mode_thread_fork },
		{ "thread_orphan", mode_thread_orphan },
		{ "thread_exit_group", mode_thread_exit_group },
		{ "thread_exec", mode_thread_exec },
		{ "spawn", mode_spawn },
		{ "pid_reuse", mode_pid_reuse },
		{ "killed", mode_killed },
		{ "core_dump", mode_core_dump },
		{ "renamed_leak", mode_renamed_leak },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].run();
	fprintf(stderr, "usage: lifecycle MODE (see the source for the modes)\n");
	return 2;
}
