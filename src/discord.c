/*
 * discord.c -- the Discord webhook call.
 *
 * Design: three independent parts.
 *
 * - The URL: taken apart once at startup into id, token and the versioned
 *   URL actually posted to (SPEC section 4: unversioned URLs get API v6,
 *   where retry_after was in milliseconds, so we always post to v10). The
 *   token never appears in an error message; callers register it with
 *   log_add_secret() as well, so even libcurl's own messages are masked.
 *
 * - The answer: pure functions over header lines and the body, so the
 *   rate-limit arithmetic is unit-tested without a network.
 *
 * - The transport: one multi handle, and in it one easy handle per webhook
 *   (a slot), so that each webhook has at most one request in flight and
 *   a slow or rate-limited webhook never holds up another. The owner
 *   thread sleeps in curl_multi_poll(), which returns when an answer
 *   arrives, on its timeout, or when another thread calls
 *   curl_multi_wakeup(). The multi handle's connection cache keeps the
 *   connections to Discord alive between requests (an easy handle is
 *   removed and re-added for each).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "discord.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define DISCORD_BODY_MAX	8192	/* of an answer; Discord's are small */
#define DISCORD_CONNECT_MS	5000L

/* --- URL --- */

static int
all_chars(const char *s, size_t n, const char *extra)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return 0;
	}
	return 1;
}

/* Copies query (without '?') dropping wait=...; returns "" or "?...". */
static char *
keep_query(const char *q)
{
	char *out = xmalloc(strlen(q) + 2);
	size_t o = 0;

	while (*q != '\0') {
		size_t len = strcspn(q, "&");

		if (len > 0 && strncmp(q, "wait=", 5) != 0) {
			out[o] = o == 0 ? '?' : '&';
			o++;
			memcpy(out + o, q, len);
			o += len;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	out[o] = '\0';
	return out;
}

int
discord_webhook_parse(const char *in, struct discord_webhook *wh, char *err,
    size_t errsz)
{
	const char *p, *host, *path, *id, *tok, *end;
	size_t hostlen, idlen, toklen, schemelen;
	char *query;

	memset(wh, 0, sizeof *wh);
	if (strncmp(in, "https://", 8) == 0)
		schemelen = 8;
	else if (strncmp(in, "http://", 7) == 0)
		schemelen = 7;
	else {
		snprintf(err, errsz, "webhook URL must start with https:// or http://");
		return -1;
	}
	host = in + schemelen;
	hostlen = strcspn(host, "/?#");
	if (hostlen == 0 || host[hostlen] != '/') {
		snprintf(err, errsz, "webhook URL has no host or no path");
		return -1;
	}
	path = host + hostlen;
	if (strncmp(path, "/api/", 5) != 0)
		goto shape;
	p = path + 5;
	if (*p == 'v') {		/* a version: /api/vN/ */
		size_t n = strspn(p + 1, "0123456789");

		if (n == 0 || p[1 + n] != '/')
			goto shape;
		p += 2 + n;
	}
	if (strncmp(p, "webhooks/", 9) != 0)
		goto shape;
	id = p + 9;
	idlen = strspn(id, "0123456789");
	if (idlen == 0 || id[idlen] != '/')
		goto shape;
	tok = id + idlen + 1;
	toklen = strcspn(tok, "/?#");
	if (!all_chars(tok, toklen, "-_.") ||
	    (tok[toklen] == '/' && tok[toklen + 1] != '\0' &&
	    tok[toklen + 1] != '?'))
		goto shape;
	end = tok + toklen;
	if (*end == '/')
		end++;
	if (*end == '#' || (*end == '?' && strchr(end, '#') != NULL))
		goto shape;
	query = keep_query(*end == '?' ? end + 1 : "");

	wh->id = xstrndup(id, idlen);
	wh->token = xstrndup(tok, toklen);
	wh->url = xasprintf("%.*s/api/v10/webhooks/%s/%s%s",
	    (int)(schemelen + hostlen), in, wh->id, wh->token, query);
	wh->shown = xasprintf("\xe2\x80\xa6/webhooks/%s/***", wh->id);
	free(query);
	return 0;
shape:
	snprintf(err, errsz, "webhook URL is not of the form "
	    "https://discord.com/api/webhooks/ID/TOKEN");
	return -1;
}

void
discord_webhook_free(struct discord_webhook *wh)
{
	free(wh->url);
	free(wh->id);
	free(wh->token);
	free(wh->shown);
	memset(wh, 0, sizeof *wh);
}

int
discord_webhook_set_thread(struct discord_webhook *wh, const char *thread_id,
    char *err, size_t errsz)
{
	char *kept, *query, *url;
	size_t n = strspn(thread_id, "0123456789"), base;

	if (n == 0 || n > 20 || thread_id[n] != '\0') {
		snprintf(err, errsz, "thread_id: expected a thread's id (1 to 20 "
		    "digits)");
		return -1;
	}
	/* A thread_id= the URL had is blanked out: keep_query() skips it. */
	base = strcspn(wh->url, "?");
	kept = xstrdup(wh->url[base] == '?' ? wh->url + base + 1 : "");
	for (char *p = kept; *p != '\0';) {
		size_t len = strcspn(p, "&");

		if (strncmp(p, "thread_id=", 10) == 0)
			memset(p, '&', len);
		p += len;
		if (*p == '&')
			p++;
	}
	query = keep_query(kept);
	url = xasprintf("%.*s%s%cthread_id=%s", (int)base, wh->url, query,
	    *query == '\0' ? '?' : '&', thread_id);
	free(kept);
	free(query);
	free(wh->url);
	wh->url = url;
	return 0;
}

/* --- answers --- */

void
discord_response_init(struct discord_response *r)
{
	memset(r, 0, sizeof *r);
	r->limit = -1;
	r->remaining = -1;
	r->reset_after = -1;
	r->retry_after = -1;
	r->retry_header = -1;
}

/* Parses a non-negative number; -1 on garbage. */
static double
parse_num(const char *s, size_t n)
{
	char buf[64], *end;
	double v;

	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	if (end == buf || *end != '\0' || !isfinite(v) || v < 0)
		return -1;
	return v;
}

/*
 * A request count from a header: -1 when absent or negative, and capped,
 * since converting a huge double to long is undefined (found by
 * fuzz_ratelimit under UBSan).
 */
static long
header_count(double d)
{
	if (d < 0)
		return -1;
	return d > 1e9 ? 1000000000L : (long)d;
}

void
discord_response_header(struct discord_response *r, const char *line,
    size_t len)
{
	const char *colon, *v;
	size_t namelen, vlen;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue, say): forget the last. */
		const char *sp = memchr(line, ' ', len);

		discord_response_init(r);
		if (sp != NULL)
			r->status = strtol(sp + 1, NULL, 10);
		return;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	namelen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - namelen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
#define IS(name) (namelen == sizeof(name) - 1 && \
	strncasecmp(line, name, namelen) == 0)
	if (IS("X-RateLimit-Limit"))
		r->limit = header_count(parse_num(v, vlen));
	else if (IS("X-RateLimit-Remaining"))
		r->remaining = header_count(parse_num(v, vlen));
	else if (IS("X-RateLimit-Reset-After"))
		r->reset_after = parse_num(v, vlen);
	else if (IS("Retry-After"))
		r->retry_header = parse_num(v, vlen);
	else if (IS("X-RateLimit-Global"))
		r->global = vlen == 4 && strncasecmp(v, "true", 4) == 0;
#undef IS
}

