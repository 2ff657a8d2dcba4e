/*
 * check_handler.c -- the three handler patterns, the validate and log
 * actions, the stage configuration errors, and conf/demo.conf.
 *
 * Configurations are real files read by config_load(), so error messages
 * are checked with the file name and line an operator would see. Stages
 * are `exec` of sh one-liners that append their name to a log file in the
 * test's temporary directory: the file records which stages ran, in order.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "testlib.h"
#include "util.h"

static char tmpdir[64];
static char *conf_path;
static char *rec_path;		/* the stages' record of what ran */

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/check_handler.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	conf_path = xasprintf("%s/t.conf", tmpdir);
	rec_path = xasprintf("%s/record", tmpdir);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(conf_path);
	free(rec_path);
}

/* The whole file ("" if it does not exist); caller frees. */
static char *
slurp(const char *path)
{
	char *s = test_slurp(path);

	return s != NULL ? s : xstrdup("");
}

/*
 * Writes the configuration (printf format; every "%1$s" is the record
 * file) and loads it. Fails the test on config_load() errors unless
 * errors_ok.
 */
static struct config *
load(struct diag *d, int errors_ok, const char *text)
{
	struct config *cfg;
	FILE *fp;

	fp = fopen(conf_path, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, text, rec_path);
	fclose(fp);
	cfg = config_load(conf_path, d);
	ck_assert_ptr_nonnull(cfg);
	if (!errors_ok && diag_errors(d) > 0) {
		diag_print(d, stderr);
		ck_abort_msg("config_load reported errors");
	}
	return cfg;
}

/* Loads text and builds its handlers, which must have no error. */
static struct handlers *
build(struct config **cfg, const char *text)
{
	struct diag d = { 0 };
	struct handlers *hs;

	*cfg = load(&d, 0, text);
	hs = handlers_build(*cfg, &d);
	if (hs == NULL)
		diag_print(&d, stderr);
	ck_assert_ptr_nonnull(hs);
	ck_assert_uint_eq(diag_errors(&d), 0);
	diag_free(&d);
	return hs;
}

/* Runs the handler for the event's type. Returns handler_run()'s value. */
static int
run_event(const struct handlers *hs, const char *json, char *err,
    size_t errsz)
{
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	const struct handler *h;
	struct event ev;
	char errbuf[256];
	int rc;

	ck_assert_int_eq(event_parse(&ev, json, strlen(json), "t/0/0", errbuf,
	    sizeof errbuf), 0);
	h = handlers_find(hs, ev.type);
	ck_assert_ptr_nonnull(h);
	rc = handler_run(h, &ev, &ctx, err, errsz);
	event_clear(&ev);
	return rc;
}

/* Whether d holds exactly msg with this test's file name and line. */
static int
has_msg(const struct diag *d, int line, const char *fmt, ...)
{
	char *msg, *full;
	va_list ap;
	size_t i;
	int found = 0;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	full = xasprintf("%s:%d: %s", conf_path, line, msg);
	for (i = 0; i < d->n; i++)
		found |= strcmp(d->msgs[i], full) == 0;
	if (!found) {
		fprintf(stderr, "missing: %s\nhave:\n", full);
		diag_print(d, stderr);
	}
	free(full);
	free(msg);
	return found;
}

/* A stage that records NAME and succeeds, or fails saying "NAME broke". */
#define OK_STAGE(n) \
	"[stage " n "]\naction = exec\nretries = 0\n" \
	"command = sh -c 'echo " n " >> %1$s'\n"
#define BAD_STAGE(n) \
	"[stage " n "]\naction = exec\nretries = 0\n" \
	"command = sh -c 'echo " n " >> %1$s;echo " n " broke >&2;exit 1'\n"

