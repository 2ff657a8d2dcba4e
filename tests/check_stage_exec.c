/*
 * check_stage_exec.c -- the exec action and the retry policy of stage_run().
 *
 * Stages are compiled from stage_conf structs built here, so these tests
 * depend on stage.c and stage-exec.c only (plus event.c for the events).
 * Children are real processes (sh, cat, sleep); each test works in its own
 * temporary directory, which records what the children saw.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stage.h"
#include "testlib.h"
#include "util.h"

#define EV_CONTACT "{\"id\":\"ev-1\",\"type\":\"contact.created\"," \
	"\"data\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"}}"

static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/check_stage_exec.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* A path in this test's directory; caller frees. */
static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}


static int
count_lines(const char *path)
{
	char *s = test_slurp(path), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	free(s);
	return n;
}

/* An exec stage running command, with its own timeout and retry keys. */
static struct stage *
exec_stage(const char *name, const char *command, const char *timeout,
    const char *retries, const char *backoff)
{
	struct diag d = { 0 };
	struct stage *st;

	st = test_stage_compile(&d, name, "action", "exec", "command", command,
	    "timeout.ms", timeout, "retries", retries, "retry.backoff.ms",
	    backoff, (char *)NULL);
	if (d.n > 0)
		diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_nonnull(st);
	diag_free(&d);
	return st;
}

static void
parse_event(struct event *ev, const char *json)
{
	char errbuf[256];

	ck_assert_int_eq(event_parse(ev, json, strlen(json), "t/0/0", errbuf,
	    sizeof errbuf), 0);
}

/* Runs st once through stage_run() with a fresh context. */
static enum stage_status
run(const struct stage *st, const char *json, char *err, size_t errsz)
{
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	struct event ev;
	enum stage_status status;

	parse_event(&ev, json);
	status = stage_run(st, &ev, &ctx, err, errsz);
	event_clear(&ev);
	return status;
}

