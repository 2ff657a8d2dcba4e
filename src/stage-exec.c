/*
 * stage-exec.c -- the `exec` action: runs a program for each event.
 *
 *	command = conf/demo/payment.sh --charge 'card on file'
 *
 * The command is split into words once, at configuration time, the way a
 * shell would split it but without a shell: no globbing, no variables, no
 * redirections, so nothing in an event can ever be interpreted as shell
 * syntax. A word without '/' is looked up in PATH (posix_spawnp). Each
 * word is then an exec argument template (template.h): "--id ${data.machineId}"
 * gives the argument "--id" and the value as one argument, whatever spaces,
 * quotes or globs it holds.
 *
 * The child gets the event JSON on stdin, stdout on /dev/null, stderr on a
 * pipe of which the first line is kept as the failure reason (the rest is
 * read and discarded so the child never blocks on a full pipe), and the
 * daemon's environment plus SIPEAT_EVENT_ID, SIPEAT_EVENT_TYPE and
 * SIPEAT_STAGE. It runs in its own process group, with an empty signal mask
 * and every disposition at its default (the daemon, or its parent, blocks
 * or ignores signals; a child must not inherit that), so that a timeout can
 * stop the whole group: SIGTERM, then SIGKILL 2 s later. The first stderr
 * line is cleaned of escape sequences and control characters before it
 * becomes the reason.
 *
 * Many workers spawn at once: every descriptor is created close-on-exec
 * (pipe2), so a child inherits only the ends posix_spawn dup2()s onto its
 * stdin and stderr, never another worker's pipe (which would hold that
 * pipe open and delay its EOF). The child is always reaped before
 * exec_run() returns, on every path.
 *
 * Exit 0 succeeds; exit 75 (EX_TEMPFAIL) and a timeout are transient and
 * retried by stage_run(); any other exit or a signal is permanent. When the
 * daemon stops (after shutdown.timeout.ms) a running child is stopped like
 * a timed-out one, so a hung program never holds the shutdown up for more
 * than the 2 s grace.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stage.h"
#include "template.h"
#include "util.h"

extern char **environ;

#define EXEC_LINE_MAX		512	/* bytes of stderr kept as the reason */
#define EXEC_KILL_GRACE_MS	2000	/* SIGTERM to SIGKILL */
/*
 * After the child exits, how long to keep reading its stderr: a grandchild
 * left running in the background may hold the pipe open for ever.
 */
#define EXEC_DRAIN_MS		100
#define EXEC_EX_TEMPFAIL	75

struct exec {
	char		**argv;		/* the words, as written */
	struct tpl	**targv;	/* each word as a TPL_ARG template */
	size_t		  argc;
};

/* The first non-empty line of the child's stderr. */
struct exec_line {
	char	 buf[EXEC_LINE_MAX + 1];
	size_t	 len;
	int	 done;
};

static const char *const exec_keys[] = { "command", NULL };

/*
 * Frees an argv from stage_split_argv(). NULL is allowed. Any thread.
 */
void
stage_argv_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static void
exec_argv_push(char ***argv, size_t *argc, const char *word, size_t len)
{
	*argv = xreallocarray(*argv, *argc + 2, sizeof **argv);
	(*argv)[(*argc)++] = xstrndup(word, len);
	(*argv)[*argc] = NULL;
}

/*
 * Splits s into words like sh(1) without expanding anything: blanks
 * separate words; '...' is literal; in "..." a backslash escapes only
 * " \ $ and ` (elsewhere it stays); outside quotes a backslash escapes the
 * next character. Returns 0 and a NULL-terminated *argv (caller frees it
 * with stage_argv_free(); it may hold no word), or -1, *argv NULL and err
 * ("unterminated double quote at column 9"). Any thread.
 */