START_TEST(test_strategy)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler contact.created]\n"
	    "stages = a b c d e\n"
	    OK_STAGE("a") "when = data.email\n"
	    BAD_STAGE("b")
	    OK_STAGE("c") "when = data.companyName\n"
	    BAD_STAGE("d") "when = data.name\n"
	    OK_STAGE("e"));

	/* b and d fail, the others still run; c is not selected. */
	ck_assert_int_eq(run_event(hs, "{\"type\":\"contact.created\","
	    "\"data\":{\"name\":\"Ann\",\"email\":\"a@b.c\","
	    "\"companyName\":\"\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "b: b broke; d: d broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "a\nb\nd\ne\n");
	free(rec);
	unlink(rec_path);

	/* A false `when` skips: only b fails now. */
	ck_assert_int_eq(run_event(hs, "{\"type\":\"contact.created\","
	    "\"data\":{\"name\":null,\"email\":\"a@b.c\","
	    "\"companyName\":\"Acme\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "b: b broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "a\nb\nc\ne\n");
	free(rec);

	handlers_free(hs);
	config_free(cfg);
}
END_TEST

START_TEST(test_strategy_ok)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler contact.created]\n"
	    "stages = a b\n"
	    OK_STAGE("a") "when = data.email\n"
	    OK_STAGE("b"));
	ck_assert_int_eq(run_event(hs, "{\"type\":\"contact.created\","
	    "\"data\":{}}", err, sizeof err), 0);
	ck_assert_str_eq(err, "");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "b\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

START_TEST(test_chain)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler request.created]\n"
	    "stages = a b c\n"
	    OK_STAGE("a")
	    BAD_STAGE("b")
	    OK_STAGE("c"));
	ck_assert_int_eq(run_event(hs, "{\"type\":\"request.created\","
	    "\"data\":{}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "b: b broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "a\nb\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

START_TEST(test_chain_ok)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler request.created]\n"
	    "stages = a b c\n"
	    OK_STAGE("a")
	    OK_STAGE("b")
	    OK_STAGE("c"));
	ck_assert_int_eq(run_event(hs, "{\"type\":\"request.created\","
	    "\"data\":{}}", err, sizeof err), 0);
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "a\nb\nc\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/*
 * s4 fails: the undos of s3 and s1 (s2 has none) run, latest first; s4's
 * own undo does not (it did not complete), s5 never runs. An undo target
 * need not be listed in `stages`, and its own undo (u3's) is not run.
 */
START_TEST(test_command_undo)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler machine.created]\n"
	    "stages = s1 s2 s3 s4 s5\n"
	    OK_STAGE("s1") "undo = u1\n"
	    OK_STAGE("s2")
	    OK_STAGE("s3") "undo = u3\n"
	    BAD_STAGE("s4") "undo = u4\n"
	    OK_STAGE("s5") "undo = u5\n"
	    "[stage u1]\naction = exec\nretries = 0\n"
	    "command = sh -c 'echo undo:s1 >> %1$s'\n"
	    "[stage u3]\naction = exec\nretries = 0\nundo = u1\n"
	    "command = sh -c 'echo undo:s3 >> %1$s'\n"
	    "[stage u4]\naction = exec\nretries = 0\n"
	    "command = sh -c 'echo undo:s4 >> %1$s'\n"
	    "[stage u5]\naction = exec\nretries = 0\n"
	    "command = sh -c 'echo undo:s5 >> %1$s'\n");
	ck_assert_int_eq(run_event(hs, "{\"type\":\"machine.created\","
	    "\"data\":{}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "s4: s4 broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "s1\ns2\ns3\ns4\nundo:s3\nundo:s1\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/* A failed undo is reported and does not stop the next one. */
START_TEST(test_command_undo_fails)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler machine.created]\n"
	    "stages = s1 s2 s3\n"
	    OK_STAGE("s1") "undo = u1\n"
	    OK_STAGE("s2") "undo = u2\n"
	    BAD_STAGE("s3")
	    "[stage u1]\naction = exec\nretries = 0\n"
	    "command = sh -c 'echo undo:s1 >> %1$s'\n"
	    "[stage u2]\naction = exec\nretries = 0\n"
	    "command = sh -c 'echo undo:s2 >> %1$s;echo disk gone >&2;"
	    "exit 1'\n");
	ck_assert_int_eq(run_event(hs, "{\"type\":\"machine.created\","
	    "\"data\":{}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "s3: s3 broke (undo s2 failed: disk gone)");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "s1\ns2\ns3\nundo:s2\nundo:s1\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/* The first stage fails: nothing completed, nothing to undo. */
START_TEST(test_command_first_fails)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler machine.created]\n"
	    "stages = s1 s2\n"
	    BAD_STAGE("s1") "undo = u1\n"
	    OK_STAGE("s2")
	    OK_STAGE("u1"));
	ck_assert_int_eq(run_event(hs, "{\"type\":\"machine.created\","
	    "\"data\":{}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "s1: s1 broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "s1\n");
	free(rec);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

START_TEST(test_validate)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512];

	hs = build(&cfg,
	    "[handler request.created]\n"
	    "stages = check\n"
	    "[stage check]\n"
	    "action = validate\n"
	    "require = data.machineId  data.drinkName\n"
	    "match = data.email ^[^@]+@[^@]+$\n"
	    "match = data.quantity ^[1-9][0-9]*$\n");