void
discord_response_body(struct discord_response *r, const char *body, size_t len)
{
	json_tokener *tok;
	json_object *o, *v;

	if (len == 0 || len > DISCORD_BODY_MAX)
		return;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, body, (int)len);
	json_tokener_free(tok);
	if (o == NULL)
		return;
	if (json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "retry_after", &v) &&
		    (json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_int))) {
			double d = json_object_get_double(v);

			if (isfinite(d) && d >= 0)
				r->retry_after = d;
		}
		if (json_object_object_get_ex(o, "global", &v) &&
		    json_object_is_type(v, json_type_boolean))
			r->global = r->global || json_object_get_boolean(v);
		if (json_object_object_get_ex(o, "code", &v) &&
		    json_object_is_type(v, json_type_int))
			r->code = (long)json_object_get_int64(v);
		if (json_object_object_get_ex(o, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			str_copy(r->message, json_object_get_string(v),
			    sizeof r->message);
	}
	json_object_put(o);
}

enum discord_class
discord_classify(const struct discord_response *r)
{
	long s = r->status;

	if (s >= 200 && s < 300)
		return DISCORD_OK;
	if (s == 429)
		return DISCORD_RATE_LIMITED;
	if (s == 401 || s == 403)
		return DISCORD_UNAUTHORIZED;
	if (s == 404)
		return DISCORD_GONE;
	if (s == 408)
		return DISCORD_RETRY;
	if (s >= 400 && s < 500)
		return DISCORD_REJECTED;
	return DISCORD_RETRY;		/* 5xx, no answer, anything odd */
}

