/*
 * check_config.c -- tests for the configuration loader (SPEC section 7).
 *
 * Every test writes its config files into a fresh mkdtemp() directory
 * (removed by the teardown), so the suite needs no fixture files. A file
 * mirroring SPEC section 7 plus the three SipEat handlers must load with
 * no message and exact field values; each error class is one entry of a
 * table run as a loop test, asserting the single "FILE:LINE: message" it
 * must produce; further tests cover line order across several errors,
 * the webhook file-mode warning (which must not contain the URL), CRLF,
 * BOM, inline comments, long values and the line-length limit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "config.h"
#include "diag.h"
#include "util.h"

/* A [webhook NAME] url; its token must never be quoted. */
#define HOOK_URL	"https://discord.com/api/webhooks/1/s3cr3t"

static char	  tmpdir[64];
static char	**created;
static size_t	  ncreated;

static void
setup(void)
{
	str_copy(tmpdir, "/tmp/check_config.XXXXXX", sizeof tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	for (size_t i = 0; i < ncreated; i++) {
		unlink(created[i]);
		free(created[i]);
	}
	free(created);
	created = NULL;
	ncreated = 0;
	rmdir(tmpdir);
}

/* Writes len bytes of text to tmpdir/name with mode; returns the path (freed by teardown). */
static const char *
write_bytes(const char *name, const char *text, size_t len, mode_t mode)
{
	char	*path;
	int	 fd;

	path = xasprintf("%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	/* fchmod, not open's mode: the umask must not decide the test. */
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
	created = xreallocarray(created, ncreated + 1, sizeof *created);
	created[ncreated++] = path;
	return path;
}

static const char *
write_conf(const char *name, const char *text, mode_t mode)
{
	return write_bytes(name, text, strlen(text), mode);
}

/* Loads text from a 0600 file; the path is returned through *path. */
static struct config *
load_text(const char *text, struct diag *d, const char **path)
{
	struct config	*cfg;

	*path = write_conf("test.conf", text, 0600);
	cfg = config_load(*path, d);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

/* Asserts that message i of d is "PATH:LINE: msg" ("PATH: msg" if line is 0). */
static void
assert_msg(const struct diag *d, size_t i, const char *path, int line,
    const char *msg)
{
	char	*want;

	ck_assert_uint_gt(d->n, i);
	if (line > 0)
		want = xasprintf("%s:%d: %s", path, line, msg);
	else
		want = xasprintf("%s: %s", path, msg);
	ck_assert_str_eq(d->msgs[i], want);
	free(want);
}

static char *
repeat(char c, size_t n)
{
	char	*s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * SPEC section 7's example, the three handlers, and a stage for each name
 * they use. Line numbers are in the comments: the tests assert them.
 */
static const char good_conf[] =
    "[kafka]                     ; every key here is a librdkafka property, passed through\n" /* 1 */
    "bootstrap.servers = localhost:9092\n"		/* 2 */
    "group.id = sipeatd\n"				/* 3 */
    "auto.offset.reset = earliest\n"			/* 4 */
    "\n"						/* 5 */
    "[sipeatd]\n"					/* 6 */
    "workers = 8\n"					/* 7 */
    "queue.size = 1024           ; the bounded lock-free queue, a power of two\n"
    "max.inflight = 10000        ; queued + waiting + running events; above it partitions pause\n"
    "ordering = partition        ; key | partition | none\n"	/* 10 */
    "dlq.topic = sipeat.dlq\n"				/* 11 */
    "shutdown.timeout.ms = 15000\n"			/* 12 */
    "\n"						/* 13 */
    "[discord]\n"					/* 14 */
    "webhook =                   ; or DISCORD_WEBHOOK\n"	/* 15 */
    "username = SipEat Bot\n"				/* 16 */
    "avatar_url = https://sipeat.example/logo.png\n"	/* 17 */
    "linger.ms = 500\n"					/* 18 */
    "queue.size = 20000\n"				/* 19 */
    "\n"						/* 20 */
    "[handler contact.created]\n"			/* 21 */
    "topic = sipeat.contact.events\n"			/* 22 */
    "pattern = strategy\n"				/* 23 */
    "title = New Contact Form Submission\n"		/* 24 */
    "icon = \xf0\x9f\x93\x9d\n"				/* 25 */
    "stages = email sales crm\n"			/* 26 */
    "\n"						/* 27 */
    "[handler request.created]\n"			/* 28 */
    "stages = check store\n"				/* 29 */
    "\n"						/* 30 */
    "[handler machine.created]\n"			/* 31 */
    "topic = sipeat.machine.events\n"			/* 32 */
    "pattern = command\n"				/* 33 */
    "title = New Machine Registered\n"			/* 34 */
    "icon = \xf0\x9f\x8f\xad\n"				/* 35 */
    "stages = register crm\n"				/* 36 */
    "\n"						/* 37 */
    "[stage email]\n"					/* 38 */
    "action = smtp\n"					/* 39 */
    "url = smtp://localhost:25\n"			/* 40 */
    "from = noreply@sipeat.example\n"			/* 41 */
    "to = ${data.email}\n"				/* 42 */
    "subject = Thanks for contacting SipEat\n"		/* 43 */
    "when = data.email\n"				/* 44 */
    "\n"						/* 45 */
    "[stage sales]\n"					/* 46 */
    "action = http\n"					/* 47 */
    "url = https://crm.example/api/leads\n"		/* 48 */
    "header = Authorization: Bearer abc\n"		/* 49 */
    "header = X-Source: sipeatd\n"			/* 50 */
    "\n"						/* 51 */
    "[stage crm]\n"					/* 52 */
    "action = log\n"					/* 53 */
    "\n"						/* 54 */
    "[stage check]\n"					/* 55 */
    "action = validate\n"				/* 56 */
    "require = data.customerName data.drinkName data.machineId\n"
    "match = data.machineId ^[A-Z0-9-]+$\n"		/* 58 */
    "\n"						/* 59 */
    "[stage store]\n"					/* 60 */
    "action = kafka\n"					/* 61 */
    "topic = sipeat.requests.accepted\n"		/* 62 */
    "\n"						/* 63 */
    "[stage register]\n"				/* 64 */
    "action = exec\n"					/* 65 */
    "command = /usr/local/bin/register-machine --id ${data.machineId}\n"
    "undo = unregister\n"				/* 67 */
    "\n"						/* 68 */
    "[stage unregister]\n"				/* 69 */
    "action = exec\n"					/* 70 */
    "command = /usr/local/bin/unregister-machine\n";	/* 71 */

START_TEST(test_defaults)
{
	struct config	*cfg = config_new();

	ck_assert_str_eq(cfg->path, "(defaults)");
	ck_assert_uint_eq(cfg->nkafka, 0);
	ck_assert_int_eq(cfg->workers, 0);
	ck_assert_uint_eq(cfg->queue_size, 1024);
	ck_assert_uint_eq(cfg->max_inflight, 10000);
	ck_assert_int_eq(cfg->ordering, ORDERING_KEY);
	ck_assert_str_eq(cfg->dlq_topic, "sipeat.dlq");
	ck_assert_int_eq(cfg->shutdown_timeout_ms, 10000);
	ck_assert_ptr_null(cfg->webhook);
	ck_assert_int_eq(cfg->webhook_line, 0);
	ck_assert_str_eq(cfg->username, "SipEat");
	ck_assert_ptr_null(cfg->avatar_url);
	ck_assert_int_eq(cfg->linger_ms, 1000);
	ck_assert_uint_eq(cfg->discord_queue_size, 10000);
	ck_assert_int_eq(cfg->group_failures, 3);
	ck_assert_uint_eq(cfg->nhandlers, 0);
	ck_assert_uint_eq(cfg->nstages, 0);
	ck_assert_str_eq(pattern_name(PATTERN_STRATEGY), "strategy");
	ck_assert_str_eq(pattern_name(PATTERN_CHAIN), "chain");
	ck_assert_str_eq(pattern_name(PATTERN_COMMAND), "command");
	config_free(cfg);
}
END_TEST

START_TEST(test_empty_file)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("; nothing but a comment\n# and another\n\n", &d,
	    &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(cfg->path, path);
	ck_assert_uint_eq(cfg->queue_size, 1024);
	ck_assert_str_eq(cfg->username, "SipEat");
	ck_assert_uint_eq(cfg->nhandlers, 0);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_good_file)
{
	struct diag			 d = { 0 };
	const char			*path, *v;
	struct config			*cfg;
	const struct handler_conf	*hc;
	const struct stage_conf		*sc;
	int				 line;

	cfg = load_text(good_conf, &d, &path);
	diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);

	ck_assert_uint_eq(cfg->nkafka, 3);
	ck_assert_str_eq(cfg->kafka[0].key, "bootstrap.servers");
	ck_assert_str_eq(cfg->kafka[0].value, "localhost:9092");
	ck_assert_int_eq(cfg->kafka[0].line, 2);
	ck_assert_str_eq(cfg->kafka[1].key, "group.id");
	ck_assert_str_eq(cfg->kafka[1].value, "sipeatd");
	ck_assert_int_eq(cfg->kafka[1].line, 3);
	ck_assert_str_eq(cfg->kafka[2].key, "auto.offset.reset");
	ck_assert_str_eq(cfg->kafka[2].value, "earliest");
	ck_assert_int_eq(cfg->kafka[2].line, 4);
	ck_assert_str_eq(config_kafka(cfg, "group.id"), "sipeatd");
	ck_assert_ptr_null(config_kafka(cfg, "client.id"));

	ck_assert_int_eq(cfg->workers, 8);
	ck_assert_uint_eq(cfg->queue_size, 1024);
	ck_assert_uint_eq(cfg->max_inflight, 10000);
	ck_assert_int_eq(cfg->ordering, ORDERING_PARTITION);
	ck_assert_str_eq(cfg->dlq_topic, "sipeat.dlq");
	ck_assert_int_eq(cfg->shutdown_timeout_ms, 15000);

	ck_assert_ptr_null(cfg->webhook);
	ck_assert_int_eq(cfg->webhook_line, 0);
	ck_assert_str_eq(cfg->username, "SipEat Bot");
	ck_assert_str_eq(cfg->avatar_url, "https://sipeat.example/logo.png");
	ck_assert_int_eq(cfg->linger_ms, 500);
	ck_assert_uint_eq(cfg->discord_queue_size, 20000);

	ck_assert_uint_eq(cfg->nhandlers, 3);
	hc = &cfg->handlers[0];
	ck_assert_str_eq(hc->type, "contact.created");
	ck_assert_int_eq(hc->line, 21);
	ck_assert_str_eq(hc->topic, "sipeat.contact.events");
	ck_assert_int_eq(hc->pattern, PATTERN_STRATEGY);
	ck_assert_str_eq(hc->title, "New Contact Form Submission");
	ck_assert_str_eq(hc->icon, "\xf0\x9f\x93\x9d");
	ck_assert_uint_eq(hc->nstages, 3);
	ck_assert_str_eq(hc->stages[0], "email");
	ck_assert_str_eq(hc->stages[1], "sales");
	ck_assert_str_eq(hc->stages[2], "crm");
	ck_assert_int_eq(hc->stages_line, 26);

	/* Only stages given: the rest from the built-in table. */
	hc = &cfg->handlers[1];
	ck_assert_str_eq(hc->type, "request.created");
	ck_assert_int_eq(hc->line, 28);
	ck_assert_str_eq(hc->topic, "sipeat.request.events");
	ck_assert_int_eq(hc->pattern, PATTERN_CHAIN);
	ck_assert_str_eq(hc->title, "New Drink Request");
	ck_assert_str_eq(hc->icon, "\xf0\x9f\xa5\xa4");
	ck_assert_uint_eq(hc->nstages, 2);
	ck_assert_str_eq(hc->stages[0], "check");
	ck_assert_str_eq(hc->stages[1], "store");
	ck_assert_int_eq(hc->stages_line, 29);

	hc = &cfg->handlers[2];
	ck_assert_str_eq(hc->type, "machine.created");
	ck_assert_int_eq(hc->line, 31);
	ck_assert_str_eq(hc->topic, "sipeat.machine.events");
	ck_assert_int_eq(hc->pattern, PATTERN_COMMAND);
	ck_assert_str_eq(hc->title, "New Machine Registered");
	ck_assert_str_eq(hc->icon, "\xf0\x9f\x8f\xad");
	ck_assert_uint_eq(hc->nstages, 2);
	ck_assert_str_eq(hc->stages[0], "register");
	ck_assert_str_eq(hc->stages[1], "crm");
	ck_assert_int_eq(hc->stages_line, 36);

	ck_assert_uint_eq(cfg->nstages, 7);
	sc = config_stage(cfg, "email");
	ck_assert_ptr_nonnull(sc);
	ck_assert_str_eq(sc->name, "email");
	ck_assert_int_eq(sc->line, 38);
	ck_assert_uint_eq(sc->nkv, 6);
	ck_assert_str_eq(sc->kv[0].key, "action");
	ck_assert_str_eq(sc->kv[0].value, "smtp");
	ck_assert_int_eq(sc->kv[0].line, 39);
	ck_assert_str_eq(sc->kv[1].key, "url");
	ck_assert_str_eq(sc->kv[1].value, "smtp://localhost:25");
	ck_assert_str_eq(sc->kv[3].key, "to");
	ck_assert_str_eq(sc->kv[3].value, "${data.email}");
	ck_assert_str_eq(sc->kv[4].value, "Thanks for contacting SipEat");
	ck_assert_str_eq(sc->kv[5].key, "when");
	ck_assert_int_eq(sc->kv[5].line, 44);

	/* Repeated keys kept in order; stage_conf_get() gives the first. */
	sc = config_stage(cfg, "sales");
	ck_assert_ptr_nonnull(sc);
	ck_assert_uint_eq(sc->nkv, 4);
	v = stage_conf_get(sc, "header", &line);
	ck_assert_str_eq(v, "Authorization: Bearer abc");
	ck_assert_int_eq(line, 49);
	ck_assert_str_eq(sc->kv[3].key, "header");
	ck_assert_str_eq(sc->kv[3].value, "X-Source: sipeatd");
	ck_assert_int_eq(sc->kv[3].line, 50);
	line = -1;
	ck_assert_ptr_null(stage_conf_get(sc, "body", &line));
	ck_assert_int_eq(line, 0);
	ck_assert_str_eq(stage_conf_get(sc, "action", NULL), "http");

	sc = config_stage(cfg, "check");
	ck_assert_str_eq(stage_conf_get(sc, "match", NULL),
	    "data.machineId ^[A-Z0-9-]+$");
	sc = config_stage(cfg, "unregister");
	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(sc->line, 69);
	ck_assert_ptr_null(config_stage(cfg, "nosuch"));

	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_handler_defaults)
{
	struct diag			 d = { 0 };
	const char			*path;
	struct config			*cfg;
	const struct handler_conf	*hc;

	cfg = load_text(
	    "[handler machine.created]\n"
	    "[handler invoice.paid]\n"
	    "topic = billing.events\n"
	    "[handler contact.created]\n"
	    "topic = sipeat.contact.events\n"
	    "[handler request.created]\n"
	    "topic = sipeat.contact.events\n"	/* a shared topic is fine */
	    "pattern = strategy\n"
	    "title = Drinks\n"
	    "icon = *\n", &d, &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(cfg->nhandlers, 4);
	hc = &cfg->handlers[0];
	ck_assert_str_eq(hc->topic, "sipeat.machine.events");
	ck_assert_int_eq(hc->pattern, PATTERN_COMMAND);
	ck_assert_str_eq(hc->title, "New Machine Registered");
	ck_assert_str_eq(hc->icon, "\xf0\x9f\x8f\xad");
	ck_assert_uint_eq(hc->nstages, 0);
	ck_assert_int_eq(hc->stages_line, 0);
	hc = &cfg->handlers[1];
	ck_assert_str_eq(hc->type, "invoice.paid");
	ck_assert_int_eq(hc->line, 2);
	ck_assert_str_eq(hc->topic, "billing.events");
	ck_assert_int_eq(hc->pattern, PATTERN_CHAIN);
	ck_assert_str_eq(hc->title, "invoice.paid");
	ck_assert_str_eq(hc->icon, "\xf0\x9f\x93\xa8");
	hc = &cfg->handlers[3];
	ck_assert_str_eq(hc->topic, "sipeat.contact.events");
	ck_assert_int_eq(hc->pattern, PATTERN_STRATEGY);
	ck_assert_str_eq(hc->title, "Drinks");
	ck_assert_str_eq(hc->icon, "*");
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* One file, one message: its line and text. */
static const struct {
	const char	*text;
	int		 line;
	const char	*msg;
} one_error[] = {
	{ "[nosuch]\nk = v\n", 1, "unknown section [nosuch] (valid: kafka, "
	    "sipeatd, discord, webhook NAME, handler TYPE, stage NAME)" },
	{ "[kafka x]\n", 1, "unknown section [kafka x] (valid: kafka, "
	    "sipeatd, discord, webhook NAME, handler TYPE, stage NAME)" },
	{ "workers = 4\n[sipeatd]\n", 1, "key \"workers\" outside any section" },
	{ "[sipeatd]\nworker = 4\n", 2, "unknown key \"worker\" in [sipeatd] "
	    "(valid: workers, queue.size, max.inflight, ordering, dlq.topic, "
	    "shutdown.timeout.ms)" },
	{ "[discord]\nname = x\n", 2, "unknown key \"name\" in [discord] "
	    "(valid: webhook, username, avatar_url, linger.ms, queue.size, "
	    "group.failures)" },
	{ "[handler contact.created]\nstage = a\n", 2, "unknown key \"stage\" "
	    "in [handler contact.created] (valid: topic, pattern, title, icon, "
	    "stages)" },
	{ "[sipeatd]\nqueue.size = 1000\n", 2, "queue.size: expected a power "
	    "of two between 2 and 1048576, got \"1000\"" },
	{ "[sipeatd]\nqueue.size = 1\n", 2, "queue.size: expected a power "
	    "of two between 2 and 1048576, got \"1\"" },
	{ "[sipeatd]\nqueue.size = 2097152\n", 2, "queue.size: expected a "
	    "power of two between 2 and 1048576, got \"2097152\"" },
	{ "[sipeatd]\nqueue.size = -1024\n", 2, "queue.size: expected a "
	    "power of two between 2 and 1048576, got \"-1024\"" },
	{ "[sipeatd]\nworkers = 1025\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"1025\"" },
	{ "[discord]\ngroup.failures = -1\n", 2, "group.failures: expected an "
	    "integer between 0 and 1000000, got \"-1\"" },
	{ "[sipeatd]\nworkers = -1\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"-1\"" },
	{ "[sipeatd]\nworkers = +8\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"+8\"" },
	{ "[sipeatd]\nworkers = 8x\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"8x\"" },
	{ "[sipeatd]\nworkers = 0x10\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"0x10\"" },
	{ "[sipeatd]\nworkers = 8 8\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"8 8\"" },
	{ "[sipeatd]\nworkers =\n", 2, "workers: expected an integer "
	    "between 0 and 1024, got \"\"" },
	{ "[sipeatd]\nmax.inflight = 0\n", 2, "max.inflight: expected an "
	    "integer between 1 and 10000000, got \"0\"" },
	{ "[sipeatd]\nmax.inflight = 99999999999999999999999\n", 2,
	    "max.inflight: expected an integer between 1 and 10000000, got "
	    "\"99999999999999999999999\"" },
	{ "[sipeatd]\nshutdown.timeout.ms = 3600001\n", 2, "shutdown.timeout.ms:"
	    " expected an integer between 0 and 3600000, got \"3600001\"" },
	{ "[sipeatd]\nordering = random\n", 2, "ordering: expected key, "
	    "partition or none, got \"random\"" },
	{ "[discord]\nlinger.ms = 60001\n", 2, "linger.ms: expected an integer "
	    "between 0 and 60000, got \"60001\"" },
	{ "[discord]\nqueue.size = 0\n", 2, "queue.size: expected an integer "
	    "between 1 and 1000000, got \"0\"" },
	{ "[discord]\nusername =\n", 2, "username: expected 1 to 80 "
	    "characters, got 0" },
	{ "[handler contact.created]\npattern = pipeline\n", 2, "pattern: "
	    "expected strategy, chain or command, got \"pipeline\"" },
	{ "[handler contact.created]\ntopic =\n", 2, "topic: empty value" },
	{ "[handler contact.created]\ntitle =   ; no title\n", 2,
	    "title: empty value" },
	{ "\n[handler my.type]\nstages =\n", 2, "handler my.type: topic is "
	    "required (no default for this type)" },
	{ "[handler contact.created]\n\n[handler contact.created]\n", 3,
	    "duplicate [handler contact.created] (first at line 1)" },
	{ "[handler contact.created]\nstages = a\n[stage a]\naction = log\n"
	    "[stage a]\naction = log\n", 5,
	    "duplicate [stage a] (first at line 3)" },
	{ "[handler contact.created]\nstages = a\n[stage a]\nwhen = x\n", 3,
	    "stage \"a\": action is required" },
	{ "[handler contact.created]\nstages = crm\n", 2,
	    "handler contact.created: stage \"crm\" is not defined" },
	{ "[handler contact.created]\nstages = a a\n[stage a]\naction = log\n",
	    2, "stages: stage \"a\" listed twice" },
	{ "[handler contact.created]\nstages = a b!c\n[stage a]\naction = log\n",
	    2, "stages: invalid stage name \"b!c\"" },
	{ "[stage a]\naction = log\n", 1,
	    "warning: stage \"a\" is not used by any handler" },
	{ "[kafka]\nbootstrap.servers =\n", 2, "bootstrap.servers: empty "
	    "value (remove the line for librdkafka's default)" },
	{ "[kafka]\nbootstrap servers = x\n", 2, "invalid property name "
	    "\"bootstrap servers\" in [kafka]" },
	{ "[kafka]\nclient.id = a\nclient.id = b\n", 3, "warning: client.id "
	    "set again (first at line 2); the last value is used" },
	{ "[sipeatd]\nworkers = 2\nworkers = 3\n", 3, "warning: workers set "
	    "again (first at line 2); the last value is used" },
	{ "[sipeatd]\nqueue.size = 4096\nmax.inflight = 2048\n", 3,
	    "warning: max.inflight (2048) is smaller than queue.size (4096): "
	    "the queue never fills" },
	{ "[sipeatd]\nqueue.size = 16384\n", 2, "warning: max.inflight "
	    "(10000) is smaller than queue.size (16384): the queue never "
	    "fills" },
	{ "[sipeatd]\nworkers 8\n", 2, "expected KEY = VALUE" },
	{ "[sipeatd]\nworkers: 8\n", 2, "expected KEY = VALUE" },
	{ "[sipeatd]\nworkers ; = 8\n", 2, "expected KEY = VALUE" },
	{ "[sipeatd]\ndlq.topic = a\n   b\n", 3, "expected KEY = VALUE" },
	{ "[sipeatd]\n= 8\n", 2, "missing key before '='" },
	{ "[stage a\naction = log\n", 1,
	    "unterminated section header (missing ']')" },
	{ "[stage a ; x]\naction = log\n", 1,
	    "unterminated section header (missing ']')" },
	{ "[kafka] extra\nbad key = 1\n", 1,
	    "unexpected text after section header" },
	{ "[handler]\n", 1, "[handler] needs a name: [handler TYPE]" },
	{ "[stage ]\n", 1, "[stage] needs a name: [stage NAME]" },
	{ "[handler  contact.created]\n", 1, "invalid handler name "
	    "\" contact.created\" (one space after \"handler\", then letters, "
	    "digits, '.', '_', '-')" },
	{ "[stage e/mail]\naction = log\n", 1, "invalid stage name \"e/mail\" "
	    "(one space after \"stage\", then letters, digits, '.', '_', "
	    "'-')" },
	{ "[Kafka]\n", 1, "unknown section [Kafka] (valid: kafka, sipeatd, "
	    "discord, webhook NAME, handler TYPE, stage NAME)" },
	/* [webhook NAME] (SPEC section 9) */
	{ "[webhook a]\nevents = all\n", 1, "[webhook a] has no url" },
	{ "[webhook]\n", 1, "[webhook] needs a name: [webhook NAME]" },
	{ "[webhook default]\nurl = " HOOK_URL "\n", 1, "[webhook default]: "
	    "the name is the [discord] webhook's; choose another" },
	{ "[webhook a]\nurl = " HOOK_URL "\n[webhook a]\nurl = " HOOK_URL "\n",
	    3, "duplicate [webhook a] (first at line 1)" },
	{ "[webhook a]\nurl = https://discord.com/api/webhooks/x/s3cr3t\n", 2,
	    "url: webhook URL is not of the form "
	    "https://discord.com/api/webhooks/ID/TOKEN" },
	{ "[webhook a]\nurl =\n", 2, "url: empty value" },
	{ "[webhook a]\nurl = " HOOK_URL "\nevents = failure\n", 3,
	    "events: expected all, failures or successes, got \"failure\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\nsilent = true\n", 3,
	    "silent: expected yes, successes or no, got \"true\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\nmention = @everyone\n", 3,
	    "mention: expected <@&ROLE_ID>, <@USER_ID> or @here (@everyone is "
	    "not allowed), got \"@everyone\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\nmention = <@&12x>\n", 3,
	    "mention: expected <@& followed by 1 to 20 digits and '>', got "
	    "\"<@&12x>\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\nthread_id = t1\n", 3,
	    "thread_id: expected a thread's id (1 to 20 digits), got \"t1\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\ntypes = invalid c/d\n", 3,
	    "types: invalid type \"c/d\"" },
	{ "[webhook a]\nurl = " HOOK_URL "\ntypes = ,\n", 3,
	    "types: no type given (remove the line for every type)" },
	{ "[webhook a]\nurl = " HOOK_URL "\nusername =\n", 3,
	    "username: expected 1 to 80 characters, got 0" },
	{ "[webhook a]\nurl = " HOOK_URL "\nchannel = x\n", 3, "unknown key "
	    "\"channel\" in [webhook] (valid: url, events, types, mention, "
	    "silent, thread_id, username, avatar_url)" },
	{ "[webhook a]\nurl = " HOOK_URL "\nevents = successes\n"
	    "mention = <@&1>\n", 1, "warning: [webhook a]: mention is only put "
	    "on failures, and this webhook takes successes only" },
	{ "[handler contact.created]\n[webhook a]\nurl = " HOOK_URL "\n"
	    "types = contact.created request.created\n", 2, "warning: "
	    "[webhook a]: no handler for type request.created" },
};

START_TEST(test_one_error)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text(one_error[_i].text, &d, &path);
	if (d.n != 1)
		diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 1);
	assert_msg(&d, 0, path, one_error[_i].line, one_error[_i].msg);
	ck_assert_uint_eq(diag_errors(&d),
	    strncmp(one_error[_i].msg, "warning: ", 9) == 0 ? 0 : 1);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* A bad value leaves the default in place. */
START_TEST(test_bad_value_keeps_default)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("[sipeatd]\nqueue.size = 1000\nworkers = x\n"
	    "ordering = none\n", &d, &path);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_eq(cfg->queue_size, 1024);
	ck_assert_int_eq(cfg->workers, 0);
	ck_assert_int_eq(cfg->ordering, ORDERING_NONE);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_username_length)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*text, *name;
	size_t		 i;

	/* 80 code points of two bytes each: accepted. */
	name = xmalloc(161);
	for (i = 0; i < 80; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[160] = '\0';
	text = xasprintf("[discord]\nusername = %s\n", name);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(cfg->username, name);
	config_free(cfg);
	free(text);
	free(name);

	name = repeat('u', 81);
	text = xasprintf("[discord]\nusername = %s\n", name);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 1);
	assert_msg(&d, 0, path, 2,
	    "username: expected 1 to 80 characters, got 81");
	ck_assert_str_eq(cfg->username, "SipEat");
	config_free(cfg);
	free(text);
	free(name);
	diag_free(&d);
	memset(&d, 0, sizeof d);

	/* UTF-16 units, as Discord's validators count: 41 emoji are 82. */
	name = xmalloc(41 * 4 + 1);
	for (i = 0; i < 41; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	name[41 * 4] = '\0';
	text = xasprintf("[discord]\nusername = %s\n", name);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 1);
	assert_msg(&d, 0, path, 2,
	    "username: expected 1 to 80 characters, got 82");
	config_free(cfg);
	free(text);
	free(name);
	diag_free(&d);
}
END_TEST

/* Three problems of different kinds, one found only after parsing: line order. */
START_TEST(test_three_errors)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text(
	    "[handler contact.created]\n"	/* 1 */
	    "stages = missing\n"		/* 2: found after parsing */
	    "[sipeatd]\n"			/* 3 */
	    "workers = lots\n"			/* 4 */
	    "\n"				/* 5 */
	    "[nosuch]\n"			/* 6 */
	    "ignored = 1\n", &d, &path);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_uint_eq(diag_errors(&d), 3);
	assert_msg(&d, 0, path, 2,
	    "handler contact.created: stage \"missing\" is not defined");
	assert_msg(&d, 1, path, 4,
	    "workers: expected an integer between 0 and 1024, got \"lots\"");
	assert_msg(&d, 2, path, 6, "unknown section [nosuch] (valid: kafka, "
	    "sipeatd, discord, webhook NAME, handler TYPE, stage NAME)");
	config_free(cfg);
	diag_free(&d);
}
END_TEST

#define WEBHOOK_URL \
	"https://discord.com/api/webhooks/123456/SECRETTOKENabc"

START_TEST(test_webhook_mode)
{
	static const char	 text[] =
	    "[discord]\n"
	    "username = SipEat\n"
	    "webhook = " WEBHOOK_URL "\n";
	struct diag		 d = { 0 };
	const char		*path;
	struct config		*cfg;
	char			*msg;

	path = write_conf("open.conf", text, 0644);
	cfg = config_load(path, &d);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->webhook, WEBHOOK_URL);
	ck_assert_int_eq(cfg->webhook_line, 3);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(diag_errors(&d), 0);
	msg = xasprintf("warning: webhook URL in a file readable by others "
	    "(chmod 600 %s)", path);
	assert_msg(&d, 0, path, 3, msg);
	free(msg);
	ck_assert_ptr_null(strstr(d.msgs[0], "SECRETTOKEN"));
	ck_assert_ptr_null(strstr(d.msgs[0], "discord.com"));
	config_free(cfg);
	diag_free(&d);

	/* Group-readable is readable by others too. */
	path = write_conf("group.conf", text, 0640);
	cfg = config_load(path, &d);
	ck_assert_uint_eq(d.n, 1);
	config_free(cfg);
	diag_free(&d);

	path = write_conf("private.conf", text, 0600);
	cfg = config_load(path, &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(cfg->webhook, WEBHOOK_URL);
	config_free(cfg);
	diag_free(&d);

	/* An empty webhook in an open file is no secret. */
	path = write_conf("empty.conf", "[discord]\nwebhook =\n", 0644);
	cfg = config_load(path, &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_null(cfg->webhook);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* A mistyped key never echoes its value: it may be the webhook. */
START_TEST(test_no_secret_in_messages)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("[discord]\nwebhok = " WEBHOOK_URL "\n"
	    "webhook " WEBHOOK_URL "\n"
	    "[kafka]\nsasl password = SECRETTOKENxyz\n", &d, &path);
	ck_assert_uint_eq(d.n, 3);
	for (size_t i = 0; i < d.n; i++)
		ck_assert_ptr_null(strstr(d.msgs[i], "SECRETTOKEN"));
	ck_assert_ptr_null(cfg->webhook);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_set_kafka)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("[kafka]\nbootstrap.servers = a:9092\n"
	    "group.id = g\n", &d, &path);
	ck_assert_uint_eq(d.n, 0);
	config_set_kafka(cfg, "bootstrap.servers", "b:9092");
	ck_assert_uint_eq(cfg->nkafka, 2);
	ck_assert_str_eq(cfg->kafka[0].key, "bootstrap.servers");
	ck_assert_str_eq(cfg->kafka[0].value, "b:9092");
	ck_assert_int_eq(cfg->kafka[0].line, 0);
	ck_assert_int_eq(cfg->kafka[1].line, 3);
	config_set_kafka(cfg, "client.id", "sipeatd-1");
	ck_assert_uint_eq(cfg->nkafka, 3);
	ck_assert_str_eq(cfg->kafka[2].key, "client.id");
	ck_assert_str_eq(cfg->kafka[2].value, "sipeatd-1");
	ck_assert_int_eq(cfg->kafka[2].line, 0);
	ck_assert_str_eq(config_kafka(cfg, "bootstrap.servers"), "b:9092");
	ck_assert_str_eq(config_kafka(cfg, "client.id"), "sipeatd-1");
	config_free(cfg);
	diag_free(&d);

	/* On a config_new() config too, and a repeated file key. */
	cfg = config_new();
	config_set_kafka(cfg, "group.id", "a");
	config_set_kafka(cfg, "group.id", "b");
	ck_assert_uint_eq(cfg->nkafka, 1);
	ck_assert_str_eq(config_kafka(cfg, "group.id"), "b");
	config_free(cfg);

	cfg = load_text("[kafka]\nclient.id = a\nacks = all\nclient.id = b\n",
	    &d, &path);
	ck_assert_uint_eq(cfg->nkafka, 2);
	ck_assert_str_eq(cfg->kafka[0].value, "b");
	ck_assert_int_eq(cfg->kafka[0].line, 4);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_inline_comments)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text(
	    "[sipeatd]   ; the daemon\n"
	    "queue.size = 2048   ; comment\n"
	    "  workers = 4\t; indented key, tab before the comment\n"
	    "dlq.topic = dead;letters\n"	/* no blank: not a comment */
	    "# a comment\n"
	    "; another\n"
	    "[handler contact.created]\n"
	    "title = Contact # not a comment\n"
	    "[discord]\n"
	    "avatar_url = https://x.example/a.png#frag ; cut here\n", &d,
	    &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(cfg->queue_size, 2048);
	ck_assert_int_eq(cfg->workers, 4);
	ck_assert_str_eq(cfg->dlq_topic, "dead;letters");
	ck_assert_str_eq(cfg->handlers[0].title, "Contact # not a comment");
	ck_assert_str_eq(cfg->avatar_url, "https://x.example/a.png#frag");
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_empty_dlq_and_optional)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("[sipeatd]\ndlq.topic =\n[discord]\navatar_url =\n"
	    "webhook = \n", &d, &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(cfg->dlq_topic, "");
	ck_assert_ptr_null(cfg->avatar_url);
	ck_assert_ptr_null(cfg->webhook);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_crlf)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text(
	    "[kafka]\r\n"
	    "bootstrap.servers = localhost:9092\r\n"
	    "\r\n"
	    "[sipeatd]\r\n"
	    "queue.size = 4096 ; comment\r\n"
	    "max.inflight = 8192\r\n"
	    "[handler request.created]\r\n"
	    "stages = check\r\n"
	    "[stage check]\r\n"
	    "action = validate\r\n"
	    "require = data.x", &d, &path);	/* no final line end */
	diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(config_kafka(cfg, "bootstrap.servers"),
	    "localhost:9092");
	ck_assert_uint_eq(cfg->queue_size, 4096);
	ck_assert_uint_eq(cfg->max_inflight, 8192);
	ck_assert_str_eq(cfg->handlers[0].stages[0], "check");
	ck_assert_uint_eq(cfg->handlers[0].nstages, 1);
	ck_assert_int_eq(cfg->stages[0].line, 9);
	ck_assert_str_eq(cfg->stages[0].kv[1].value, "data.x");
	ck_assert_int_eq(cfg->stages[0].kv[1].line, 11);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_bom)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("\xef\xbb\xbf[sipeatd]\nworkers = 3\n", &d, &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(cfg->workers, 3);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_long_value)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*v, *text;

	v = repeat('v', 300);
	text = xasprintf("[kafka]\nsasl.password = %s\n[stage s]\n"
	    "action = log\nmessage = %s\n[handler x.y]\ntopic = %s\n"
	    "stages = s\n", v, v, v);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(config_kafka(cfg, "sasl.password"), v);
	ck_assert_str_eq(stage_conf_get(&cfg->stages[0], "message", NULL), v);
	ck_assert_str_eq(cfg->handlers[0].topic, v);
	ck_assert_int_eq(cfg->handlers[0].stages_line, 8);
	config_free(cfg);
	free(text);
	free(v);
	diag_free(&d);
}
END_TEST

