/*
 * stage-http.c -- the `http` action: one HTTP request per event (libcurl).
 *
 *	url = https://pay.sipeat.example/v1/charges/${data.machineId}
 *	method = POST				(default)
 *	header = Authorization: Bearer secret	(repeatable)
 *	body = {"machine": "${data.machineId}"}	(default: the event JSON)
 *	tls.verify = true			(default)
 *
 * Design. Each worker owns one CURL easy handle (pool.c), reset before
 * every attempt but keeping its connection cache, so a stage that calls the
 * same service for every event reuses the connection. Every attempt of a
 * stage carries the header "Idempotency-Key: <event id>/<stage>", the same
 * on each retry and on a replay after a restart, so the service can tell a
 * retry from a new request.
 *
 * Templates are compiled once (template.h) for the place they stand in:
 * the URL percent-encoded (an event cannot change the path or add a
 * query), headers verbatim but refused when they hold a line break, and a
 * JSON body (Content-Type JSON, the default) as JSON: inside quotes the
 * text JSON-escaped, outside quotes the value as JSON; a body template
 * that is not JSON with its ${...} as null is a configuration error. A
 * body of another Content-Type is filled as plain text.
 *
 * Outcome: 2xx succeeds. Otherwise the reason is the response's JSON
 * `error` (a string, or an object's `message`) or `message` field, else the
 * status line, cut to 200 bytes. 5xx and 429 are transient, and their
 * Retry-After (seconds or an HTTP date) is handed to stage_run() through
 * ctx->retry_after_ms; any other status is permanent. Redirects are not
 * followed (a 3xx is permanent): a moved endpoint is a configuration error.
 *
 * The handle, its common options and the failure text are stage-curl.c's,
 * shared with the smtp action.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "stage.h"
#include "stage-curl.h"
#include "template.h"
#include "util.h"

#define HTTP_REASON_MAX		200		/* bytes of a failure reason */
#define HTTP_RESPONSE_MAX	65536		/* response body kept for its error */
#define HTTP_STATUS_LINE_MAX	256
#define HTTP_RETRY_AFTER_MAX_MS	3600000		/* larger Retry-After is clamped */

struct http_header {
	char	*name;
	struct tpl	*value;
};

struct http {
	struct tpl		*url;		/* TPL_URL */
	char			*method;	/* upper case */
	struct tpl		*body;		/* TPL_JSON or TPL_TEXT; NULL: the event JSON */
	struct http_header	*headers;
	size_t			 nheaders;
	int			 has_content_type;
	int			 json_body;	/* Content-Type is JSON (or the default) */
	int			 verify;
};

/* Per attempt, on the stack: what the response said. */
struct http_response {
	char	 status_line[HTTP_STATUS_LINE_MAX];
	int64_t	 retry_after_ms;
	char	*body;
	size_t	 len;
};

static const char *const http_keys[] = {
	"url", "method", "header", "body", "tls.verify", NULL
};

/* Headers the action sets itself: a stage may not set them. */
static const char *const http_reserved_headers[] = {
	"Idempotency-Key", "Content-Length", "Transfer-Encoding", "Host", NULL
};

static void
http_free(struct stage *st)
{
	struct http *h = st->priv;
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nheaders; i++) {
		free(h->headers[i].name);
		tpl_free(h->headers[i].value);
	}
	free(h->headers);
	tpl_free(h->url);
	free(h->method);
	tpl_free(h->body);
	free(h);
	st->priv = NULL;
}

/* RFC 9110 token characters (header names, methods). */
static int
http_is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return 0;
	}
	return 1;
}

/*
 * "application/json", "application/problem+json; charset=utf-8": a
 * Content-Type whose body is JSON.
 */
static int
http_is_json_type(const char *v)
{
	size_t n = strcspn(v, "; \t");

	return (n == 16 && strncasecmp(v, "application/json", 16) == 0) ||
	    (n >= 5 && strncasecmp(v + n - 5, "+json", 5) == 0);
}

