/*
 * check_stage_http.c -- the http and smtp actions against real servers,
 * the retry policy with Retry-After, and the handler patterns over http
 * stages.
 *
 * tests/httpd (libmicrohttpd) and tests/smtpsink.py (aiosmtpd) are started
 * once per test case on free loopback ports; each records what it received
 * (httpd: one JSON line per request; the sink: one JSON file per message,
 * parsed by Python's email package). Without aiosmtpd the smtp case is
 * left out with a note, the rest still runs.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>

#include "handler.h"
#include "log.h"
#include "stage.h"
#include "stage-curl.h"
#include "testlib.h"
#include "util.h"

#define EV "{\"id\":\"ev-1\",\"type\":\"request.created\"," \
	"\"data\":{\"customerName\":\"Ann\",\"drinkName\":\"Cola\"," \
	"\"machineId\":\"VM 1/2\",\"email\":\"ann@example.com\"}}"

static char dir[64];
static pid_t httpd_pid = -1, sink_pid = -1;
static int httpd_port, sink_port;
static char base[64];


/* Starts argv in the background; waits for its port file. */
static pid_t
start_server(char *const argv[], const char *portfile, int *port)
{
	char *s;
	pid_t pid;
	int i;

	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	for (i = 0; i < 100; i++) {
		s = test_slurp(portfile);
		if (s != NULL) {
			*port = atoi(s);
			free(s);
			return pid;
		}
		sleep_ms(50);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_abort_msg("%s did not start", argv[0]);
	return -1;
}

static void
stop_server(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

static char *
dir_path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
http_setup(void)
{
	const char *b = getenv("top_builddir");
	char *bin, *pf, *rec;

	snprintf(dir, sizeof dir, "/tmp/check_stage_http.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	bin = xasprintf("%s/tests/httpd", b != NULL ? b : ".");
	pf = dir_path("httpd.port");
	rec = dir_path("requests");
	{
		char *argv[] = { bin, "-p", pf, "-r", rec, NULL };

		httpd_pid = start_server(argv, pf, &httpd_port);
	}
	snprintf(base, sizeof base, "http://127.0.0.1:%d", httpd_port);
	free(bin);
	free(pf);
	free(rec);
}

static void
http_teardown(void)
{
	char *cmd;

	stop_server(&httpd_pid);
	stop_server(&sink_pid);
	cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* The python3 that has aiosmtpd, or NULL. */
static const char *
sink_python(void)
{
	static const char *const cand[] = { "/usr/bin/python3", "python3" };
	char *cmd;
	size_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		cmd = xasprintf("%s -c 'import aiosmtpd' >/dev/null 2>&1",
		    cand[i]);
		rc = system(cmd);
		free(cmd);
		if (rc == 0)
			return cand[i];
	}
	return NULL;
}

static void
smtp_setup(void)
{
	const char *s = getenv("top_srcdir"), *py = sink_python();
	char *script, *pf, *out;

	http_setup();
	ck_assert_ptr_nonnull(py);
	script = xasprintf("%s/tests/smtpsink.py", s != NULL ? s : ".");
	pf = dir_path("smtp.port");
	out = dir_path("mail");
	ck_assert_int_eq(mkdir(out, 0700), 0);
	{
		char *argv[] = { (char *)py, script, pf, out, NULL };

		sink_pid = start_server(argv, pf, &sink_port);
	}
	free(script);
	free(pf);
	free(out);
}

/* Requests recorded so far, as a JSON array (caller puts it). */
static json_object *
requests(void)
{
	char *path = dir_path("requests"), *s, *line, *save = NULL;
	json_object *a = json_object_new_array();

	s = test_slurp(path);
	free(path);
	if (s == NULL)
		return a;
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		json_object_array_add(a, json_tokener_parse(line));
	free(s);
	return a;
}

static const char *
field(json_object *a, size_t i, const char *key)
{
	json_object *o, *v;

	o = json_object_array_get_idx(a, i);
	ck_assert_ptr_nonnull(o);
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static long
field_int(json_object *a, size_t i, const char *key)
{
	json_object *o, *v;

	o = json_object_array_get_idx(a, i);
	ck_assert(json_object_object_get_ex(o, key, &v));
	return (long)json_object_get_int64(v);
}

/* A stage that must compile without a problem. */
static struct stage *
stage_of(const char *name, ...)
{
	struct diag d = { 0 };
	struct stage *st;
	va_list ap;

	va_start(ap, name);
	st = test_stage_compile_v(&d, PATTERN_CHAIN, name, ap);
	va_end(ap);
	if (d.n > 0)
		diag_print(&d, stderr);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_ptr_nonnull(st);
	diag_free(&d);
	return st;
}

/* The diagnostics of a stage that must not compile (caller frees). */
static struct diag
problems_of(const char *name, ...)
{
	struct diag d = { 0 };
	struct stage *st;
	va_list ap;

	va_start(ap, name);
	st = test_stage_compile_v(&d, PATTERN_CHAIN, name, ap);
	va_end(ap);
	stage_free(st);
	return d;
}

static enum stage_status
run_ctx(const struct stage *st, const char *json, struct stage_ctx *ctx,
    char *err, size_t errsz)
{
	struct event ev;
	char perr[256];
	enum stage_status status;

	ck_assert_int_eq(event_parse(&ev, json, strlen(json), "t/0/0", perr,
	    sizeof perr), 0);
	status = stage_run(st, &ev, ctx, err, errsz);
	event_clear(&ev);
	return status;
}

static enum stage_status
run(const struct stage *st, const char *json, char *err, size_t errsz)
{
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };

	return run_ctx(st, json, &ctx, err, errsz);
}

static char *
url(const char *path)
{
	return xasprintf("%s%s", base, path);
}

/* POST of the event JSON with the idempotency key and a templated header. */
START_TEST(test_http_ok)
{
	char err[256] = "", *u = url("/ok");
	struct stage *st;
	json_object *a, *body;

	st = stage_of("payment", "action", "http", "url", u,
	    "header", "Authorization: Bearer t-${data.customerName}",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_OK);
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 1);
	ck_assert_str_eq(field(a, 0, "method"), "POST");
	ck_assert_str_eq(field(a, 0, "path"), "/ok");
	ck_assert_str_eq(field(a, 0, "idempotency_key"), "ev-1/payment");
	ck_assert_str_eq(field(a, 0, "content_type"), "application/json");
	ck_assert_str_eq(field(a, 0, "authorization"), "Bearer t-Ann");
	body = json_tokener_parse(field(a, 0, "body"));
	ck_assert_ptr_nonnull(body);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(body,
	    "id")), "ev-1");
	json_object_put(body);
	json_object_put(a);
	stage_free(st);
	free(u);
}
END_TEST

