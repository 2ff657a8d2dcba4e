/*
 * httpd.c -- the HTTP service the http stage tests and bench/stages talk
 * to (libmicrohttpd), standing in for SipEat's payment, inventory and
 * machine APIs.
 *
 *	tests/httpd -p PORTFILE [-r RECORD] [-d DELAY_MS]
 *
 * It listens on a free port of 127.0.0.1 (written to PORTFILE once it
 * accepts connections) until SIGTERM or SIGINT. Each request is appended
 * to RECORD as one JSON line: method, path, query, idempotency_key,
 * content_type, body, and t_ms (milliseconds since the server started), so
 * a test can check what arrived, how often and when. -d delays every
 * answer (the benchmark's "service answering after 10 ms").
 *
 * What it answers depends on the path:
 *	/ok, anything else	200 {"ok":true}
 *	/402			402 {"error":"card declined"}
 *	/500			500 {"message":"database down"}
 *	/500text		500 with a plain-text body (the status line is the reason)
 *	/404			404 {"error":{"message":"no such machine"}}
 *	/429?after=N		429 with Retry-After: N (default 1)
 *	/flaky?fail=N		503 for the first N requests with the same
 *				Idempotency-Key, then 200
 *	/slow?ms=N		200 after N ms (default 5000)
 *	/close			closes the connection without an answer
 * A thread per connection, so a slow answer never holds up the others.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <microhttpd.h>

#define BODY_MAX	(1 << 20)
#define FLAKY_MAX	4096

struct request {
	char	*body;
	size_t	 len;
};

/* Idempotency keys seen by /flaky, with their counts. */
struct flaky {
	char	*key;
	int	 count;
};

static FILE		*record;
static int		 delay_ms;
static struct timespec	 started;
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static struct flaky	 flaky[FLAKY_MAX];
static int		 nflaky;

static long long
elapsed_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - started.tv_sec) * 1000 +
	    (now.tv_nsec - started.tv_nsec) / 1000000;
}

static void
sleep_for(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int
query_int(struct MHD_Connection *c, const char *name, int dflt)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);

	return v != NULL ? atoi(v) : dflt;
}

static enum MHD_Result
query_cb(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	json_object *q = arg;

	json_object_object_add(q, key, json_object_new_string(value ?
	    value : ""));
	return MHD_YES;
}

static void
record_request(struct MHD_Connection *c, const char *method, const char *url,
    const struct request *r)
{
	json_object *o, *q;
	const char *v;

	if (record == NULL)
		return;
	o = json_object_new_object();
	q = json_object_new_object();
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_cb, q);
	json_object_object_add(o, "t_ms", json_object_new_int64(elapsed_ms()));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "path", json_object_new_string(url));
	json_object_object_add(o, "query", q);
	v = header(c, "Idempotency-Key");
	json_object_object_add(o, "idempotency_key",
	    v != NULL ? json_object_new_string(v) : NULL);
	v = header(c, "Content-Type");
	json_object_object_add(o, "content_type",
	    v != NULL ? json_object_new_string(v) : NULL);
	v = header(c, "Authorization");
	json_object_object_add(o, "authorization",
	    v != NULL ? json_object_new_string(v) : NULL);
	json_object_object_add(o, "body", json_object_new_string_len(
	    r->body != NULL ? r->body : "", (int)r->len));
	pthread_mutex_lock(&lock);
	fprintf(record, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(record);
	pthread_mutex_unlock(&lock);
	json_object_put(o);
}