/*
 * Checks a URL template: well-formed ${...}, http or https, and a URL
 * libcurl parses once each ${...} is replaced by a placeholder. Stores
 * the compiled template in *(struct tpl **)out; 0, or -1 with errbuf.
 */
static int
http_check_url(const char *url, void *out, char *errbuf, size_t errsz)
{
	struct tpl *t;
	char *probe;
	size_t i, j;
	int rc;

	if ((t = tpl_compile(url, TPL_URL, errbuf, errsz)) == NULL)
		return -1;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		snprintf(errbuf, errsz, "must start with http:// or https://");
		tpl_free(t);
		return -1;
	}
	probe = xmalloc(strlen(url) + 1);
	for (i = j = 0; url[i] != '\0'; i++) {
		if (url[i] == '$' && url[i + 1] == '{') {
			i = (size_t)(strchr(url + i, '}') - url);
			probe[j++] = 'x';
		} else
			probe[j++] = url[i];
	}
	probe[j] = '\0';
	rc = stage_curl_check_url(probe, errbuf, errsz);
	free(probe);
	if (rc != 0) {
		tpl_free(t);
		return -1;
	}
	*(struct tpl **)out = t;
	return 0;
}

/* Parses one "Name: value" header line into h. 0 or -1 (reported). */
static int
http_add_header(struct http *h, const struct stage *st, const char *line,
    int lineno, const char *file, struct diag *d)
{
	const char *colon, *value;
	struct tpl *t;
	char errbuf[256];
	size_t i, len;

	colon = strchr(line, ':');
	len = colon != NULL ? (size_t)(colon - line) : 0;
	if (colon == NULL || !http_is_token(line, len)) {
		diag_add(d, file, lineno, "stage \"%s\": header must be "
		    "\"Name: value\", such as header = Authorization: Bearer "
		    "TOKEN", st->name);
		return -1;
	}
	for (i = 0; http_reserved_headers[i] != NULL; i++) {
		if (strlen(http_reserved_headers[i]) == len &&
		    strncasecmp(line, http_reserved_headers[i], len) == 0) {
			diag_add(d, file, lineno, "stage \"%s\": header "
			    "%s is set by sipeatd", st->name,
			    http_reserved_headers[i]);
			return -1;
		}
	}
	value = colon + 1 + strspn(colon + 1, " \t");
	if ((t = tpl_compile(value, TPL_TEXT, errbuf, sizeof errbuf)) == NULL) {
		diag_add(d, file, lineno, "stage \"%s\": header %.*s: %s",
		    st->name, (int)len, line, errbuf);
		return -1;
	}
	if (len == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
		/* It picks the body's escaping, which must be known now. */
		if (strstr(value, "${") != NULL) {
			diag_add(d, file, lineno, "stage \"%s\": header "
			    "Content-Type cannot be a template: it decides how "
			    "the body's ${...} are escaped", st->name);
			tpl_free(t);
			return -1;
		}
		h->has_content_type = 1;
		h->json_body = http_is_json_type(value);
	}
	h->headers = xreallocarray(h->headers, h->nheaders + 1,
	    sizeof *h->headers);
	h->headers[h->nheaders].name = xstrndup(line, len);
	h->headers[h->nheaders].value = t;
	h->nheaders++;
	return 0;
}

static int
http_compile(struct stage *st, const struct stage_conf *sc, const char *file,
    struct diag *d)
{
	struct http *h;
	const char *v;
	char errbuf[256];
	size_t i;
	int line = sc->line, rc = 0;

	h = xcalloc(1, sizeof *h);
	h->verify = 1;
	h->json_body = 1;
	st->priv = h;

	if (stage_curl_conf_url(st, sc, file, d, http_check_url, &h->url) != 0)
		rc = -1;

	v = stage_conf_get(sc, "method", &line);
	if (v == NULL)
		v = "POST";
	if (!http_is_token(v, strlen(v))) {
		diag_add(d, file, line, "stage \"%s\": bad method \"%s\"",
		    st->name, v);
		rc = -1;
	} else {
		h->method = xstrdup(v);
		for (i = 0; h->method[i] != '\0'; i++)
			h->method[i] = (char)toupper((unsigned char)h->method[i]);
	}

