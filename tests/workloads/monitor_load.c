/* The monitor kernel test's workload: a known set of lifetimes, every one
 * named (comm) so the test can find its record.
 *   ml-ok     exit(0), reaped by wait4
 *   ml-three  starts a second thread, joins it, exit(3): two threads
 *   ml-kill   killed by SIGTERM (its own)
 *   ml-oparent forks ml-orphan and exits: ml-orphan is adopted by this
 *             process, a subreaper, which reaps it
 *   ml-waited sleeps 1 s; this process blocks in waitpid() for it while
 *   ml-zombie exits after 100 ms and stays a zombie until ml-waited is reaped
 * Eight processes (this one included), one exec (this one), all reaped by wait4. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child(const char *name, void (*body)(void))
{
	pid_t pid = fork();

	if (pid < 0)
		exit(100);
	if (pid == 0) {
		prctl(PR_SET_NAME, name);
		body();
		_exit(0);
	}
	return pid;
}

static void ok(void) { _exit(0); }
static void *idle(void *unused) { return unused; }
static void three(void)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, idle, NULL) || pthread_join(thread, NULL))
		_exit(100);
	_exit(3);
}
static void die(void)
{
	signal(SIGTERM, SIG_DFL);
	raise(SIGTERM);
	_exit(99);
}
static void orphan(void)
{
	usleep(200 * 1000);
	_exit(0);
}
static void orphan_parent(void)
{
	child("ml-orphan", orphan);
	_exit(0);
}
static void waited(void)
{
	usleep(1000 * 1000);
	_exit(0);
}
static void zombie(void)
{
	usleep(100 * 1000);
	_exit(0);
}

static void reap(pid_t pid, int expect_code, int expect_signal)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		exit(101);
	if (expect_signal ? !WIFSIGNALED(status) || WTERMSIG(status) != expect_signal
			  : !WIFEXITED(status) || WEXITSTATUS(status) != expect_code)
		exit(102);
}

int main(void)
{
	pid_t w, z;
	int status;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	reap(child("ml-ok", ok), 0, 0);
	reap(child("ml-three", three), 3, 0);
	reap(child("ml-kill", die), 0, SIGTERM);
	reap(child("ml-oparent", orphan_parent), 0, 0);
	/* The orphan, adopted by this subreaper. */
	if (waitpid(-1, &status, 0) <= 0 || !WIFEXITED(status))
		exit(103);
	w = child("ml-waited", waited);
	z = child("ml-zombie", zombie);
	reap(w, 0, 0);
	reap(z, 0, 0);
	if (waitpid(-1, &status, WNOHANG) != -1 || errno != ECHILD)
		exit(104);
	return 0;
}