/* How many times /flaky saw this key before, counting this one. */
static int
flaky_count(const char *key)
{
	int i, n = 0;

	if (key == NULL)
		key = "";
	pthread_mutex_lock(&lock);
	for (i = 0; i < nflaky; i++) {
		if (strcmp(flaky[i].key, key) == 0) {
			n = ++flaky[i].count;
			break;
		}
	}
	if (i == nflaky && nflaky < FLAKY_MAX) {
		flaky[nflaky].key = strdup(key);
		flaky[nflaky].count = 1;
		nflaky++;
		n = 1;
	}
	pthread_mutex_unlock(&lock);
	return n;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int code, const char *type,
    const char *body, const char *retry_after)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", type);
	if (retry_after != NULL)
		MHD_add_response_header(resp, "Retry-After", retry_after);
	rc = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct request *r = *con_cls;
	char after[32];
	const char *json = "application/json";

	if (r == NULL) {
		r = calloc(1, sizeof *r);
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (r->len + n <= BODY_MAX) {
			r->body = realloc(r->body, r->len + n + 1);
			memcpy(r->body + r->len, upload_data, n);
			r->len += n;
			r->body[r->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	record_request(c, method, url, r);
	if (delay_ms > 0)
		sleep_for(delay_ms);
	if (strcmp(url, "/close") == 0)
		return MHD_NO;	/* drops the connection, no answer */
	if (strcmp(url, "/402") == 0)
		return reply(c, 402, json, "{\"error\":\"card declined\"}", NULL);
	if (strcmp(url, "/500") == 0)
		return reply(c, 500, json, "{\"message\":\"database down\"}",
		    NULL);
	if (strcmp(url, "/500text") == 0)
		return reply(c, 500, "text/plain", "oops", NULL);
	if (strcmp(url, "/404") == 0)
		return reply(c, 404, json,
		    "{\"error\":{\"message\":\"no such machine\"}}", NULL);
	if (strcmp(url, "/429") == 0) {
		snprintf(after, sizeof after, "%d", query_int(c, "after", 1));
		return reply(c, 429, json, "{\"message\":\"slow down\"}",
		    after);
	}
	if (strcmp(url, "/flaky") == 0) {
		if (flaky_count(header(c, "Idempotency-Key")) <=
		    query_int(c, "fail", 1))
			return reply(c, 503, json,
			    "{\"error\":\"try again\"}", NULL);
		return reply(c, 200, json, "{\"ok\":true}", NULL);
	}
	if (strcmp(url, "/slow") == 0)
		sleep_for(query_int(c, "ms", 5000));
	return reply(c, 200, json, "{\"ok\":true}", NULL);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	if (r != NULL) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

int
main(int argc, char **argv)
{
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	const char *portfile = NULL, *recfile = NULL;
	sigset_t set;
	FILE *fp;
	char tmp[4096];
	int opt, sig;

	while ((opt = getopt(argc, argv, "p:r:d:")) != -1) {
		switch (opt) {
		case 'p':
			portfile = optarg;
			break;
		case 'r':
			recfile = optarg;
			break;
		case 'd':
			delay_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: httpd -p PORTFILE [-r RECORD] "
			    "[-d DELAY_MS]\n");
			return 64;
		}
	}
	if (portfile == NULL) {
		fprintf(stderr, "httpd: -p PORTFILE is required\n");
		return 64;
	}
	if (recfile != NULL && (record = fopen(recfile, "a")) == NULL) {
		perror(recfile);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	{
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = 0;
		d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
		    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
		    NULL, NULL, handle, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
		    MHD_OPTION_END);
	}
	if (d == NULL) {
		fprintf(stderr, "httpd: cannot start the server\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "httpd: no port\n");
		MHD_stop_daemon(d);
		return 1;
	}
	/* Written then renamed: a reader never sees a half-written port. */
	snprintf(tmp, sizeof tmp, "%s.tmp", portfile);
	fp = fopen(tmp, "w");
	if (fp == NULL || fprintf(fp, "%u\n", (unsigned)info->port) < 0 ||
	    fclose(fp) != 0 || rename(tmp, portfile) != 0) {
		perror(portfile);
		MHD_stop_daemon(d);
		return 1;
	}
	sigwait(&set, &sig);
	/*
	 * No MHD_stop_daemon(): it would wait for every /slow answer. The
	 * record is flushed line by line; the lock keeps a line whole.
	 */
	pthread_mutex_lock(&lock);
	_exit(0);
}
