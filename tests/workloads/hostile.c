/* hostile: a process that names itself with bytes meant to break reports:
 * terminal escape sequences, quotes, backslashes, newlines, invalid UTF-8.
 * It re-execs itself with such an argv, renames itself with prctl, and
 * forks a child that inherits the name. */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--named")) {
		char *hostile_argv[] = { "hostile", "--named", "\x1b[2J\x1b]0;pwned\x07", "a\"b'c\\d\ne",
					 "\xff\xfe\xc0\xaf", "<svg>&amp;</svg>", NULL };
		execv("/proc/self/exe", hostile_argv);
		perror("execv");
		return 1;
	}
	prctl(PR_SET_NAME, "\x1b[31m\"q\\\n\xff", 0, 0, 0);
	pid_t child = fork();
	if (child == 0)
		_exit(3);
	return waitpid(child, NULL, 0) == child ? 0 : 1;
}