/* A line of exactly CONFIG_LINE_MAX bytes is accepted, with or without CR. */
START_TEST(test_line_at_limit)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*v, *text;

	v = repeat('m', CONFIG_LINE_MAX - strlen("message = "));
	text = xasprintf("[stage s]\naction = log\nmessage = %s\nx = 1\r\n"
	    "message = %s\r\nlast = 2\n", v, v);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 1);		/* the unused stage */
	ck_assert_uint_eq(diag_errors(&d), 0);
	ck_assert_uint_eq(cfg->stages[0].nkv, 5);
	ck_assert_str_eq(cfg->stages[0].kv[1].value, v);
	ck_assert_int_eq(cfg->stages[0].kv[1].line, 3);
	ck_assert_str_eq(cfg->stages[0].kv[3].value, v);
	ck_assert_str_eq(cfg->stages[0].kv[4].key, "last");
	ck_assert_int_eq(cfg->stages[0].kv[4].line, 6);
	config_free(cfg);
	free(text);
	free(v);
	diag_free(&d);
}
END_TEST

/* One byte more: reported, skipped whole (not split), the count goes on. */
START_TEST(test_line_too_long)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*v, *h, *text;

	v = repeat('m', CONFIG_LINE_MAX - strlen("message = ") + 1);
	h = repeat('h', CONFIG_LINE_MAX - 1);
	text = xasprintf("[stage s]\naction = log\nmessage = %s\n"
	    "[handler x.y]\ntopic = t\nstages = s\n[sipeatd]\n"
	    "[%s]\nworkers = 5\n", v, h);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 2);
	assert_msg(&d, 0, path, 3, "line too long (limit 65536 bytes)");
	assert_msg(&d, 1, path, 8, "line too long (limit 65536 bytes)");
	ck_assert_uint_eq(cfg->stages[0].nkv, 1);
	ck_assert_uint_eq(cfg->nhandlers, 1);
	ck_assert_int_eq(cfg->handlers[0].line, 4);
	ck_assert_int_eq(cfg->handlers[0].stages_line, 6);
	/* Keys after a header too long to judge are ignored. */
	ck_assert_int_eq(cfg->workers, 0);
	config_free(cfg);
	free(text);
	free(h);
	free(v);
	diag_free(&d);
}
END_TEST