/* A body template, another method, and a URL value percent-encoded. */
START_TEST(test_http_body_method_url)
{
	char err[256] = "", *u = url("/ok?machine=${data.machineId}");
	struct stage *st;
	json_object *a, *q;

	st = stage_of("teardown", "action", "http", "url", u,
	    "method", "delete", "body", "{\"drink\":\"${data.drinkName}\"}",
	    "header", "Content-Type: application/vnd.sipeat+json",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_OK);
	a = requests();
	ck_assert_str_eq(field(a, 0, "method"), "DELETE");
	ck_assert_str_eq(field(a, 0, "body"), "{\"drink\":\"Cola\"}");
	ck_assert_str_eq(field(a, 0, "content_type"),
	    "application/vnd.sipeat+json");
	/* "VM 1/2" arrives whole as one query value: it was encoded. */
	q = json_object_object_get(json_object_array_get_idx(a, 0), "query");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(q,
	    "machine")), "VM 1/2");
	json_object_put(a);
	stage_free(st);
	free(u);
}
END_TEST

/*
 * A JSON body is filled as JSON (SPEC section 3): a drink name that
 * closes the string cannot add a member, a value outside quotes arrives
 * as a JSON value, and the URL path cannot be climbed out of.
 */
START_TEST(test_http_json_body_injection)
{
	const char *evil = "{\"id\":\"e-9\",\"type\":\"request.created\","
	    "\"data\":{\"drinkName\":\"\\\", \\\"admin\\\": true, "
	    "\\\"x\\\": \\\"\\\\\",\"quantity\":3,\"machineId\":\"../402\"}}";
	char err[256] = "", *u = url("/ok/${data.machineId}");
	struct stage *st;
	json_object *a, *body, *v;

	st = stage_of("inventory", "action", "http", "url", u, "body",
	    "{\"drink\": \"${data.drinkName}\", \"qty\": ${data.quantity}, "
	    "\"note\": ${data.nope}}", (char *)NULL);
	ck_assert_int_eq(run(st, evil, err, sizeof err), STAGE_OK);
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 1);
	/* Sent as /ok/..%2F402 (one segment; httpd shows it decoded). */
	ck_assert_str_eq(field(a, 0, "path"), "/ok/../402");
	body = json_tokener_parse(field(a, 0, "body"));
	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(json_object_object_length(body), 3);
	ck_assert(!json_object_object_get_ex(body, "admin", NULL));
	ck_assert_str_eq(json_object_get_string(json_object_object_get(body,
	    "drink")), "\", \"admin\": true, \"x\": \"\\");
	ck_assert(json_object_object_get_ex(body, "qty", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	ck_assert(json_object_object_get_ex(body, "note", &v));
	ck_assert_ptr_null(v);
	json_object_put(body);
	json_object_put(a);
	stage_free(st);
	free(u);
}
END_TEST

/* 4xx: one request, permanent, the JSON error as the reason. */
START_TEST(test_http_402_permanent)
{
	char err[256] = "", *u = url("/402"), *u2 = url("/404");
	struct stage *st;
	json_object *a;

	st = stage_of("payment", "action", "http", "url", u,
	    "retry.backoff.ms", "10", (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "card declined");
	stage_free(st);
	st = stage_of("m", "action", "http", "url", u2, (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "no such machine");
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 2);
	json_object_put(a);
	stage_free(st);
	free(u);
	free(u2);
}
END_TEST

/* 5xx: the message field, else the status line; transient. */
START_TEST(test_http_500_reason)
{
	char err[256] = "", *u = url("/500"), *u2 = url("/500text");
	struct stage *st;

	st = stage_of("inv", "action", "http", "url", u, "retries", "0",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "database down");
	stage_free(st);
	st = stage_of("inv", "action", "http", "url", u2, "retries", "0",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "HTTP/1.1 500 Internal Server Error");
	stage_free(st);
	free(u);
	free(u2);
}
END_TEST

/*
 * Transient failures are retried with the same Idempotency-Key and
 * growing delays (200 ms, then 400 ms, each plus up to 20%).
 */
START_TEST(test_http_retry_same_key)
{
	char err[256] = "", *u = url("/flaky?fail=2");
	struct stage *st;
	json_object *a;
	long d1, d2;

	st = stage_of("dispense", "action", "http", "url", u, "retries", "2",
	    "retry.backoff.ms", "200", (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_OK);
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 3);
	ck_assert_str_eq(field(a, 0, "idempotency_key"), "ev-1/dispense");
	ck_assert_str_eq(field(a, 1, "idempotency_key"), "ev-1/dispense");
	ck_assert_str_eq(field(a, 2, "idempotency_key"), "ev-1/dispense");
	d1 = field_int(a, 1, "t_ms") - field_int(a, 0, "t_ms");
	d2 = field_int(a, 2, "t_ms") - field_int(a, 1, "t_ms");
	ck_assert_int_ge(d1, 200);
	ck_assert_int_ge(d2, 400);
	ck_assert_int_gt(d2, d1);
	json_object_put(a);
	stage_free(st);
	free(u);
}
END_TEST

/* 429 with Retry-After: 1 waits a second, not the 10 ms back-off. */
START_TEST(test_http_429_retry_after)
{
	char err[256] = "", *u = url("/429?after=1");
	struct stage *st;
	json_object *a;

	st = stage_of("crm", "action", "http", "url", u, "retries", "1",
	    "retry.backoff.ms", "10", (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "slow down");
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert_int_ge(field_int(a, 1, "t_ms") - field_int(a, 0, "t_ms"),
	    1000);
	json_object_put(a);
	stage_free(st);
	free(u);
}
END_TEST

/* A hung call is cut at timeout.ms; a dropped connection is transient. */
START_TEST(test_http_timeout_and_close)
{
	char err[256] = "", *u = url("/slow?ms=3000"), *u2 = url("/close");
	struct stage *st;
	int64_t start;

	st = stage_of("slow", "action", "http", "url", u, "timeout.ms", "300",
	    "retries", "0", (char *)NULL);
	start = now_ms();
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	ck_assert_int_lt(now_ms() - start, 1500);
	ck_assert_str_eq(err, "timed out after 300 ms");
	stage_free(st);

	st = stage_of("close", "action", "http", "url", u2, "retries", "0",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	stage_free(st);
	free(u);
	free(u2);
}
END_TEST

/* Nothing listens: connection refused is transient. */
START_TEST(test_http_refused)
{
	char err[256] = "";
	struct stage *st;

	st = stage_of("x", "action", "http", "url", "http://127.0.0.1:1/",
	    "retries", "0", (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
	stage_free(st);
}
END_TEST

/* Missing fields and line breaks fail before anything is sent. */
START_TEST(test_http_missing_and_injection)
{
	const char *evnl = "{\"id\":\"e\",\"type\":\"t\",\"data\":"
	    "{\"name\":\"a\\r\\nX-Evil: 1\"}}";
	char err[256] = "", *u = url("/ok/${data.nope}"), *u2 = url("/ok");
	struct stage *st;
	json_object *a;

	st = stage_of("x", "action", "http", "url", u, (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "missing field data.nope");
	stage_free(st);
	st = stage_of("x", "action", "http", "url", u2, "header",
	    "X-Name: ${data.name}", (char *)NULL);
	ck_assert_int_eq(run(st, evnl, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "header X-Name: the value holds a line break "
	    "(refused)");
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 0);
	json_object_put(a);
	stage_free(st);
	free(u);
	free(u2);
}
END_TEST

static void *
stop_later(void *arg)
{
	sleep_ms(300);
	stop_flag_set(arg);
	return NULL;
}

/* A call in progress when the daemon stops is abandoned promptly. */
START_TEST(test_http_stopping)
{
	char err[256] = "", *u = url("/slow?ms=8000");
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	struct stage *st;
	pthread_t t;
	int64_t start;

	st = stage_of("slow", "action", "http", "url", u, (char *)NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, stop_later,
	    (void *)&stopping), 0);
	start = now_ms();
	ck_assert_int_eq(run_ctx(st, EV, &ctx, err, sizeof err),
	    STAGE_TRANSIENT);
	ck_assert_int_lt(now_ms() - start, 2500);
	pthread_join(t, NULL);
	stage_free(st);
	free(u);
}
END_TEST

/* The worker's own handle is reused across calls (pool.c's setup). */
START_TEST(test_http_worker_handle)
{
	char err[256] = "", *u = url("/ok");
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	struct stage *st, *bad;
	int i;

	ctx.curl = curl_easy_init();
	st = stage_of("a", "action", "http", "url", u, (char *)NULL);
	bad = stage_of("b", "action", "http", "url", "http://127.0.0.1:1/",
	    "retries", "0", (char *)NULL);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(run_ctx(st, EV, &ctx, err, sizeof err),
		    STAGE_OK);
		ck_assert_int_eq(run_ctx(bad, EV, &ctx, err, sizeof err),
		    STAGE_TRANSIENT);
	}
	curl_easy_cleanup(ctx.curl);
	stage_free(st);
	stage_free(bad);
	free(u);
}
END_TEST

/* Configuration errors name the line; tls.verify = false warns. */
START_TEST(test_http_config_errors)
{
	struct diag d;

	d = problems_of("x", "action", "http", "url", "ftp://h/", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad url \"ftp://h/\": "
	    "must start with http:// or https://"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://h/${data.a",
	    (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad url "
	    "\"http://h/${data.a\": unclosed ${ at column 10"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://exa mple/",
	    (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad url"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://h/",
	    "header", "no colon here", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": header must be "
	    "\"Name: value\""));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://h/",
	    "header", "Idempotency-Key: mine", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": header "
	    "Idempotency-Key is set by sipeatd"));
	diag_free(&d);
	/* A templated Content-Type would leave the body's escaping open. */
	d = problems_of("x", "action", "http", "url", "http://h/",
	    "header", "Content-Type: ${data.ct}", "body", "{\"a\": ${data.a}}",
	    (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": header "
	    "Content-Type cannot be a template"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://h/",
	    "method", "GET", "body", "x", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:5: stage \"x\": a GET request has no "
	    "body"));
	diag_free(&d);
	d = problems_of("x", "action", "http", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:1: stage \"x\": http needs a url"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "http://h/",
	    "tls.verify", "maybe", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:4: stage \"x\": tls.verify must be "
	    "true or false"));
	diag_free(&d);
	d = problems_of("x", "action", "http", "url", "https://h/",
	    "tls.verify", "false", (char *)NULL);
	ck_assert_uint_eq(diag_errors(&d), 0);
	ck_assert_uint_eq(d.nwarn, 1);
	ck_assert(test_has_msg(&d, "t.conf:4: warning: stage \"x\": tls.verify = "
	    "false"));
	diag_free(&d);
	d = problems_of("x", "action", "kafka", "topic", "bad topic!",
	    (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad topic name"));
	diag_free(&d);
	d = problems_of("x", "action", "smtp", "url", "http://h/", "from",
	    "a@b", "to", "${data.email", "subject", "s", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad url"));
	ck_assert(test_has_msg(&d, "t.conf:5: stage \"x\": to: unclosed ${"));
	diag_free(&d);
}
END_TEST

/*
 * stage-curl.c, the plumbing both libcurl actions share: the url and
 * tls.verify keys read the same for http and smtp, the url check, the
 * failure classes, and a handle of the worker's left holding no pointer
 * into the attempt's frame.
 */
START_TEST(test_stage_curl_shared)
{
	struct stage st = { .name = (char *)"x", .timeout_ms = 1500 };
	struct stage_ctx ctx = { 0 };
	char errbuf[CURL_ERROR_SIZE], err[256];
	struct diag d;
	CURL *curl;

	ck_assert_int_eq(stage_curl_check_url("smtp://mail.example:25", err,
	    sizeof err), 0);
	ck_assert_int_eq(stage_curl_check_url("file:///etc/hosts", err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "no host");
	ck_assert_int_eq(stage_curl_check_url("http://exa mple/", err,
	    sizeof err), -1);

	ck_assert_int_eq(stage_curl_failure(&st, CURLE_OPERATION_TIMEDOUT, "",
	    err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "timed out after 1500 ms");
	ck_assert_int_eq(stage_curl_failure(&st, CURLE_ABORTED_BY_CALLBACK, "",
	    err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "abandoned: sipeatd is stopping");
	ck_assert_int_eq(stage_curl_failure(&st, CURLE_COULDNT_CONNECT,
	    "refused\r\nby peer", err, sizeof err), STAGE_TRANSIENT);
	ck_assert_str_eq(err, "refused  by peer");
	ck_assert_int_eq(stage_curl_failure(&st, CURLE_LOGIN_DENIED, "",
	    err, sizeof err), STAGE_FAIL);

	/* A handle of its own for the attempt, and the worker's kept. */
	curl = stage_curl_begin(&st, &ctx, "http,https", 1, errbuf, err,
	    sizeof err);
	ck_assert_ptr_nonnull(curl);
	stage_curl_end(&ctx, curl);
	ctx.curl = curl_easy_init();
	curl = stage_curl_begin(&st, &ctx, "smtp,smtps", 0, errbuf, err,
	    sizeof err);
	ck_assert_ptr_eq(curl, ctx.curl);
	stage_curl_end(&ctx, curl);
	stage_curl_end(&ctx, NULL);
	curl_easy_cleanup(ctx.curl);

	/* The same keys, the same words, for both actions. */
	d = problems_of("x", "action", "smtp", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:1: stage \"x\": smtp needs a url"));
	diag_free(&d);
	d = problems_of("x", "action", "smtp", "url", "smtp://h/", "from",
	    "a@b", "to", "c@d", "subject", "s", "tls.verify", "maybe",
	    (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:7: stage \"x\": tls.verify must be "
	    "true or false, not \"maybe\""));
	diag_free(&d);
	d = problems_of("x", "action", "smtp", "url", "smtps://h/", "from",
	    "a@b", "to", "c@d", "subject", "s", "tls.verify", "off",
	    (char *)NULL);
	ck_assert_uint_eq(diag_errors(&d), 0);
	ck_assert(test_has_msg(&d, "t.conf:7: warning: stage \"x\": tls.verify = "
	    "false: the mail server's certificate is not checked"));
	diag_free(&d);
	d = problems_of("x", "action", "smtp", "url", "smtp://h/${data.x}",
	    "from", "a@b", "to", "c@d", "subject", "s", (char *)NULL);
	ck_assert(test_has_msg(&d, "t.conf:3: stage \"x\": bad url "
	    "\"smtp://h/${data.x}\": no ${...} allowed in an smtp url"));
	diag_free(&d);
}
END_TEST

/* Writes a config file and builds its handlers (must succeed). */
static struct handlers *
handlers_from(const char *text, struct config **cfgp)
{
	char *path = dir_path("t.conf");
	FILE *fp = fopen(path, "w");
	struct diag d = { 0 };
	struct handlers *hs;

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	*cfgp = config_load(path, &d);
	ck_assert_ptr_nonnull(*cfgp);
	hs = handlers_build(*cfgp, &d);
	if (diag_errors(&d) > 0)
		diag_print(&d, stderr);
	ck_assert_ptr_nonnull(hs);
	diag_free(&d);
	free(path);
	return hs;
}

/*
 * command: network fails (402), so the undo of the completed stage runs
 * (an http DELETE); the stage after the failure never runs.
 */
START_TEST(test_command_undo_http)
{
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	struct config *cfg;
	struct handlers *hs;
	struct event ev;
	json_object *a;
	char err[512], *text;

	text = xasprintf("[handler request.created]\n"
	    "pattern = command\n"
	    "stages = setup network maintenance\n"
	    "[stage setup]\naction = http\nurl = %s/ok/setup\n"
	    "undo = teardown\n"
	    "[stage teardown]\naction = http\nmethod = DELETE\n"
	    "url = %s/ok/machines/${data.customerName}\n"
	    "[stage network]\naction = http\nurl = %s/402\n"
	    "[stage maintenance]\naction = http\nurl = %s/ok/maint\n",
	    base, base, base, base);
	hs = handlers_from(text, &cfg);
	ck_assert_int_eq(event_parse(&ev, EV, strlen(EV), "t/0/0", err,
	    sizeof err), 0);
	ck_assert_int_eq(handler_run(&hs->v[0], &ev, &ctx, err, sizeof err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "network: card declined"));
	a = requests();
	ck_assert_uint_eq(json_object_array_length(a), 3);
	ck_assert_str_eq(field(a, 0, "path"), "/ok/setup");
	ck_assert_str_eq(field(a, 1, "path"), "/402");
	ck_assert_str_eq(field(a, 2, "method"), "DELETE");
	ck_assert_str_eq(field(a, 2, "path"), "/ok/machines/Ann");
	ck_assert_str_eq(field(a, 2, "idempotency_key"), "ev-1/teardown");
	json_object_put(a);
	event_clear(&ev);
	handlers_free(hs);
	config_free(cfg);
	free(text);
}
END_TEST

/* strategy: a failing stage does not stop the others. */
START_TEST(test_strategy_http)
{
	struct stopflag stopping = { 0 };
	struct stage_ctx ctx = { .worker = 0, .stopping = &stopping };
	struct config *cfg;
	struct handlers *hs;
	struct event ev;
	json_object *a;
	char err[512], *text;

	text = xasprintf("[handler contact.created]\n"
	    "stages = email sales crm\n"
	    "[stage email]\naction = http\nurl = %s/402\n"
	    "[stage sales]\naction = http\nurl = %s/ok/sales\n"
	    "when = data.companyName\n"
	    "[stage crm]\naction = http\nurl = %s/ok/crm\n",
	    base, base, base);
	hs = handlers_from(text, &cfg);
	ck_assert_int_eq(event_parse(&ev, EV, strlen(EV), "t/0/0", err,
	    sizeof err), 0);
	ck_assert_int_eq(handler_run(&hs->v[0], &ev, &ctx, err, sizeof err),
	    -1);
	ck_assert_str_eq(err, "email: card declined");
	a = requests();
	/* sales is skipped: the event has no companyName. */
	ck_assert_uint_eq(json_object_array_length(a), 2);
	ck_assert_str_eq(field(a, 1, "path"), "/ok/crm");
	json_object_put(a);
	event_clear(&ev);
	handlers_free(hs);
	config_free(cfg);
	free(text);
}
END_TEST

/* The sink's message number n, parsed by Python (caller puts it). */
static json_object *
mail(int n)
{
	char *path = xasprintf("%s/mail/%d.json", dir, n), *s;
	json_object *o;

	s = test_slurp(path);
	free(path);
	if (s == NULL)
		return NULL;
	o = json_tokener_parse(s);
	free(s);
	return o;
}

static const char *
mget(json_object *m, const char *a, const char *b)
{
	json_object *o = json_object_object_get(m, a);

	if (b != NULL)
		o = json_object_object_get(o, b);
	return o != NULL ? json_object_get_string(o) : NULL;
}

/*
 * An RFC 5322 message: headers, a UTF-8 subject (RFC 2047), UTF-8 body,
 * CRLF only, two recipients.
 */
START_TEST(test_smtp_message)
{
	char err[256] = "", *u = xasprintf("smtp://127.0.0.1:%d", sink_port);
	struct stage *st;
	json_object *m, *rcpt;

	st = stage_of("email", "action", "smtp", "url", u,
	    "from", "SipEat <noreply@sipeat.example>",
	    "to", "${data.email}, Sales <sales@sipeat.example>",
	    "subject", "Merci ${data.customerName} \xe2\x80\x94 votre "
	    "${data.drinkName} \xe2\x98\x95 est pr\xc3\xaate, une tr\xc3\xa8s "
	    "longue ligne pour plier",
	    "body", "Bonjour ${data.customerName},\nvotre boisson "
	    "\xc3\xa9tait ${data.drinkName}.", (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_OK);
	m = mail(1);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(mget(m, "mail_from", NULL), "noreply@sipeat.example");
	rcpt = json_object_object_get(m, "rcpt_tos");
	ck_assert_uint_eq(json_object_array_length(rcpt), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    rcpt, 0)), "ann@example.com");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    rcpt, 1)), "sales@sipeat.example");
	ck_assert(json_object_get_boolean(json_object_object_get(m,
	    "crlf_only")));
	ck_assert_int_le(json_object_get_int(json_object_object_get(m,
	    "max_line")), 78);
	ck_assert_str_eq(mget(m, "headers", "Subject"), "Merci Ann \xe2\x80\x94 "
	    "votre Cola \xe2\x98\x95 est pr\xc3\xaate, une tr\xc3\xa8s longue "
	    "ligne pour plier");
	ck_assert_str_eq(mget(m, "headers", "MIME-Version"), "1.0");
	ck_assert_ptr_nonnull(mget(m, "headers", "Date"));
	ck_assert_ptr_nonnull(strstr(mget(m, "headers", "Message-ID"),
	    "@sipeat.example>"));
	ck_assert_str_eq(mget(m, "content_type", NULL), "text/plain");
	ck_assert_str_eq(mget(m, "charset", NULL), "utf-8");
	ck_assert_str_eq(mget(m, "body", NULL), "Bonjour Ann,\r\nvotre boisson "
	    "\xc3\xa9tait Cola.");
	json_object_put(m);
	stage_free(st);
	free(u);
}
END_TEST

/* A value with CR or LF is refused, naming the field; nothing is sent. */
START_TEST(test_smtp_injection)
{
	const char *evil = "{\"id\":\"e\",\"type\":\"t\",\"data\":"
	    "{\"email\":\"a@b.example\\r\\nBcc: all@x.example\","
	    "\"name\":\"Ann\\nBcc: x@y\"}}";
	char err[256] = "", *u = xasprintf("smtp://127.0.0.1:%d", sink_port);
	struct stage *st;

	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "${data.email}", "subject", "hi", (char *)NULL);
	ck_assert_int_eq(run(st, evil, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "to: the value holds a line break (refused: "
	    "header injection)");
	stage_free(st);
	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "x@y.z", "subject", "Hello ${data.name}", (char *)NULL);
	ck_assert_int_eq(run(st, evil, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "subject: the value holds a line break "
	    "(refused: header injection)");
	stage_free(st);
	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "${data.phone}", "subject", "x", (char *)NULL);
	ck_assert_int_eq(run(st, evil, err, sizeof err), STAGE_FAIL);
	ck_assert_str_eq(err, "to: missing field data.phone");
	stage_free(st);
	ck_assert_ptr_null(mail(1));
	free(u);
}
END_TEST

/*
 * A value cannot add a recipient or a header: a comma list in a field is
 * encoded as one phrase (no longer an address: the stage fails), a
 * display name with specials becomes an encoded word.
 */
START_TEST(test_smtp_header_values)
{
	const char *ev = "{\"id\":\"e\",\"type\":\"t\",\"data\":"
	    "{\"email\":\"ann@example.com, eve@evil.example\","
	    "\"name\":\"Doe, John <eve@evil.example>\"}}";
	char err[256] = "", *u = xasprintf("smtp://127.0.0.1:%d", sink_port);
	struct stage *st;
	json_object *m, *rcpt;

	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "${data.email}", "subject", "hi", (char *)NULL);
	ck_assert_int_eq(run(st, ev, err, sizeof err), STAGE_FAIL);
	ck_assert_ptr_nonnull(strstr(err, "is not an e-mail address"));
	stage_free(st);
	ck_assert_ptr_null(mail(1));
	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "${data.name} <x@y.example>", "subject", "Hi ${data.name}",
	    (char *)NULL);
	ck_assert_int_eq(run(st, ev, err, sizeof err), STAGE_OK);
	m = mail(1);
	ck_assert_ptr_nonnull(m);
	rcpt = json_object_object_get(m, "rcpt_tos");
	ck_assert_uint_eq(json_object_array_length(rcpt), 1);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(
	    rcpt, 0)), "x@y.example");
	ck_assert_str_eq(mget(m, "headers", "Subject"),
	    "Hi Doe, John <eve@evil.example>");
	json_object_put(m);
	stage_free(st);
	free(u);
}
END_TEST