	for (i = 0; i < sc->nkv; i++) {
		if (strcmp(sc->kv[i].key, "header") == 0 &&
		    http_add_header(h, st, sc->kv[i].value, sc->kv[i].line,
		    file, d) != 0)
			rc = -1;
	}

	/* The body's place depends on its Content-Type: headers first. */
	v = stage_conf_get(sc, "body", &line);
	if (v != NULL) {
		if (h->method != NULL && (strcmp(h->method, "GET") == 0 ||
		    strcmp(h->method, "HEAD") == 0)) {
			diag_add(d, file, line, "stage \"%s\": a %s request "
			    "has no body", st->name, h->method);
			rc = -1;
		} else if ((h->body = tpl_compile(v, h->json_body ? TPL_JSON :
		    TPL_TEXT, errbuf, sizeof errbuf)) == NULL) {
			diag_add(d, file, line, "stage \"%s\": body: %s",
			    st->name, errbuf);
			rc = -1;
		}
	}

	if (stage_curl_conf_verify(st, sc, file, d, "the server's certificate "
	    "is not checked, anyone on the path can read and change the "
	    "requests", &h->verify) != 0)
		rc = -1;

	if (rc != 0)
		http_free(st);
	return rc;
}

static size_t
http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n, keep;

	keep = len;
	if (r->len + keep > HTTP_RESPONSE_MAX)
		keep = HTTP_RESPONSE_MAX - r->len;
	if (keep > 0) {
		r->body = xrealloc(r->body, r->len + keep + 1);
		memcpy(r->body + r->len, data, keep);
		r->len += keep;
		r->body[r->len] = '\0';
	}
	/* The rest is read and dropped: the connection stays reusable. */
	return len;
}

/* Retry-After: delta-seconds or an HTTP date. Milliseconds, 0 if unusable. */
static int64_t
http_retry_after(const char *value)
{
	char *end;
	time_t when, now;
	long long secs;

	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		secs = strtoll(value, &end, 10);
		if (secs < 0 || secs > HTTP_RETRY_AFTER_MAX_MS / 1000)
			return HTTP_RETRY_AFTER_MAX_MS;
		return (int64_t)secs * 1000;
	}
	when = curl_getdate(value, NULL);
	now = time(NULL);
	if (when == -1 || when <= now)
		return 0;
	if (when - now > HTTP_RETRY_AFTER_MAX_MS / 1000)
		return HTTP_RETRY_AFTER_MAX_MS;
	return (int64_t)(when - now) * 1000;
}

static size_t
http_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n, l;
	char value[128];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): start over. */
		l = len < sizeof r->status_line ? len :
		    sizeof r->status_line - 1;
		memcpy(r->status_line, data, l);
		r->status_line[l] = '\0';
		r->status_line[strcspn(r->status_line, "\r\n")] = '\0';
		r->retry_after_ms = 0;
	} else if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		l = len - 12 < sizeof value ? len - 12 : sizeof value - 1;
		memcpy(value, data + 12, l);
		value[l] = '\0';
		value[strcspn(value, "\r\n")] = '\0';
		r->retry_after_ms = http_retry_after(value);
	}
	return len;
}

/*
 * The reason a non-2xx response gives: its JSON error or message field
 * (error may be an object with a message), else its status line.
 */
static void
http_reason(const struct http_response *r, long code, char *err, size_t errsz)
{
	json_object *root = NULL, *o, *m;
	const char *text = NULL;

	if (r->body != NULL)
		root = json_tokener_parse(r->body);
	if (root != NULL && json_object_is_type(root, json_type_object)) {
		if (json_object_object_get_ex(root, "error", &o)) {
			if (json_object_is_type(o, json_type_string))
				text = json_object_get_string(o);
			else if (json_object_is_type(o, json_type_object) &&
			    json_object_object_get_ex(o, "message", &m) &&
			    json_object_is_type(m, json_type_string))
				text = json_object_get_string(m);
		}
		if ((text == NULL || *text == '\0') &&
		    json_object_object_get_ex(root, "message", &o) &&
		    json_object_is_type(o, json_type_string))
			text = json_object_get_string(o);
	}
	if (text != NULL && *text != '\0')
		snprintf(err, errsz, "%s", text);
	else if (r->status_line[0] != '\0')
		snprintf(err, errsz, "%s", r->status_line);
	else
		snprintf(err, errsz, "HTTP status %ld", code);
	if (root != NULL)
		json_object_put(root);
	stage_clean_reason(err, HTTP_REASON_MAX);
}