int
stage_split_argv(const char *s, char ***argv, char *err, size_t errsz)
{
	const char *p = s, *open;
	char *word, **v = NULL;
	size_t argc = 0, len = 0;
	int inword = 0;

	*argv = NULL;
	word = xmalloc(strlen(s) + 1);
	v = xcalloc(1, sizeof *v);
	for (;;) {
		if (*p == '\0' || *p == ' ' || *p == '\t' || *p == '\n') {
			if (inword)
				exec_argv_push(&v, &argc, word, len);
			inword = 0;
			len = 0;
			if (*p == '\0')
				break;
			p++;
			continue;
		}
		inword = 1;
		if (*p == '\'') {
			open = p++;
			while (*p != '\0' && *p != '\'')
				word[len++] = *p++;
			if (*p == '\0') {
				snprintf(err, errsz, "unterminated single "
				    "quote at column %zu",
				    (size_t)(open - s) + 1);
				goto fail;
			}
			p++;
		} else if (*p == '"') {
			open = p++;
			while (*p != '\0' && *p != '"') {
				if (p[0] == '\\' && p[1] != '\0' &&
				    strchr("\"\\$`", p[1]) != NULL)
					p++;
				word[len++] = *p++;
			}
			if (*p == '\0') {
				snprintf(err, errsz, "unterminated double "
				    "quote at column %zu",
				    (size_t)(open - s) + 1);
				goto fail;
			}
			p++;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				snprintf(err, errsz, "backslash at the end of "
				    "the command");
				goto fail;
			}
			word[len++] = p[1];
			p += 2;
		} else
			word[len++] = *p++;
	}
	free(word);
	*argv = v;
	return 0;

fail:
	free(word);
	stage_argv_free(v);
	return -1;
}

static void
exec_free(struct stage *st)
{
	struct exec *x = st->priv;
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->argc; i++)
		tpl_free(x->targv[i]);
	free(x->targv);
	stage_argv_free(x->argv);
	free(x);
	st->priv = NULL;
}

/*
 * Words are templates now: "sh -c 'echo ${HOME}'" would look HOME up in
 * the event and fail every run. Say so when the config is read.
 */
static void
exec_warn_fields(const struct stage *st, const struct tpl *t,
    const char *file, int line, struct diag *d)
{
	const char *path;
	size_t i;

	for (i = 0; i < tpl_nfields(t); i++) {
		path = tpl_field(t, i);
		if (!tpl_path_is_envelope(path))
			diag_warn(d, file, line, "stage \"%s\": command: ${%s} "
			    "is a field of the event, not a shell variable "
			    "(write $${%s} for the shell)", st->name, path,
			    path);
	}
}

static int
exec_compile(struct stage *st, const struct stage_conf *sc, const char *file,
    struct diag *d)
{
	const char *command;
	char errbuf[128], **argv;
	struct exec *x;
	size_t i;
	int line = sc->line;

	command = stage_conf_get(sc, "command", &line);
	if (command == NULL) {
		diag_add(d, file, sc->line, "stage \"%s\": exec needs a "
		    "command", st->name);
		return -1;
	}
	if (stage_split_argv(command, &argv, errbuf, sizeof errbuf) != 0) {
		diag_add(d, file, line, "stage \"%s\": command: %s", st->name,
		    errbuf);
		return -1;
	}
	if (argv[0] == NULL) {
		diag_add(d, file, line, "stage \"%s\": command is empty",
		    st->name);
		stage_argv_free(argv);
		return -1;
	}
	x = xcalloc(1, sizeof *x);
	x->argv = argv;
	st->priv = x;
	while (argv[x->argc] != NULL)
		x->argc++;
	x->targv = xcalloc(x->argc, sizeof *x->targv);
	for (i = 0; i < x->argc; i++) {
		x->targv[i] = tpl_compile(argv[i], TPL_ARG, errbuf,
		    sizeof errbuf);
		if (x->targv[i] == NULL) {
			diag_add(d, file, line, "stage \"%s\": command: %s",
			    st->name, errbuf);
			exec_free(st);
			return -1;
		}
		exec_warn_fields(st, x->targv[i], file, line, d);
	}
	return 0;
}

/*
 * The arguments for ev: each word's template expanded, one argument each.
 * NULL with err ("missing field data.x"). Free with stage_argv_free().
 */