/* Names quoted back in messages are cut. */
START_TEST(test_long_name_cut)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*name, *text, *msg;

	name = repeat('n', 300);
	text = xasprintf("[%s]\n[sipeatd]\nworkers = %s\n", name, name);
	cfg = load_text(text, &d, &path);
	ck_assert_uint_eq(d.n, 2);
	msg = xasprintf("unknown section [%.64s...] (valid: kafka, sipeatd, "
	    "discord, webhook NAME, handler TYPE, stage NAME)", name);
	assert_msg(&d, 0, path, 1, msg);
	free(msg);
	msg = xasprintf("workers: expected an integer between 0 and 1024, "
	    "got \"%.64s...\"", name);
	assert_msg(&d, 1, path, 3, msg);
	free(msg);
	config_free(cfg);
	free(text);
	free(name);
	diag_free(&d);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char	 text[] = "[sipeatd]\nworkers = 2\0junk\n"
	    "ordering = none\n";
	struct diag		 d = { 0 };
	const char		*path;
	struct config		*cfg;

	path = write_bytes("nul.conf", text, sizeof text - 1, 0600);
	cfg = config_load(path, &d);
	ck_assert_uint_eq(d.n, 1);
	assert_msg(&d, 0, path, 2, "NUL byte in line");
	ck_assert_int_eq(cfg->workers, 0);
	ck_assert_int_eq(cfg->ordering, ORDERING_NONE);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* Several handlers may use one stage; an undo target counts as used. */