/*
 * The request's headers: ours, then the stage's with their values expanded.
 * NULL with err when a value is missing or holds a line break.
 */
static struct curl_slist *
http_build_headers(const struct stage *st, const struct http *h,
    const struct event *ev, int has_body, char *err, size_t errsz)
{
	struct curl_slist *list = NULL, *n;
	char *value, *line;
	size_t i;

	line = xasprintf("Idempotency-Key: %s/%s", ev->id, st->name);
	list = curl_slist_append(list, line);
	free(line);
	/* Without this libcurl waits for a 100 Continue on bodies >1 KiB. */
	list = curl_slist_append(list, "Expect:");
	if (has_body && !h->has_content_type)
		list = curl_slist_append(list,
		    "Content-Type: application/json");
	for (i = 0; i < h->nheaders && list != NULL; i++) {
		value = tpl_expand(h->headers[i].value, ev, err, errsz);
		if (value == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		if (strpbrk(value, "\r\n") != NULL) {
			snprintf(err, errsz, "header %s: the value holds a "
			    "line break (refused)", h->headers[i].name);
			free(value);
			curl_slist_free_all(list);
			return NULL;
		}
		line = xasprintf("%s: %s", h->headers[i].name, value);
		n = curl_slist_append(list, line);
		free(line);
		free(value);
		if (n == NULL) {
			curl_slist_free_all(list);
			list = NULL;
		} else
			list = n;
	}
	if (list == NULL && err[0] == '\0')
		snprintf(err, errsz, "out of memory");
	return list;
}

static enum stage_status
http_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct http *h = st->priv;
	struct http_response r;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE], *url = NULL, *body = NULL;
	const char *payload = NULL;
	enum stage_status status;
	CURLcode cc;
	CURL *curl;
	long code = 0;
	int has_body;

	memset(&r, 0, sizeof r);
	curl = stage_curl_begin(st, ctx, "http,https", h->verify, errbuf, err,
	    errsz);
	if (curl == NULL)
		return STAGE_TRANSIENT;
	/* A missing field is permanent: a retry sees the same event. */
	status = STAGE_FAIL;
	url = tpl_expand(h->url, ev, err, errsz);
	if (url == NULL)
		goto out;
	has_body = strcmp(h->method, "GET") != 0 &&
	    strcmp(h->method, "HEAD") != 0;
	if (has_body && h->body != NULL) {
		body = tpl_expand(h->body, ev, err, errsz);
		if (body == NULL)
			goto out;
		payload = body;
	} else if (has_body)
		payload = event_json(ev);
	err[0] = '\0';
	headers = http_build_headers(st, h, ev, has_body, err, errsz);
	if (headers == NULL)
		goto out;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
	if (strcmp(h->method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(h->method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(payload));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload);
		if (strcmp(h->method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
			    h->method);
	}

	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		status = stage_curl_failure(st, cc, errbuf, err, errsz);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300) {
		status = STAGE_OK;
		goto out;
	}
	http_reason(&r, code, err, errsz);
	if (code >= 500 || code == 429) {
		status = STAGE_TRANSIENT;
		ctx->retry_after_ms = r.retry_after_ms;
	} else
		status = STAGE_FAIL;

out:
	stage_curl_end(ctx, curl);
	curl_slist_free_all(headers);
	free(r.body);
	free(body);
	free(url);
	return status;
}

const struct stage_action stage_http_action = {
	.name = "http",
	.compile = http_compile,
	.run = http_run,
	.free = http_free,
	.keys = http_keys,
};