const char *
discord_advice(const struct discord_response *r)
{
	if (r->status == 400 && r->code == 220001)
		return "the webhook's channel is a forum: posts there need a "
		    "thread (set thread_id of an existing thread in the webhook's "
		    "section, or point the webhook at a text channel)";
	return NULL;
}

static int64_t
seconds_to_ms(double s)
{
	/*
	 * Discord's waits are seconds long. A longer one is a broken or
	 * hostile answer: waiting an hour is as long as the notifier may go
	 * silent before somebody should look (found by fuzz_ratelimit).
	 */
	if (s > 3600)
		s = 3600;
	double ms = s * 1000.0;
	int64_t whole = (int64_t)ms;

	return (double)whole < ms ? whole + 1 : whole;
}

int64_t
discord_wait_ms(const struct discord_response *r)
{
	if (r->status == 429) {
		if (r->retry_after >= 0)
			return seconds_to_ms(r->retry_after);
		if (r->retry_header >= 0)
			return seconds_to_ms(r->retry_header);
		return 1000;
	}
	if (r->remaining == 0 && r->reset_after >= 0)
		return seconds_to_ms(r->reset_after);
	return 0;
}

int64_t
discord_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms,
    unsigned *seed)
{
	int64_t d = base_ms;

	for (unsigned i = 1; i < attempt && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (d < 2)
		return d;
	return d / 2 + (int64_t)(rand_r(seed) % (d / 2 + 1));
}

/* --- transport --- */

/* One webhook's easy handle and the request it carries. */
struct discord_conn {
	CURL			*easy;
	char			*payload;
	int			 busy;		/* in the multi handle */
	int			 done;		/* answer in result, not yet taken */
	struct discord_response	 resp;		/* filled by the callbacks */
	struct discord_response	 result;
	char			 body[DISCORD_BODY_MAX];
	size_t			 bodylen;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct discord_client {
	CURLM			*multi;
	struct curl_slist	*headers;	/* shared by every easy handle */
	long			 timeout_ms;
	struct discord_conn	**conns;	/* one per webhook (slot) */
	size_t			 nconns;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct discord_conn *c = arg;
	size_t n = size * nmemb, room = sizeof c->body - c->bodylen;

	memcpy(c->body + c->bodylen, ptr, n < room ? n : room);
	c->bodylen += n < room ? n : room;
	return n;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct discord_conn *c = arg;

	discord_response_header(&c->resp, ptr, size * nmemb);
	return size * nmemb;
}

struct discord_client *
discord_client_new(long timeout_ms, char *err, size_t errsz)
{
	struct discord_client *dc = xcalloc(1, sizeof *dc);

	dc->multi = curl_multi_init();
	if (dc->multi == NULL) {
		snprintf(err, errsz, "curl_multi_init failed");
		free(dc);
		return NULL;
	}
	dc->timeout_ms = timeout_ms;
	dc->headers = curl_slist_append(NULL, "Content-Type: application/json");
	dc->headers = curl_slist_append(dc->headers, "Expect:");
	return dc;
}

int
discord_client_add(struct discord_client *dc, const char *url, char *err,
    size_t errsz)
{
	struct discord_conn *c = xcalloc(1, sizeof *c);
	long t = dc->timeout_ms;

	c->easy = curl_easy_init();
	if (c->easy == NULL) {
		snprintf(err, errsz, "curl_easy_init failed");
		free(c);
		return -1;
	}
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, dc->headers);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "sipeatd/" PACKAGE_VERSION);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, t);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS,
	    t < DISCORD_CONNECT_MS ? t : DISCORD_CONNECT_MS);
	curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	dc->conns = xreallocarray(dc->conns, dc->nconns + 1, sizeof *dc->conns);
	dc->conns[dc->nconns] = c;
	return (int)dc->nconns++;
}

struct discord_client *
discord_client_create(const char *url, long timeout_ms, char *err, size_t errsz)
{
	struct discord_client *dc = discord_client_new(timeout_ms, err, errsz);

	if (dc != NULL && url != NULL &&
	    discord_client_add(dc, url, err, errsz) < 0) {
		discord_client_destroy(dc);
		return NULL;
	}
	return dc;
}