static char **
exec_expand_argv(const struct exec *x, const struct event *ev, char *err,
    size_t errsz)
{
	char **argv, why[256];
	size_t i;

	argv = xcalloc(x->argc + 1, sizeof *argv);
	for (i = 0; i < x->argc; i++) {
		argv[i] = tpl_expand(x->targv[i], ev, why, sizeof why);
		if (argv[i] == NULL) {
			snprintf(err, errsz, "argument %zu: %s", i, why);
			stage_argv_free(argv);
			return NULL;
		}
	}
	return argv;
}

static int
exec_env_skip(const char *entry)
{
	static const char *const ours[] = {
		"SIPEAT_EVENT_ID=", "SIPEAT_EVENT_TYPE=", "SIPEAT_STAGE=", NULL
	};
	size_t i;

	for (i = 0; ours[i] != NULL; i++) {
		if (strncmp(entry, ours[i], strlen(ours[i])) == 0)
			return 1;
	}
	return 0;
}

/*
 * The child's environment: the daemon's (borrowed pointers) plus three
 * owned entries, which are also kept in own[] so they can be freed. The
 * daemon never changes its environment once threads run, so reading
 * environ here is safe.
 */
static char **
exec_env_build(const struct stage *st, const struct event *ev, char *own[3])
{
	char **envp;
	size_t n = 0, i, j = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	envp = xreallocarray(NULL, n + 4, sizeof *envp);
	for (i = 0; i < n; i++) {
		if (!exec_env_skip(environ[i]))
			envp[j++] = environ[i];
	}
	own[0] = xasprintf("SIPEAT_EVENT_ID=%s", ev->id != NULL ? ev->id : "");
	own[1] = xasprintf("SIPEAT_EVENT_TYPE=%s",
	    ev->type != NULL ? ev->type : "");
	own[2] = xasprintf("SIPEAT_STAGE=%s", st->name);
	for (i = 0; i < 3; i++)
		envp[j++] = own[i];
	envp[j] = NULL;
	return envp;
}

/*
 * Starts the child with stdin from in_fd, stderr to err_fd. Returns 0 with
 * *pid set, or an errno value.
 */