#define REQ(fields) "{\"type\":\"request.created\",\"data\":{" fields "}}"
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":\"Cola\",\"email\":\"a@b\",\"quantity\":12"),
	    err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, REQ("\"drinkName\":\"Cola\""), err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "check: missing field data.machineId");
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":\"\""), err, sizeof err), -1);
	ck_assert_str_eq(err, "check: missing field data.drinkName");
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":null"), err, sizeof err), -1);
	ck_assert_str_eq(err, "check: missing field data.drinkName");
	/* 0 and false are values that were given. */
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":0,"
	    "\"drinkName\":false,\"email\":\"x@y\",\"quantity\":\"3\""),
	    err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":\"Cola\",\"email\":\"nobody\",\"quantity\":1"),
	    err, sizeof err), -1);
	ck_assert_str_eq(err, "check: field data.email does not match "
	    "^[^@]+@[^@]+$");
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":\"Cola\",\"quantity\":1"), err, sizeof err), -1);
	ck_assert_str_eq(err, "check: missing field data.email");
	/* Numbers are matched in their JSON form. */
	ck_assert_int_eq(run_event(hs, REQ("\"machineId\":\"m1\","
	    "\"drinkName\":\"Cola\",\"email\":\"a@b\",\"quantity\":0"),
	    err, sizeof err), -1);
	ck_assert_str_eq(err, "check: field data.quantity does not match "
	    "^[1-9][0-9]*$");
#undef REQ
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/* A pattern without metacharacters is a substring test; others stay EREs. */
START_TEST(test_validate_literal)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512];

	hs = build(&cfg,
	    "[handler request.created]\n"
	    "stages = check\n"
	    "[stage check]\n"
	    "action = validate\n"
	    "match = data.email @\n"
	    "match = data.code a.c\n");
#define REQ(fields) "{\"type\":\"request.created\",\"data\":{" fields "}}"
	ck_assert_int_eq(run_event(hs, REQ("\"email\":\"a@b\",\"code\":\"xabcx\""),
	    err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, REQ("\"email\":\"nobody\",\"code\":\"abc\""),
	    err, sizeof err), -1);
	ck_assert_str_eq(err, "check: field data.email does not match @");
	/* "." is any character: "a-c" matches, a substring test would not. */
	ck_assert_int_eq(run_event(hs, REQ("\"email\":\"@\",\"code\":\"a-c\""),
	    err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, REQ("\"email\":\"@\",\"code\":\"ac\""),
	    err, sizeof err), -1);
	ck_assert_str_eq(err, "check: field data.code does not match a.c");
#undef REQ
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