static struct discord_conn *
conn(const struct discord_client *dc, int slot)
{
	return slot >= 0 && (size_t)slot < dc->nconns ? dc->conns[slot] : NULL;
}

int
discord_client_start_at(struct discord_client *dc, int slot,
    const char *payload)
{
	struct discord_conn *c = conn(dc, slot);

	if (c == NULL || c->busy || c->done)
		return -1;
	free(c->payload);
	c->payload = xstrdup(payload);
	discord_response_init(&c->resp);
	c->bodylen = 0;
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->payload);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(c->payload));
	if (curl_multi_add_handle(dc->multi, c->easy) != CURLM_OK)
		return -1;
	c->busy = 1;
	return 0;
}

int
discord_client_start(struct discord_client *dc, const char *payload)
{
	return discord_client_start_at(dc, 0, payload);
}

int
discord_client_busy_at(const struct discord_client *dc, int slot)
{
	const struct discord_conn *c = conn(dc, slot);

	return c != NULL && (c->busy || c->done);
}

int
discord_client_busy(const struct discord_client *dc)
{
	return discord_client_busy_at(dc, 0);
}

/* Runs the transfers; each one that finished keeps its answer (done). */
static void
collect(struct discord_client *dc)
{
	struct discord_conn *c;
	CURLMsg *msg;
	int running, left;
	char *priv;

	curl_multi_perform(dc->multi, &running);
	while ((msg = curl_multi_info_read(dc->multi, &left)) != NULL) {
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		c = (struct discord_conn *)(void *)priv;
		if (c == NULL || !c->busy)
			continue;
		curl_multi_remove_handle(dc->multi, c->easy);
		c->busy = 0;
		c->done = 1;
		c->result = c->resp;
		if (msg->data.result != CURLE_OK) {
			discord_response_init(&c->result);
			str_copy(c->result.message, c->errbuf[0] != '\0' ?
			    c->errbuf : curl_easy_strerror(msg->data.result),
			    sizeof c->result.message);
			continue;
		}
		curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		c->result.status = status;
		discord_response_body(&c->result, c->body, c->bodylen);
	}
}

static int
any_done(const struct discord_client *dc)
{
	for (size_t i = 0; i < dc->nconns; i++) {
		if (dc->conns[i]->done)
			return 1;
	}
	return 0;
}

static int
any_busy(const struct discord_client *dc)
{
	for (size_t i = 0; i < dc->nconns; i++) {
		if (dc->conns[i]->busy)
			return 1;
	}
	return 0;
}

void
discord_client_run(struct discord_client *dc, int timeout_ms)
{
	if (any_busy(dc))
		collect(dc);
	if (any_done(dc))
		timeout_ms = 0;		/* an answer waits: do not sleep */
	curl_multi_poll(dc->multi, NULL, 0, timeout_ms < 0 ? 0 : timeout_ms, NULL);
	if (any_busy(dc))
		collect(dc);
}

int
discord_client_result(struct discord_client *dc, int slot,
    struct discord_response *r)
{
	struct discord_conn *c = conn(dc, slot);

	if (c == NULL || !c->done)
		return 0;
	c->done = 0;
	*r = c->result;
	return 1;
}

int
discord_client_poll(struct discord_client *dc, int timeout_ms,
    struct discord_response *r)
{
	if (discord_client_result(dc, 0, r))
		return 1;
	discord_client_run(dc, timeout_ms);
	return discord_client_result(dc, 0, r);
}

void
discord_client_abort_at(struct discord_client *dc, int slot)
{
	struct discord_conn *c = conn(dc, slot);

	if (c == NULL)
		return;
	if (c->busy)
		curl_multi_remove_handle(dc->multi, c->easy);
	c->busy = 0;
	c->done = 0;
}

void
discord_client_abort(struct discord_client *dc)
{
	discord_client_abort_at(dc, 0);
}

void
discord_client_wakeup(struct discord_client *dc)
{
	curl_multi_wakeup(dc->multi);
}

void
discord_client_destroy(struct discord_client *dc)
{
	if (dc == NULL)
		return;
	for (size_t i = 0; i < dc->nconns; i++) {
		struct discord_conn *c = dc->conns[i];

		discord_client_abort_at(dc, (int)i);
		curl_easy_cleanup(c->easy);
		free(c->payload);
		free(c);
	}
	free(dc->conns);
	curl_multi_cleanup(dc->multi);
	curl_slist_free_all(dc->headers);
	free(dc);
}