START_TEST(test_stage_use)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text(
	    "[handler contact.created]\nstages = shared\n"
	    "[handler machine.created]\nstages = shared reserve\n"
	    "[stage shared]\naction = log\n"
	    "[stage reserve]\naction = exec\ncommand = /bin/true\n"
	    "undo = release\n"
	    "[stage release]\naction = exec\ncommand = /bin/true\n"
	    "[stage orphan]\naction = log\n", &d, &path);
	ck_assert_uint_eq(d.n, 1);
	assert_msg(&d, 0, path, 14,
	    "warning: stage \"orphan\" is not used by any handler");
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* Keys of a rejected section are ignored, not reported one by one. */
START_TEST(test_ignored_section_keys)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;

	cfg = load_text("[sipeatd]\nworkers = 2\n[handler contact.created]\n"
	    "[handler contact.created]\nstages = nosuch\ntopic =\n"
	    "[bad]\nworkers = 9\n", &d, &path);
	ck_assert_uint_eq(d.n, 2);
	assert_msg(&d, 0, path, 4,
	    "duplicate [handler contact.created] (first at line 3)");
	assert_msg(&d, 1, path, 7, "unknown section [bad] (valid: kafka, "
	    "sipeatd, discord, webhook NAME, handler TYPE, stage NAME)");
	ck_assert_int_eq(cfg->workers, 2);
	ck_assert_uint_eq(cfg->nhandlers, 1);
	ck_assert_uint_eq(cfg->handlers[0].nstages, 0);
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* [webhook NAME] sections, parsed (SPEC section 9). */
START_TEST(test_webhooks)
{
	static const char text[] =
	    "[discord]\n"							/* 1 */
	    "username = Main\n"						/* 2 */
	    "avatar_url = https://x.example/a.png\n"			/* 3 */
	    "[handler request.created]\n"					/* 4 */
	    "[handler machine.created]\n"					/* 5 */
	    "[webhook alerts]\n"						/* 6 */
	    "url = " HOOK_URL "   ; secret\n"				/* 7 */
	    "events = failures\n"						/* 8 */
	    "types = request.created machine.created\n"			/* 9 */
	    "mention = <@&123456789012345678>\n"				/* 10 */
	    "silent = successes\n"						/* 11 */
	    "thread_id = 987654321\n"					/* 12 */
	    "username = SipEat alerts\n"					/* 13 */
	    "[webhook audit]\n"						/* 14 */
	    "url = https://discord.com/api/webhooks/2/t2\n"		/* 15 */
	    "silent = yes\n";						/* 16 */
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	const struct webhook *a, *b;

	cfg = load_text(text, &d, &path);
	if (d.n != 0)
		diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(cfg->nwebhooks, 2);
	a = &cfg->webhooks[0];
	b = &cfg->webhooks[1];
	ck_assert_str_eq(a->name, "alerts");
	ck_assert_int_eq(a->line, 6);
	ck_assert_int_eq(a->url_line, 7);
	ck_assert_str_eq(a->url, HOOK_URL);
	ck_assert_str_eq(a->dw.url, "https://discord.com/api/v10/webhooks/1/"
	    "s3cr3t?thread_id=987654321");
	ck_assert_int_eq(a->events, WEBHOOK_EVENTS_FAILURES);
	ck_assert_uint_eq(a->ntypes, 2);
	ck_assert_str_eq(a->types[0], "request.created");
	ck_assert_str_eq(a->types[1], "machine.created");
	ck_assert_int_eq(a->mention.kind, WEBHOOK_MENTION_ROLE);
	ck_assert_str_eq(a->mention.id, "123456789012345678");
	ck_assert_int_eq(a->silent, WEBHOOK_SILENT_SUCCESSES);
	ck_assert_str_eq(a->thread_id, "987654321");
	ck_assert_str_eq(a->username, "SipEat alerts");
	ck_assert_str_eq(a->avatar_url, "https://x.example/a.png");
	/* Unset keys: every event, every type, and [discord]'s name. */
	ck_assert_str_eq(b->name, "audit");
	ck_assert_int_eq(b->events, WEBHOOK_EVENTS_ALL);
	ck_assert_uint_eq(b->ntypes, 0);
	ck_assert_int_eq(b->mention.kind, WEBHOOK_MENTION_NONE);
	ck_assert_int_eq(b->silent, WEBHOOK_SILENT_YES);
	ck_assert_ptr_null(b->thread_id);
	ck_assert_str_eq(b->dw.url, "https://discord.com/api/v10/webhooks/2/t2");
	ck_assert_str_eq(b->username, "Main");
	config_free(cfg);
	diag_free(&d);
}
END_TEST