START_TEST(test_log)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512];

	hs = build(&cfg,
	    "[handler request.created]\n"
	    "stages = say plain\n"
	    "[stage say]\n"
	    "action = log\n"
	    "message = ${data.customerName} wants ${data.drinkName}\n"
	    "[stage plain]\n"
	    "action = log\n");
	ck_assert_int_eq(run_event(hs, "{\"type\":\"request.created\","
	    "\"data\":{\"customerName\":\"Ann\",\"drinkName\":\"Tea\"}}", err,
	    sizeof err), 0);
	ck_assert_int_eq(run_event(hs, "{\"type\":\"request.created\","
	    "\"data\":{\"customerName\":\"Ann\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "say: missing field data.drinkName");
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/*
 * Every stage problem in one file, each named with its line. The line
 * numbers below count the lines of the text.
 */
START_TEST(test_config_errors)
{
	struct config *cfg;
	struct diag d = { 0 };
	char regerr[256];
	regex_t re;
	int rc;

	cfg = load(&d, 1,
	    "[handler contact.created]\n"		/* 1 */
	    "stages = a b c\n"
	    "[handler request.created]\n"
	    "stages = b d e f\n"
	    "[handler machine.created]\n"		/* 5 */
	    "stages = g h c\n"
	    "[stage a]\n"
	    "action = frobnicate\n"
	    "[stage b]\n"
	    "action = log\n"				/* 10 */
	    "when = data.email\n"
	    "[stage c]\n"
	    "action = log\n"
	    "undo = b\n"
	    "[stage d]\n"				/* 15 */
	    "action = log\n"
	    "mesage = oops\n"
	    "[stage e]\n"
	    "action = validate\n"
	    "match = data.email a(b\n"			/* 20 */
	    "[stage f]\n"
	    "action = exec\n"
	    "command = sh -c \"echo hi\n"
	    "[stage g]\n"
	    "action = log\n"				/* 25 */
	    "message = hello ${data.name\n"
	    "[stage h]\n"
	    "action = log\n"
	    "undo = nowhere\n"
	    "[handler second.created]\n"		/* 30 */
	    "topic = second\n"
	    "pattern = chain\n"
	    "stages = b\n");
	ck_assert_ptr_null(handlers_build(cfg, &d));

	ck_assert(has_msg(&d, 8, "stage \"a\": unknown action \"frobnicate\" "
	    "(expected one of: validate log exec http smtp kafka)"));
	ck_assert(has_msg(&d, 11, "stage \"b\": when is only allowed in "
	    "strategy handlers (used here by a chain handler)"));
	ck_assert(has_msg(&d, 14, "stage \"c\": undo is only allowed in "
	    "command handlers (used here by a strategy handler)"));
	ck_assert(has_msg(&d, 17, "stage \"d\": unknown key \"mesage\" for "
	    "action log"));
	rc = regcomp(&re, "a(b", REG_EXTENDED | REG_NOSUB);
	ck_assert_int_ne(rc, 0);
	regerror(rc, &re, regerr, sizeof regerr);
	regfree(&re);
	ck_assert(has_msg(&d, 20, "stage \"e\": bad regular expression "
	    "\"a(b\": %s", regerr));
	ck_assert(has_msg(&d, 23, "stage \"f\": command: unterminated double "
	    "quote at column 7"));
	ck_assert(has_msg(&d, 26, "stage \"g\": message: unclosed ${ at "
	    "column 7"));
	ck_assert(has_msg(&d, 29, "stage \"h\": undo stage \"nowhere\" is not "
	    "defined"));
	/*
	 * c is fine in the command handler, where its undo target b is
	 * compiled for a command handler: b's `when` is reported once per
	 * pattern, though two chain handlers use b.
	 */
	ck_assert(has_msg(&d, 11, "stage \"b\": when is only allowed in "
	    "strategy handlers (used here by a command handler)"));
	if (diag_errors(&d) != 9)
		diag_print(&d, stderr);
	ck_assert_uint_eq(diag_errors(&d), 9);

	diag_free(&d);
	config_free(cfg);
}
END_TEST

/* A validate stage must check something. */
START_TEST(test_validate_empty)
{
	struct config *cfg;
	struct diag d = { 0 };

	cfg = load(&d, 0,
	    "[handler request.created]\n"
	    "stages = v w x\n"
	    "[stage v]\n"
	    "action = validate\n"
	    "[stage w]\n"
	    "action = validate\n"
	    "require =\n"
	    "[stage x]\n"
	    "action = validate\n"
	    "match = data.email\n");
	ck_assert_ptr_null(handlers_build(cfg, &d));
	ck_assert(has_msg(&d, 3, "stage \"v\": validate needs require or "
	    "match"));
	ck_assert(has_msg(&d, 7, "stage \"w\": require lists no field"));
	ck_assert(has_msg(&d, 10, "stage \"x\": match needs a path and a "
	    "regular expression: match = data.email ^[^@]+@"));
	ck_assert_uint_eq(diag_errors(&d), 3);
	diag_free(&d);
	config_free(cfg);
}
END_TEST

/* One section used by two handlers of different patterns. */
START_TEST(test_shared_stage)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *rec;

	hs = build(&cfg,
	    "[handler contact.created]\n"
	    "stages = a\n"
	    "[handler machine.created]\n"
	    "stages = a b\n"
	    OK_STAGE("a")
	    BAD_STAGE("b"));
	ck_assert_int_eq(run_event(hs, "{\"type\":\"contact.created\","
	    "\"data\":{}}", err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, "{\"type\":\"machine.created\","
	    "\"data\":{}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "b: b broke");
	rec = slurp(rec_path);
	ck_assert_str_eq(rec, "a\na\nb\n");
	free(rec);
	ck_assert_ptr_null(handlers_find(hs, "nothing.created"));
	ck_assert_ptr_ne(handlers_find(hs, "contact.created")->stages[0],
	    handlers_find(hs, "machine.created")->stages[0]);
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/*
 * The count of sipeatd_stage_duration_seconds for stage name in text, and
 * in *pos the series' place among the stage series (from 0); -1 if none.
 */
static long
stage_count(const char *text, const char *name, size_t *pos)
{
	static const char fam[] = "sipeatd_stage_duration_seconds_count{stage=\"";
	const char *p = text;
	size_t i = 0, len = strlen(name);

	while ((p = strstr(p, fam)) != NULL) {
		p += sizeof fam - 1;
		if (strncmp(p, name, len) == 0 && p[len] == '"') {
			*pos = i;
			return strtol(p + len + 2, NULL, 10);
		}
		i++;
	}
	return -1;
}

/*
 * metrics_init() gives every stage the number of its metrics series (no
 * search by name per stage run), a stage shared by two
 * handlers keeps one series, each run counts once under its own stage,
 * and a wrong number never miscounts.
 */
START_TEST(test_stage_metrics)
{
	struct config *cfg;
	struct handlers *hs;
	char err[512], *text;
	size_t i, j, pos, len;

	hs = build(&cfg,
	    "[handler contact.created]\n"
	    "pattern = strategy\n"
	    "stages = a b\n"
	    "[handler request.created]\n"
	    "pattern = chain\n"
	    "stages = b c\n"
	    "[handler machine.created]\n"
	    "pattern = command\n"
	    "stages = d\n"
	    "[stage a]\naction = validate\nrequire = data.x\n"
	    "[stage b]\naction = validate\nrequire = data.x\n"
	    "[stage c]\naction = validate\nrequire = data.x\n"
	    "[stage d]\naction = validate\nrequire = data.x\nundo = u\n"
	    "[stage u]\naction = log\n");
	metrics_init(hs, NULL);
	ck_assert_int_eq(run_event(hs, "{\"type\":\"contact.created\","
	    "\"data\":{\"x\":1}}", err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, "{\"type\":\"request.created\","
	    "\"data\":{\"x\":1}}", err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, "{\"type\":\"machine.created\","
	    "\"data\":{\"x\":1}}", err, sizeof err), 0);
	/* A wrong or stale number: found by name; an unknown name: ignored. */
	metrics_stage_observe(99, "c", 1000);
	metrics_stage_observe(0, "c", 1000);
	metrics_stage_observe(0, "nowhere", 1000);
	text = metrics_render(&len);
	for (i = 0; i < hs->n; i++) {
		const struct handler *h = &hs->v[i];

		for (j = 0; j < h->nstages + h->nundo; j++) {
			const struct stage *st = j < h->nstages ?
			    h->stages[j] : h->undo_stages[j - h->nstages];

			ck_assert_int_ge(stage_count(text, st->name, &pos), 0);
			ck_assert_uint_eq(st->metric, pos);
		}
	}
	ck_assert_int_eq(stage_count(text, "a", &pos), 1);
	ck_assert_int_eq(stage_count(text, "b", &pos), 2);
	ck_assert_int_eq(stage_count(text, "c", &pos), 3);
	ck_assert_uint_eq(pos, 2);
	ck_assert_int_eq(stage_count(text, "d", &pos), 1);
	ck_assert_int_eq(stage_count(text, "u", &pos), 0);
	ck_assert_uint_eq(pos, 4);
	ck_assert_int_eq(stage_count(text, "nowhere", &pos), -1);
	free(text);
	metrics_free();
	handlers_free(hs);
	config_free(cfg);
}
END_TEST

/*
 * conf/demo.conf loads and builds without a problem, and its scripts
 * behave as documented (run from the source directory, like `make demo`).
 */
START_TEST(test_demo_conf)
{
	const char *srcdir = getenv("srcdir");
	struct config *cfg;
	struct handlers *hs;
	struct diag d = { 0 };
	char err[512], *rec;

	/* automake sets srcdir; by hand, run from the top source dir. */
	if (srcdir == NULL)
		srcdir = ".";
	ck_assert_int_eq(chdir(srcdir), 0);
	setenv("SIPEAT_DEMO_LOG", rec_path, 1);
	cfg = config_load("conf/demo.conf", &d);
	ck_assert_msg(cfg != NULL, "no conf/demo.conf in %s (set srcdir)",
	    srcdir);
	hs = handlers_build(cfg, &d);
	if (d.n > 0)
		diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_nonnull(hs);
	ck_assert_int_eq(cfg->workers, 4);
	ck_assert_str_eq(cfg->dlq_topic, "sipeat.dlq");
	ck_assert_int_eq(cfg->linger_ms, 200);

	ck_assert_int_eq(run_event(hs, "{\"id\":\"c1\",\"type\":"
	    "\"contact.created\",\"data\":{\"name\":\"Ann\","
	    "\"email\":\"ann@example.com\"}}", err, sizeof err), 0);
	ck_assert_int_eq(run_event(hs, "{\"id\":\"r1\",\"type\":"
	    "\"request.created\",\"data\":{\"customerName\":\"Ann\","
	    "\"drinkName\":\"Cola\",\"machineId\":\"m1\"}}", err, sizeof err),
	    0);
	ck_assert_int_eq(run_event(hs, "{\"id\":\"r2\",\"type\":"
	    "\"request.created\",\"data\":{\"customerName\":\"Ann\","
	    "\"drinkName\":\"Cola\",\"machineId\":\"m1\","
	    "\"simulateFailure\":\"payment\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "payment: Payment processing failed: card "
	    "declined");
	ck_assert_int_eq(run_event(hs, "{\"id\":\"r3\",\"type\":"
	    "\"request.created\",\"data\":{\"customerName\":\"Ann\","
	    "\"machineId\":\"m1\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "inventory: missing field data.drinkName");
	ck_assert_int_eq(run_event(hs, "{\"id\":\"e-m1\",\"type\":"
	    "\"machine.created\",\"data\":{\"machineId\":\"m1\",\"name\":\"A\","
	    "\"location\":{\"address\":\"1 Main St\"},"
	    "\"simulateFailure\":\"network\"}}", err, sizeof err), -1);
	ck_assert_str_eq(err, "network: Network configuration failed: "
	    "machine m1 unreachable");

	rec = slurp(rec_path);
	ck_assert_str_eq(rec,
	    "email: contact c1 ann@example.com\n"
	    "crm: contact c1\n"
	    "payment: request r1\n"
	    "dispense: request r1\n"
	    "machine setup: m1 (event e-m1)\n"
	    "machine teardown: m1 (event e-m1)\n");
	free(rec);
	handlers_free(hs);
	diag_free(&d);
	config_free(cfg);
}
END_TEST

Suite *
suite_handler(void)
{
	Suite *s = suite_create("handler");
	TCase *tc;

	log_set_level(LOG_LVL_ERROR);

	tc = tcase_create("patterns");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_strategy);
	tcase_add_test(tc, test_strategy_ok);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_chain_ok);
	tcase_add_test(tc, test_command_undo);
	tcase_add_test(tc, test_command_undo_fails);
	tcase_add_test(tc, test_command_first_fails);
	tcase_add_test(tc, test_shared_stage);
	tcase_add_test(tc, test_stage_metrics);
	suite_add_tcase(s, tc);

	tc = tcase_create("actions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_validate_literal);
	tcase_add_test(tc, test_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_validate_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("demo");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_demo_conf);
	suite_add_tcase(s, tc);
	return s;
}