static int
exec_spawn(char **argv, char **envp, int in_fd, int err_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int rc;

	/*
	 * Every disposition back to the default, not only the ones the
	 * daemon changed: whatever sipeatd's own parent ignored (SIGPIPE,
	 * SIGHUP under nohup, SIGCHLD, SIGINT in a background job) must not
	 * reach the programs it runs. An empty mask likewise.
	 */
	sigemptyset(&none);
	sigfillset(&dfl);
	sigdelset(&dfl, SIGKILL);
	sigdelset(&dfl, SIGSTOP);

	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return rc;
	rc = posix_spawnattr_init(&attr);
	if (rc != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	/* dup2() clears close-on-exec on the copies 0 and 2 only. */
	rc = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		    "/dev/null", O_WRONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, err_fd,
		    STDERR_FILENO);
	if (rc == 0)
		rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
		    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(&attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(&attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(&attr, &dfl);
	if (rc == 0)
		rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/*
 * write() that cannot raise SIGPIPE, whatever the process does with it:
 * SIGPIPE is blocked in this thread for the call and, if the write raised
 * it, the pending signal is consumed before the mask is restored.
 */
static ssize_t
exec_write(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0, 0 };
	ssize_t n;
	int saved, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	n = write(fd, buf, len);
	saved = errno;
	if (n == -1 && saved == EPIPE && !was_pending)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return n;
}

static void
exec_line_feed(struct exec_line *l, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && !l->done; i++) {
		if (buf[i] == '\n') {
			if (l->len > 0)
				l->done = 1;
		} else if (buf[i] == '\r')
			continue;
		else if (l->len < EXEC_LINE_MAX)
			l->buf[l->len++] = buf[i];
		else
			l->done = 1;
	}
	l->buf[l->len] = '\0';
}

/*
 * Makes the kept line one safe line of text, as the http stage does with
 * a server's error text: ANSI escape sequences (colours, cursor moves:
 * ESC [ ... final byte) are dropped, other control characters become
 * spaces (stage_clean_reason()), and leading spaces go. It reaches logs,
 * embeds and dead-letter headers.
 */
static void
exec_line_clean(struct exec_line *l)
{
	size_t i = 0, j = 0;

	while (i < l->len) {
		if (l->buf[i] == '\x1b' && i + 1 < l->len && l->buf[i + 1] == '[') {
			i += 2;
			while (i < l->len && ((unsigned char)l->buf[i] < 0x40 ||
			    (unsigned char)l->buf[i] > 0x7e))
				i++;
			if (i < l->len)
				i++;	/* the final byte */
			continue;
		}
		l->buf[j++] = l->buf[i++];
	}
	l->buf[j] = '\0';
	stage_clean_reason(l->buf, EXEC_LINE_MAX);
	for (i = 0; l->buf[i] == ' '; i++)
		;
	memmove(l->buf, l->buf + i, strlen(l->buf + i) + 1);
	l->len = strlen(l->buf);
}

static void
exec_close(int *fd)
{
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

static int
exec_set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags == -1)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* waitpid(), restarted when a signal interrupts it. */
static pid_t
exec_waitpid(pid_t pid, int *status, int options)
{
	pid_t r;

	do
		r = waitpid(pid, status, options);
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * Stops the child's process group after a timeout and reaps the child:
 * SIGTERM, up to EXEC_KILL_GRACE_MS for it to go, then SIGKILL. The child
 * is not yet reaped, so its pid (the group id) cannot have been reused.
 */
static void
exec_kill(pid_t pid, int *status)
{
	int64_t until;

	/* Not expected (the group is the child's): at least stop the child. */
	if (kill(-pid, SIGTERM) == -1)
		kill(pid, SIGTERM);
	until = now_ms() + EXEC_KILL_GRACE_MS;
	while (now_ms() < until) {
		if (exec_waitpid(pid, status, WNOHANG) == pid)
			return;
		sleep_ms(10);
	}
	if (kill(-pid, SIGKILL) == -1)
		kill(pid, SIGKILL);
	exec_waitpid(pid, status, 0);
}

/*
 * Feeds stdin and reads stderr until the child has exited and its stderr
 * is drained, or until the deadline. Returns 0 with *status set and the
 * child reaped, 1 on timeout or 2 once the daemon is stopping (child still
 * to be killed and reaped).
 */
static int
exec_io(pid_t pid, int *in_fd, int *err_fd, const char *json, int64_t deadline,
    const struct stage_ctx *ctx, struct exec_line *line, int *status)
{
	struct pollfd pfd[2];
	char buf[4096];
	size_t len = strlen(json), off = 0;
	int64_t now, reaped_at = 0, wait;
	ssize_t n;
	int nfds, in_idx, err_idx, reaped = 0;

	for (;;) {
		now = now_ms();
		if (!reaped && exec_waitpid(pid, status, WNOHANG) == pid) {
			reaped = 1;
			reaped_at = now;
		}
		if (reaped && (*err_fd == -1 ||
		    now - reaped_at >= EXEC_DRAIN_MS))
			return 0;
		if (!reaped && now >= deadline)
			return 1;
		/* Checked every poll slice (<= 100 ms): shutdown is bounded. */
		if (!reaped && stage_ctx_stopping(ctx))
			return 2;
		if (*in_fd != -1 && off == len)
			exec_close(in_fd);

		nfds = 0;
		in_idx = err_idx = -1;
		if (*in_fd != -1) {
			pfd[nfds].fd = *in_fd;
			pfd[nfds].events = POLLOUT;
			in_idx = nfds++;
		}
		if (*err_fd != -1) {
			pfd[nfds].fd = *err_fd;
			pfd[nfds].events = POLLIN;
			err_idx = nfds++;
		}
		/*
		 * EOF on stderr usually says the child exited; the slice only
		 * bounds how late an exit is noticed when something else
		 * holds stderr open (or the child closed it).
		 */
		if (reaped)
			wait = EXEC_DRAIN_MS - (now - reaped_at);
		else
			wait = deadline - now;
		if (wait > (*err_fd == -1 ? 10 : 100))
			wait = *err_fd == -1 ? 10 : 100;
		if (poll(pfd, (nfds_t)nfds, (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			/* Cannot happen with valid fds; do not spin. */
			sleep_ms(10);
			continue;
		}

		/*
		 * POLLERR on a pipe's write end means the child closed stdin:
		 * the write then fails with EPIPE, which ends the feeding
		 * like any other error. A child need not read its input.
		 */
		if (in_idx != -1 && pfd[in_idx].revents != 0) {
			n = exec_write(*in_fd, json + off, len - off);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN && errno != EINTR)
				exec_close(in_fd);
		}
		if (err_idx != -1 && pfd[err_idx].revents != 0) {
			n = read(*err_fd, buf, sizeof buf);
			if (n > 0)
				exec_line_feed(line, buf, (size_t)n);
			else if (n == 0 || (errno != EAGAIN && errno != EINTR))
				exec_close(err_fd);
		}
	}
}

static enum stage_status
exec_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct exec *x = st->priv;
	struct exec_line line;
	char **envp, *own[3], **argv;
	int in[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int rc, status = 0, i;
	enum stage_status result;
	pid_t pid;

	/* A missing field is permanent: a retry sees the same event. */
	if ((argv = exec_expand_argv(x, ev, err, errsz)) == NULL)
		return STAGE_FAIL;
	memset(&line, 0, sizeof line);
	envp = exec_env_build(st, ev, own);

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "cannot create a pipe: %m");
		/* Out of descriptors is a passing condition. */
		result = STAGE_TRANSIENT;
		goto out;
	}
	/* Our ends only: O_NONBLOCK lives on each end's file description. */
	if (exec_set_nonblock(in[1]) == -1 || exec_set_nonblock(ep[0]) == -1) {
		snprintf(err, errsz, "fcntl: %m");
		result = STAGE_TRANSIENT;
		goto out;
	}

	rc = exec_spawn(argv, envp, in[0], ep[1], &pid);
	if (rc != 0) {
		/* %m, not strerror(): glibc's is documented MT-unsafe. */
		errno = rc;
		snprintf(err, errsz, "cannot run %s: %m", argv[0]);
		result = (rc == EAGAIN || rc == ENOMEM) ? STAGE_TRANSIENT :
		    STAGE_FAIL;
		goto out;
	}
	/* The child has its copies; ours would hide EOF on stderr. */
	exec_close(&in[0]);
	exec_close(&ep[1]);

	rc = exec_io(pid, &in[1], &ep[0], event_json(ev),
	    now_ms() + st->timeout_ms, ctx, &line, &status);
	if (rc != 0) {
		/* Closing stderr first: a dying child must not block on it. */
		exec_close(&in[1]);
		exec_close(&ep[0]);
		exec_kill(pid, &status);
		if (rc == 1)
			snprintf(err, errsz, "timed out after %d ms",
			    st->timeout_ms);
		else
			snprintf(err, errsz, "abandoned: sipeatd is stopping");
		result = STAGE_TRANSIENT;
		goto out;
	}

	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0) {
			result = STAGE_OK;
			goto out;
		}
		exec_line_clean(&line);
		if (line.len > 0)
			snprintf(err, errsz, "%s", line.buf);
		else
			snprintf(err, errsz, "exited with status %d",
			    WEXITSTATUS(status));
		result = WEXITSTATUS(status) == EXEC_EX_TEMPFAIL ?
		    STAGE_TRANSIENT : STAGE_FAIL;
	} else if (WIFSIGNALED(status)) {
		snprintf(err, errsz, "killed by signal %d", WTERMSIG(status));
		result = STAGE_FAIL;
	} else {
		snprintf(err, errsz, "ended with wait status %d", status);
		result = STAGE_FAIL;
	}

out:
	for (i = 0; i < 2; i++) {
		exec_close(&in[i]);
		exec_close(&ep[i]);
	}
	for (i = 0; i < 3; i++)
		free(own[i]);
	free(envp);
	stage_argv_free(argv);
	return result;
}

const struct stage_action stage_exec_action = {
	.name = "exec",
	.compile = exec_compile,
	.run = exec_run,
	.free = exec_free,
	.keys = exec_keys,
};