/* A [webhook NAME] url in a readable file: a warning without the URL. */
START_TEST(test_webhook_url_mode)
{
	struct diag	 d = { 0 };
	const char	*path;
	struct config	*cfg;
	char		*want;

	path = write_conf("hooks.conf", "[webhook a]\nurl = " HOOK_URL "\n"
	    "[webhook b]\nurl = https://discord.com/api/webhooks/x/s3cr3t\n",
	    0644);
	cfg = config_load(path, &d);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(d.n, 2);
	want = xasprintf("%s:2: warning: webhook URL in a file readable by "
	    "others (chmod 600 %s)", path, path);
	ck_assert_str_eq(d.msgs[0], want);
	free(want);
	for (size_t i = 0; i < d.n; i++)
		ck_assert_ptr_null(strstr(d.msgs[i], "s3cr3t"));
	config_free(cfg);
	diag_free(&d);
}
END_TEST

START_TEST(test_cannot_open)
{
	struct diag	 d = { 0 };
	char		*path, *msg;

	path = xasprintf("%s/missing.conf", tmpdir);
	ck_assert_ptr_null(config_load(path, &d));
	ck_assert_uint_eq(d.n, 1);
	msg = xasprintf("%s: cannot open: %s", path, strerror(ENOENT));
	ck_assert_str_eq(d.msgs[0], msg);
	free(msg);
	free(path);
	diag_free(&d);

	ck_assert_ptr_null(config_load(tmpdir, &d));
	ck_assert_uint_eq(d.n, 1);
	msg = xasprintf("%s: cannot open: %s", tmpdir, strerror(EISDIR));
	ck_assert_str_eq(d.msgs[0], msg);
	free(msg);
	diag_free(&d);
}
END_TEST

Suite *
suite_config(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");
	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_good_file);
	tcase_add_test(tc, test_handler_defaults);
	tcase_add_loop_test(tc, test_one_error, 0,
	    (int)(sizeof one_error / sizeof one_error[0]));
	tcase_add_test(tc, test_bad_value_keeps_default);
	tcase_add_test(tc, test_username_length);
	tcase_add_test(tc, test_three_errors);
	tcase_add_test(tc, test_webhook_mode);
	tcase_add_test(tc, test_no_secret_in_messages);
	tcase_add_test(tc, test_set_kafka);
	tcase_add_test(tc, test_inline_comments);
	tcase_add_test(tc, test_empty_dlq_and_optional);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_long_value);
	tcase_add_test(tc, test_line_at_limit);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_long_name_cut);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_stage_use);
	tcase_add_test(tc, test_ignored_section_keys);
	tcase_add_test(tc, test_cannot_open);
	tcase_add_test(tc, test_webhooks);
	tcase_add_test(tc, test_webhook_url_mode);
	suite_add_tcase(s, tc);
	return s;
}