/* 451 is transient (retried), 550 permanent. */
START_TEST(test_smtp_replies)
{
	char err[256] = "", *u = xasprintf("smtp://127.0.0.1:%d", sink_port);
	struct stage *st;

	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "tempfail@x.example", "subject", "s", "retries", "0",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_TRANSIENT);
	stage_free(st);
	st = stage_of("email", "action", "smtp", "url", u, "from", "a@b.c",
	    "to", "reject@x.example", "subject", "s", "retries", "0",
	    (char *)NULL);
	ck_assert_int_eq(run(st, EV, err, sizeof err), STAGE_FAIL);
	ck_assert_ptr_nonnull(strstr(err, "550"));
	stage_free(st);
	free(u);
}
END_TEST

Suite *
suite_stage_http(void)
{
	Suite *s;
	TCase *tc;

	/* For the whole run, before the first test (check_main.c runs us). */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atexit(curl_global_cleanup);
	log_set_level(LOG_LVL_ERROR);
	s = suite_create("stage_http");

	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, http_setup, http_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_http_ok);
	tcase_add_test(tc, test_http_body_method_url);
	tcase_add_test(tc, test_http_json_body_injection);
	tcase_add_test(tc, test_http_402_permanent);
	tcase_add_test(tc, test_http_500_reason);
	tcase_add_test(tc, test_http_retry_same_key);
	tcase_add_test(tc, test_http_429_retry_after);
	tcase_add_test(tc, test_http_timeout_and_close);
	tcase_add_test(tc, test_http_refused);
	tcase_add_test(tc, test_http_missing_and_injection);
	tcase_add_test(tc, test_http_stopping);
	tcase_add_test(tc, test_http_worker_handle);
	tcase_add_test(tc, test_http_config_errors);
	tcase_add_test(tc, test_stage_curl_shared);
	tcase_add_test(tc, test_command_undo_http);
	tcase_add_test(tc, test_strategy_http);
	suite_add_tcase(s, tc);

	if (sink_python() != NULL) {
		tc = tcase_create("smtp");
		tcase_add_checked_fixture(tc, smtp_setup, http_teardown);
		tcase_set_timeout(tc, 20);
		tcase_add_test(tc, test_smtp_message);
		tcase_add_test(tc, test_smtp_injection);
		tcase_add_test(tc, test_smtp_header_values);
		tcase_add_test(tc, test_smtp_replies);
		suite_add_tcase(s, tc);
	} else
		fprintf(stderr, "note: python3-aiosmtpd is not installed: "
		    "the smtp tests are left out\n");
	return s;
}
