/* reaping MODE: one way of waiting for children per mode, each a scenario
 * that the kernel tests check proclife's account of. Exits 0 when the
 * scenario played out as intended, so a broken workload fails loudly. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pid_t spawn_exiting(int delay_ms, int code)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(100);
	}
	if (pid == 0) {
		sleep_ms(delay_ms);
		_exit(code);
	}
	return pid;
}

static int expect(int ok, const char *what)
{
	if (!ok)
		fprintf(stderr, "reaping: %s\n", what);
	return ok ? 0 : 1;
}

/* Polls with WNOHANG every 10 ms until the child is gone. */
static int mode_wnohang(void)
{
	pid_t child = spawn_exiting(60, 4);
	int status, polls = 0;
	pid_t got;

	while ((got = waitpid(child, &status, WNOHANG)) == 0) {
		polls++;
		sleep_ms(10);
	}
	return expect(got == child && polls >= 3 && WEXITSTATUS(status) == 4, "wnohang polling");
}

static volatile sig_atomic_t reaped_by_handler;

static void reap_all(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped_by_handler++;
	errno = saved;
}

static void install_sigchld(void (*handler)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

/* A SIGCHLD handler reaps with waitpid(-1, WNOHANG) in a loop. */
static int mode_handler(void)
{
	install_sigchld(reap_all, SA_RESTART);
	for (int i = 0; i < 3; i++)
		spawn_exiting(20 + 30 * i, 0);
	for (int i = 0; i < 200 && reaped_by_handler < 3; i++)
		sleep_ms(5);
	return expect(reaped_by_handler == 3, "handler reaped all three");
}

/* SIGCHLD set to SIG_IGN: the kernel reaps at exit, no zombie, no signal. */
static int mode_sig_ign(void)
{
	signal(SIGCHLD, SIG_IGN);
	pid_t child = spawn_exiting(20, 0);

	sleep_ms(100);
	/* With SIG_IGN, wait4 finds no child once it is gone: ECHILD. */
	return expect(waitpid(child, NULL, 0) < 0 && errno == ECHILD, "SIG_IGN autoreap");
}

static volatile sig_atomic_t handler_ran;

static void note_sigchld(int sig)
{
	(void)sig;
	handler_ran = 1;
}

/* SA_NOCLDWAIT with a handler: autoreaped, yet SIGCHLD is still delivered. */
static int mode_nocldwait(void)
{
	install_sigchld(note_sigchld, SA_NOCLDWAIT);
	pid_t child = spawn_exiting(20, 0);

	sleep_ms(100);
	return expect(handler_ran && waitpid(child, NULL, WNOHANG) < 0 && errno == ECHILD, "SA_NOCLDWAIT autoreap");
}

/* waitid(P_PIDFD) on a pidfd. */
static int mode_pidfd(void)
{
	pid_t child = spawn_exiting(30, 5);
	int fd = (int)syscall(SYS_pidfd_open, child, 0);
	siginfo_t info;

	if (fd < 0)
		return expect(0, "pidfd_open");
	memset(&info, 0, sizeof(info));
	if (waitid((idtype_t)3 /* P_PIDFD */, (id_t)fd, &info, WEXITED))
		return expect(0, "waitid(P_PIDFD)");
	return expect(info.si_pid == child && info.si_status == 5, "waitid(P_PIDFD) status");
}

/* The child exits at once; the parent reaps it 200 ms later. */
static int mode_late(void)
{
	pid_t child = spawn_exiting(0, 0);

	sleep_ms(200);
	return expect(waitpid(child, NULL, 0) == child, "late reap");
}

/* The child stops itself, is continued, then exits; the parent sees all three. */
static int mode_stop_continue(void)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		raise(SIGSTOP);
		_exit(3);
	}
	if (waitpid(child, &status, WUNTRACED) != child || !WIFSTOPPED(status))
		return expect(0, "saw the stop");
	kill(child, SIGCONT);
	if (waitpid(child, &status, WCONTINUED) != child || !WIFCONTINUED(status))
		return expect(0, "saw the continue");
	if (waitpid(child, &status, 0) != child || WEXITSTATUS(status) != 3)
		return expect(0, "saw the exit");
	return 0;
}

/* Three children exit while SIGCHLD is blocked: one pending signal stands
 * for all three; once unblocked, one handler run reaps them all. */
static int mode_pending(void)
{
	sigset_t block;

	install_sigchld(reap_all, SA_RESTART);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	for (int i = 0; i < 3; i++)
		spawn_exiting(10, 0);
	sleep_ms(150);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	for (int i = 0; i < 100 && reaped_by_handler < 3; i++)
		sleep_ms(5);
	return expect(reaped_by_handler == 3, "one handler run reaped three");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} modes[] = {
		{ "wnohang", mode_wnohang },   { "handler", mode_handler },
		{ "sig_ign", mode_sig_ign },   { "nocldwait", mode_nocldwait },
		{ "pidfd", mode_pidfd },       { "late", mode_late },
		{ "stop_continue", mode_stop_continue }, { "pending", mode_pending },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name))
			return modes[i].run();
	fprintf(stderr, "usage: reaping wnohang|handler|sig_ign|nocldwait|pidfd|late|stop_continue|pending\n");
	return 2;
}
