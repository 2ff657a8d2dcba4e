/*
 * metrics-http.c -- the --metrics server: GET /metrics (Prometheus text
 * exposition, rendered by metrics.c) and GET /healthz (200 "ok" or 503 with
 * the reasons), served by libmicrohttpd on one internal thread of its own.
 *
 * The server only reads: the counters (relaxed atomic loads in metrics.c)
 * and, for the consumer lag and the group state, two locks shared with the
 * consumer thread alone, so a scrape never waits for and never delays a
 * worker. The thread is created by MHD_start_daemon() from the
 * main thread after the signal mask is set, so it inherits that mask and
 * never receives SIGTERM or SIGHUP. libmicrohttpd's own messages go through
 * log.c.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_CONNS	16
#define METRICS_CONN_TIMEOUT_S	10

struct metrics_server {
	struct MHD_Daemon	*d;
};

/* The parts of an ADDR:PORT argument. host is "" for every address. */
struct metrics_addr {
	char	host[256];
	int	port;
	int	v6;		/* written as [ADDR]:PORT */
};

static int
addr_split(const char *s, struct metrics_addr *a)
{
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long port;

	memset(a, 0, sizeof *a);
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		a->v6 = 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL)	/* bare IPv6: brackets needed */
			return -1;
	}
	if (hlen >= sizeof a->host || (a->v6 && hlen == 0))
		return -1;
	memcpy(a->host, h, hlen);
	a->host[hlen] = '\0';
	if (colon[1] == '\0')
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	a->port = (int)port;
	return 0;
}

int
metrics_addr_valid(const char *addr_port)
{
	struct metrics_addr a;

	return addr_split(addr_port, &a);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t len;

	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	log_warn("metrics", "%s", line);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found: try /metrics or /healthz\n";
	static char not_allowed[] = "method not allowed\n";
	char why[1024];
	char *body;
	size_t len;

	(void)cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	/* A request body (never expected) is read and ignored. */
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    not_allowed, strlen(not_allowed), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") == 0) {
		body = metrics_render(&len);
		return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, len,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/healthz") == 0) {
		if (metrics_health(why, sizeof why) == 0)
			return reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3,
			    MHD_RESPMEM_PERSISTENT);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
		    why, strlen(why), MHD_RESPMEM_MUST_COPY);
	}
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
	    strlen(not_found), MHD_RESPMEM_PERSISTENT);
}

struct metrics_server *
metrics_server_start(const char *addr_port, char *err, size_t errsz)
{
	struct metrics_server *ms;
	struct metrics_addr a;
	struct addrinfo hints, *res = NULL;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	char port[8], shown[300];
	int rc;

	if (addr_split(addr_port, &a) != 0) {
		snprintf(err, errsz, "--metrics: expected ADDR:PORT, [ADDR6]:PORT "
		    "or :PORT, got \"%s\"", addr_port);
		return NULL;
	}
	ms = xcalloc(1, sizeof *ms);
	if (a.host[0] == '\0') {
		/* Every address, IPv4 and IPv6 alike. */
		ms->d = MHD_start_daemon(flags | MHD_USE_DUAL_STACK,
		    (uint16_t)a.port, NULL, NULL, answer, NULL,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_CONN_TIMEOUT_S,
		    MHD_OPTION_END);
	} else {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(port, sizeof port, "%d", a.port);
		rc = getaddrinfo(a.host, port, &hints, &res);
		if (rc != 0) {
			snprintf(err, errsz, "--metrics %s: %s", addr_port,
			    gai_strerror(rc));
			free(ms);
			return NULL;
		}
		if (res->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		ms->d = MHD_start_daemon(flags, (uint16_t)a.port, NULL, NULL,
		    answer, NULL,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_SOCK_ADDR, res->ai_addr,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNS,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_CONN_TIMEOUT_S,
		    MHD_OPTION_END);
		freeaddrinfo(res);
	}
	if (ms->d == NULL) {
		snprintf(err, errsz, "--metrics %s: cannot listen (address in use "
		    "or not local?)", addr_port);
		free(ms);
		return NULL;
	}
	info = MHD_get_daemon_info(ms->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info != NULL)
		a.port = info->port;
	if (a.v6)
		snprintf(shown, sizeof shown, "[%s]:%d", a.host, a.port);
	else
		snprintf(shown, sizeof shown, "%s:%d", a.host, a.port);
	log_info("metrics", "serving /metrics and /healthz on %s", shown);
	return ms;
}

void
metrics_server_stop(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	MHD_stop_daemon(ms->d);
	free(ms);
}