/* No child of this process is left, not even a zombie. */
static void
assert_no_children(void)
{
	int status;

	errno = 0;
	ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

START_TEST(test_env)
{
	char *out = tmp_path("env"), *cmd, *got, err[256];
	struct stage *st;

	/* A stale value in the daemon's environment must be replaced. */
	setenv("SIPEAT_STAGE", "stale", 1);
	setenv("CHECK_PARENT_VAR", "inherited", 1);
	cmd = xasprintf("sh -c 'printf \"%%s|%%s|%%s|%%s\" "
	    "\"$SIPEAT_EVENT_ID\" \"$SIPEAT_EVENT_TYPE\" \"$SIPEAT_STAGE\" "
	    "\"$CHECK_PARENT_VAR\" > %s'", out);
	st = exec_stage("envtest", cmd, "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_OK);
	got = test_slurp(out);
	ck_assert_str_eq(got, "ev-1|contact.created|envtest|inherited");
	free(got);
	stage_free(st);
	free(cmd);
	free(out);
	assert_no_children();
}
END_TEST

START_TEST(test_stdin_is_event_json)
{
	char *out = tmp_path("stdin"), *cmd, *got, err[256];
	struct stage *st;
	struct event ev;

	cmd = xasprintf("sh -c 'cat > %s'", out);
	st = exec_stage("stdin", cmd, "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_OK);
	got = test_slurp(out);
	parse_event(&ev, EV_CONTACT);
	ck_assert_str_eq(got, event_json(&ev));
	event_clear(&ev);
	free(got);
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

/* The child exits without reading a large stdin: EPIPE, not SIGPIPE. */
START_TEST(test_stdin_not_read)
{
	struct sigaction sa;
	struct stage *st;
	char *json, *big, err[256];

	/* Default SIGPIPE disposition: a raised SIGPIPE would kill us. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);

	big = xmalloc(2000001);
	memset(big, 'x', 2000000);
	big[2000000] = '\0';
	json = xasprintf("{\"type\":\"t\",\"data\":{\"big\":\"%s\"}}", big);
	st = exec_stage("noread", "true", "5000", "0", "10");
	ck_assert_int_eq(run(st, json, err, sizeof err), STAGE_OK);
	stage_free(st);
	st = exec_stage("noread", "sh -c 'exit 4'", "5000", "0", "10");
	ck_assert_int_eq(run(st, json, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "exited with status 4");
	stage_free(st);
	free(json);
	free(big);
	assert_no_children();
}
END_TEST

START_TEST(test_stderr_first_line)
{
	struct stage *st;
	char err[1024];

	/* Leading blank lines are skipped; only the first line is kept. */
	st = exec_stage("pay", "sh -c 'printf \"\\n\\ncard declined\\r\\n"
	    "second line\\n\" >&2; exit 1'", "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "card declined");
	stage_free(st);

	st = exec_stage("quiet", "sh -c 'exit 3'", "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "exited with status 3");
	stage_free(st);
}
END_TEST

/*
 * A program that colours its stderr, or writes CR/LF in odd places: the
 * reason (logs, embeds, dead-letter headers) is one clean line.
 */
START_TEST(test_stderr_control)
{
	struct stage *st;
	char err[1024];

	st = exec_stage("ansi", "sh -c 'printf \"\\033[31mbad\\033[0m\\r\\nmore\\n\" >&2; "
	    "exit 1'", "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "bad");
	stage_free(st);

	st = exec_stage("ctl", "sh -c 'printf \"\\007a\\tb\\033c\\001\\n\" >&2; "
	    "exit 1'", "5000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "a b c");
	stage_free(st);
}
END_TEST

/*
 * Whatever this process ignores or blocks (sipeatd's parent may have
 * ignored SIGHUP, SIGALRM, ... or blocked signals), the child starts with
 * every disposition at its default and an empty mask.
 */
START_TEST(test_child_signals_default)
{
	struct stage *st;
	sigset_t block, old;
	char err[1024];
	enum stage_status status;

	signal(SIGALRM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* Signals 1-31 (glibc's spawn ignores its internal 32 and 33). */
	st = exec_stage("sigs", "awk '/^Sig(Ign|Blk):/ && "
	    "substr($2, length($2) - 7) !~ /^[08]0000000$/ "
	    "{ print > \"/dev/stderr\"; bad = 1 } END { exit bad }' /proc/self/status",
	    "5000", "0", "10");
	status = run(st, EV_CONTACT, err, sizeof err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (status != STAGE_OK)
		fprintf(stderr, "child: %s\n", err);
	ck_assert_int_eq(status, STAGE_OK);
	stage_free(st);
}
END_TEST

/* Megabytes on stderr: the child never blocks, the reason is 512 bytes. */
START_TEST(test_stderr_flood)
{
	struct stage *st;
	char err[1024], want[513];

	st = exec_stage("flood", "sh -c 'head -c 3000000 /dev/zero | "
	    "tr \"\\\\0\" x >&2; exit 2'", "10000", "0", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	memset(want, 'x', 512);
	want[512] = '\0';
	ck_assert_str_eq(err, want);
	stage_free(st);
	assert_no_children();
}
END_TEST

START_TEST(test_signal)
{
	struct stage *st;
	char err[256];

	st = exec_stage("sig", "sh -c 'kill -9 $$$$'", "5000", "3", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "killed by signal 9");
	stage_free(st);
}
END_TEST

START_TEST(test_cannot_run)
{
	struct stage *st;
	char err[256];

	st = exec_stage("nosuch", "/nonexistent/sipeat-prog --flag", "5000",
	    "3", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "cannot run /nonexistent/sipeat-prog: No such "
	    "file or directory");
	stage_free(st);
}
END_TEST

/* Reads the nanosecond timestamps the child appended, one per attempt. */
static int
read_stamps(const char *path, long long *v, int max)
{
	FILE *fp = fopen(path, "r");
	int n = 0;

	ck_assert_ptr_nonnull(fp);
	while (n < max && fscanf(fp, "%lld", &v[n]) == 1)
		n++;
	fclose(fp);
	return n;
}

START_TEST(test_tempfail_retried)
{
	char *out = tmp_path("attempts"), *cmd, err[256];
	long long t[8], gap[3];
	struct stage *st;
	int n;

	cmd = xasprintf("sh -c 'date +%%s%%N >> %s; exit 75'", out);
	st = exec_stage("flaky", cmd, "5000", "3", "100");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err),
	    STAGE_TRANSIENT);
	ck_assert_str_eq(err, "exited with status 75");
	n = read_stamps(out, t, 8);
	ck_assert_int_eq(n, 4);		/* one attempt + 3 retries */
	gap[0] = (t[1] - t[0]) / 1000000;
	gap[1] = (t[2] - t[1]) / 1000000;
	gap[2] = (t[3] - t[2]) / 1000000;
	/*
	 * 100, 200, 400 ms, each plus up to 20% jitter and spawn time. The
	 * lower bounds show the doubling; comparing one gap with the next
	 * failed on a loaded machine, where one spawn took 160 ms longer.
	 */
	ck_assert_int_ge(gap[0], 100);
	ck_assert_int_ge(gap[1], 200);
	ck_assert_int_ge(gap[2], 400);
	ck_assert_int_lt(gap[2], 1000);
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

START_TEST(test_fail_not_retried)
{
	char *out = tmp_path("attempts"), *cmd, err[256];
	struct stage *st;

	cmd = xasprintf("sh -c 'echo x >> %s; exit 1'", out);
	st = exec_stage("broken", cmd, "5000", "5", "10");
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err), STAGE_FAIL);
	ck_assert_int_eq(count_lines(out), 1);
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

static void *
stop_later(void *arg)
{
	sleep_ms(300);
	stop_flag_set(arg);
	return NULL;
}

/* A shutdown during a back-off ends it at once; no retry starts. */
START_TEST(test_stopping_ends_backoff)
{
	char *out = tmp_path("attempts"), *cmd, err[256];
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 1, .stopping = &stopping };
	struct stage *st;
	struct event ev;
	pthread_t t;
	int64_t start, took;

	cmd = xasprintf("sh -c 'echo x >> %s; exit 75'", out);
	st = exec_stage("flaky", cmd, "5000", "5", "10000");
	parse_event(&ev, EV_CONTACT);
	ck_assert_int_eq(pthread_create(&t, NULL, stop_later,
	    (void *)&stopping), 0);
	start = now_ms();
	ck_assert_int_eq(stage_run(st, &ev, &ctx, err, sizeof err),
	    STAGE_TRANSIENT);
	took = now_ms() - start;
	pthread_join(t, NULL);
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_int_lt(took, 1000);

	/*
	 * Already stopping: the attempt is abandoned within a poll slice
	 * (the child is stopped and reaped), and no retry starts.
	 */
	start = now_ms();
	ck_assert_int_eq(stage_run(st, &ev, &ctx, err, sizeof err),
	    STAGE_TRANSIENT);
	ck_assert_int_lt(now_ms() - start, 1000);
	ck_assert_int_le(count_lines(out), 2);
	assert_no_children();
	event_clear(&ev);
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

/* Whether pid is gone (or a zombie waiting for init, hence not running). */
static int
pid_gone(long pid)
{
	char path[64], *stat, *p;
	int gone;

	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	stat = test_slurp(path);
	if (stat == NULL)
		return 1;
	p = strrchr(stat, ')');
	gone = p != NULL && p[1] == ' ' && p[2] == 'Z';
	free(stat);
	return gone;
}

/* The pid a test child wrote to path. */
static long
read_pid(const char *path)
{
	char *text = test_slurp(path);
	long pid;

	ck_assert_ptr_nonnull(text);
	pid = atol(text);
	ck_assert_int_gt(pid, 1);
	free(text);
	return pid;
}

static void
assert_pid_gone(long pid)
{
	int i;

	for (i = 0; i < 100 && !pid_gone(pid); i++)
		sleep_ms(10);
	ck_assert_int_eq(pid_gone(pid), 1);
}

/*
 * A timeout sends SIGTERM to the child's whole process group: the shell
 * goes, and so does the sleep it started in the background.
 */
START_TEST(test_timeout)
{
	char *out = tmp_path("grandchild"), *cmd, err[256];
	struct stage *st;
	int64_t start, took;

	cmd = xasprintf("sh -c 'sleep 30 & echo $! > %s; wait'", out);
	st = exec_stage("slow", cmd, "300", "0", "10");
	start = now_ms();
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err),
	    STAGE_TRANSIENT);
	took = now_ms() - start;
	ck_assert_str_eq(err, "timed out after 300 ms");
	ck_assert_int_ge(took, 300);
	ck_assert_int_lt(took, 300 + 1000);
	assert_no_children();
	assert_pid_gone(read_pid(out));
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

/*
 * A child that ignores SIGTERM gets SIGKILL after 2 s, and so does the
 * grandchild it left in its process group.
 */
START_TEST(test_timeout_kill)
{
	char *out = tmp_path("grandchild"), *cmd, err[256];
	struct stage *st;
	int64_t start, took;

	cmd = xasprintf("sh -c 'trap \"\" TERM; sleep 30 & echo $! > %s; "
	    "wait'", out);
	st = exec_stage("stubborn", cmd, "300", "0", "10");
	start = now_ms();
	ck_assert_int_eq(run(st, EV_CONTACT, err, sizeof err),
	    STAGE_TRANSIENT);
	took = now_ms() - start;
	ck_assert_str_eq(err, "timed out after 300 ms");
	ck_assert_int_ge(took, 300 + 2000);
	ck_assert_int_lt(took, 300 + 2500);
	assert_no_children();

	assert_pid_gone(read_pid(out));
	stage_free(st);
	free(cmd);
	free(out);
}
END_TEST

/* Open descriptors of this process. */
static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir)) != NULL)
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

#define NTHREADS	16
#define NRUNS		8

struct spawner {
	const struct stage	*ok;
	const struct stage	*echo;
	int			 index;
	int			 ok_count;
	int			 echo_count;
};

/*
 * Each thread runs a stage that succeeds and one that copies the event to
 * stderr and fails: the reason must be this thread's own event, which it
 * cannot be if pipes leaked between concurrent children.
 */
static void *
spawner_main(void *arg)
{
	struct spawner *sp = arg;
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = sp->index, .stopping = &stopping };
	struct event ev;
	char json[256], errbuf[256], err[1024];
	int i;

	snprintf(json, sizeof json, "{\"id\":\"w%d\",\"type\":\"t\","
	    "\"data\":{\"n\":%d}}", sp->index, sp->index);
	if (event_parse(&ev, json, strlen(json), "t/0/0", errbuf,
	    sizeof errbuf) != 0)
		return NULL;
	for (i = 0; i < NRUNS; i++) {
		if (stage_run(sp->ok, &ev, &ctx, err, sizeof err) == STAGE_OK)
			sp->ok_count++;
		if (stage_run(sp->echo, &ev, &ctx, err, sizeof err) ==
		    STAGE_FAIL && strcmp(err, event_json(&ev)) == 0)
			sp->echo_count++;
	}
	event_clear(&ev);
	return NULL;
}

START_TEST(test_concurrent)
{
	struct spawner sp[NTHREADS];
	pthread_t t[NTHREADS];
	struct stage *ok, *echo;
	int i, fds = count_fds();

	ok = exec_stage("ok", "sh -c 'cat > /dev/null'", "10000", "0", "10");
	echo = exec_stage("echo", "sh -c 'cat >&2; echo >&2; exit 1'",
	    "10000", "0", "10");
	for (i = 0; i < NTHREADS; i++) {
		memset(&sp[i], 0, sizeof sp[i]);
		sp[i].ok = ok;
		sp[i].echo = echo;
		sp[i].index = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, spawner_main,
		    &sp[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(sp[i].ok_count, NRUNS);
		ck_assert_int_eq(sp[i].echo_count, NRUNS);
	}
	assert_no_children();
	ck_assert_int_eq(count_fds(), fds);	/* no descriptor leaked */
	stage_free(ok);
	stage_free(echo);
}
END_TEST

static const struct {
	const char	*in;
	const char	*out[6];	/* NULL-terminated words */
	const char	*err;		/* non-NULL: must fail so */
} split_cases[] = {
	{ "a b  c", { "a", "b", "c" }, NULL },
	{ " \tlead and trail\t ", { "lead", "and", "trail" }, NULL },
	{ "", { NULL }, NULL },
	{ "   ", { NULL }, NULL },
	{ "'a b' c", { "a b", "c" }, NULL },
	{ "''", { "" }, NULL },
	{ "x '' y", { "x", "", "y" }, NULL },
	{ "a'b'\"c\"d", { "abcd" }, NULL },
	{ "'$HOME' * ~ `id`", { "$HOME", "*", "~", "`id`" }, NULL },
	{ "'a\\b'", { "a\\b" }, NULL },
	{ "\"it's\"", { "it's" }, NULL },
	{ "\"q\\\"x\\\\y\\$z\\`w\"", { "q\"x\\y$z`w" }, NULL },
	{ "\"a\\nb\"", { "a\\nb" }, NULL },
	{ "a\\ b\\'c\\\"d\\\\", { "a b'c\"d\\" }, NULL },
	{ "sh -c 'echo \"$1\"' x", { "sh", "-c", "echo \"$1\"", "x" }, NULL },
	{ "'abc", { NULL }, "unterminated single quote at column 1" },
	{ "x \"abc", { NULL }, "unterminated double quote at column 3" },
	{ "x \"a\\\"", { NULL }, "unterminated double quote at column 3" },
	{ "abc\\", { NULL }, "backslash at the end of the command" },
};

START_TEST(test_split_argv)
{
	char **argv, err[128];
	size_t i, j;

	for (i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
		err[0] = '\0';
		if (split_cases[i].err != NULL) {
			ck_assert_msg(stage_split_argv(split_cases[i].in,
			    &argv, err, sizeof err) == -1, "case %zu", i);
			ck_assert_ptr_null(argv);
			ck_assert_str_eq(err, split_cases[i].err);
			continue;
		}
		ck_assert_msg(stage_split_argv(split_cases[i].in, &argv, err,
		    sizeof err) == 0, "case %zu: %s", i, err);
		for (j = 0; split_cases[i].out[j] != NULL; j++) {
			ck_assert_ptr_nonnull(argv[j]);
			ck_assert_str_eq(argv[j], split_cases[i].out[j]);
		}
		ck_assert_msg(argv[j] == NULL, "case %zu: extra word", i);
		stage_argv_free(argv);
	}
}
END_TEST

/* The generic keys and the exec keys are checked with their lines. */
START_TEST(test_compile_errors)
{
	struct diag d = { 0 };

	ck_assert_ptr_null(test_stage_compile(&d, "x", "action", "exec",
	    (char *)NULL));
	ck_assert_ptr_null(test_stage_compile(&d, "x", "action", "exec",
	    "command", "  ", (char *)NULL));
	ck_assert_ptr_null(test_stage_compile(&d, "x", "action", "exec",
	    "command", "run 'it", (char *)NULL));
	ck_assert_ptr_null(test_stage_compile(&d, "x", "action", "exec",
	    "command", "true", "timeout.ms", "0", "retries", "101",
	    "retry.backoff.ms", "10ms", (char *)NULL));
	ck_assert_ptr_null(test_stage_compile(&d, "x", "action", "exec",
	    "command", "true", "retries", "1", "retries", "2", (char *)NULL));
	ck_assert_uint_eq(d.n, 7);
	ck_assert_str_eq(d.msgs[0], "t.conf:1: stage \"x\": exec needs a "
	    "command");
	ck_assert_str_eq(d.msgs[1], "t.conf:3: stage \"x\": command is empty");
	ck_assert_str_eq(d.msgs[2], "t.conf:3: stage \"x\": command: "
	    "unterminated single quote at column 5");
	ck_assert_str_eq(d.msgs[3], "t.conf:4: stage \"x\": timeout.ms must "
	    "be an integer from 1 to 3600000, not \"0\"");
	ck_assert_str_eq(d.msgs[4], "t.conf:5: stage \"x\": retries must be "
	    "an integer from 0 to 100, not \"101\"");
	ck_assert_str_eq(d.msgs[5], "t.conf:6: stage \"x\": retry.backoff.ms "
	    "must be an integer from 0 to 600000, not \"10ms\"");
	ck_assert_str_eq(d.msgs[6], "t.conf:5: stage \"x\": retries is given "
	    "more than once");
	diag_free(&d);
}
END_TEST

/* Defaults of the generic keys. */
START_TEST(test_defaults)
{
	struct diag d = { 0 };
	struct stage *st;

	st = test_stage_compile(&d, "x", "action", "exec", "command", "true",
	    (char *)NULL);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(st->timeout_ms, 10000);
	ck_assert_int_eq(st->retries, 2);
	ck_assert_int_eq(st->retry_backoff_ms, 200);
	ck_assert_ptr_null(st->when);
	ck_assert_ptr_null(st->undo);
	ck_assert_ptr_eq(st->action, &stage_exec_action);
	ck_assert_ptr_eq(stage_action_find("exec"), &stage_exec_action);
	ck_assert_ptr_eq(stage_action_find("validate"),
	    &stage_validate_action);
	ck_assert_ptr_eq(stage_action_find("log"), &stage_log_action);
	ck_assert_ptr_null(stage_action_find("shell"));
	stage_free(st);
	diag_free(&d);
}
END_TEST

Suite *
suite_stage_exec(void)
{
	Suite *s = suite_create("stage_exec");
	TCase *tc;

	/* Retry warnings would drown the test output. */
	log_set_level(LOG_LVL_ERROR);

	tc = tcase_create("exec");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_stdin_is_event_json);
	tcase_add_test(tc, test_stdin_not_read);
	tcase_add_test(tc, test_stderr_first_line);
	tcase_add_test(tc, test_stderr_flood);
	tcase_add_test(tc, test_stderr_control);
	tcase_add_test(tc, test_child_signals_default);
	tcase_add_test(tc, test_signal);
	tcase_add_test(tc, test_cannot_run);
	tcase_add_test(tc, test_tempfail_retried);
	tcase_add_test(tc, test_fail_not_retried);
	tcase_add_test(tc, test_stopping_ends_backoff);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_timeout_kill);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);

	tc = tcase_create("compile");
	tcase_add_test(tc, test_split_argv);
	tcase_add_test(tc, test_compile_errors);
	tcase_add_test(tc, test_defaults);
	suite_add_tcase(s, tc);
	return s;
}
