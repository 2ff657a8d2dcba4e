/*
 * stage-curl.c -- the libcurl plumbing of the http and smtp actions.
 *
 * Both actions read a url and a tls.verify key, and run each attempt on the
 * worker's CURL easy handle (pool.c keeps one per worker, so a stage that
 * calls the same service for every event reuses the connection). What
 * they share lives here, once: the checks of those two keys, the handle
 * with the options every attempt carries, the drop of pointers into the
 * caller's frame when the attempt ends, and a failed transfer turned into
 * a status and a one-line reason. What a request or a message holds stays
 * with its action (stage-http.c, stage-smtp.c).
 */
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>

#include "stage-curl.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define STAGE_CURL_REASON_MAX	200		/* bytes of a failure reason */

int
stage_curl_conf_url(const struct stage *st, const struct stage_conf *sc,
    const char *file, struct diag *d, int (*check)(const char *url, void *out,
    char *errbuf, size_t errsz), void *out)
{
	const char *v;
	char errbuf[256];
	int line = sc->line;

	v = stage_conf_get(sc, "url", &line);
	if (v == NULL) {
		diag_add(d, file, sc->line, "stage \"%s\": %s needs a url",
		    st->name, st->action->name);
		return -1;
	}
	if (check(v, out, errbuf, sizeof errbuf) != 0) {
		diag_add(d, file, line, "stage \"%s\": bad url \"%s\": %s",
		    st->name, v, errbuf);
		return -1;
	}
	return 0;
}

int
stage_curl_conf_verify(const struct stage *st, const struct stage_conf *sc,
    const char *file, struct diag *d, const char *risk, int *verify)
{
	const char *v;
	int line = sc->line;

	v = stage_conf_get(sc, "tls.verify", &line);
	if (v == NULL)
		return 0;
	if (stage_parse_bool(v, verify) != 0) {
		diag_add(d, file, line, "stage \"%s\": tls.verify must be true "
		    "or false, not \"%s\"", st->name, v);
		return -1;
	}
	if (!*verify)
		diag_warn(d, file, line, "stage \"%s\": tls.verify = false: %s",
		    st->name, risk);
	return 0;
}

int
stage_curl_check_url(const char *url, char *errbuf, size_t errsz)
{
	CURLU *u;
	CURLUcode uc;
	char *host = NULL;
	int rc = 0;

	if ((u = curl_url()) == NULL) {
		snprintf(errbuf, errsz, "out of memory");
		return -1;
	}
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		snprintf(errbuf, errsz, "%s", curl_url_strerror(uc));
		rc = -1;
	} else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host == NULL || host[0] == '\0') {
		snprintf(errbuf, errsz, "no host");
		rc = -1;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/*
 * libcurl calls this about once a second even when nothing moves: a
 * non-zero return aborts the transfer, so a stopping daemon is never held
 * up by a slow server for longer than that.
 */
static int
stage_curl_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	return stage_ctx_stopping(arg);
}

CURL *
stage_curl_begin(const struct stage *st, struct stage_ctx *ctx,
    const char *protocols, int verify, char *errbuf, char *err, size_t errsz)
{
	CURL *curl = ctx->curl;

	if (curl != NULL)
		curl_easy_reset(curl);
	else if ((curl = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "cannot make a libcurl handle");
		return NULL;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)st->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)st->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, stage_curl_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, ctx);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "sipeatd/" PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, (long)verify);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	return curl;
}

void
stage_curl_end(struct stage_ctx *ctx, CURL *curl)
{
	if (curl == NULL)
		return;
	if (curl != ctx->curl) {
		curl_easy_cleanup(curl);
		return;
	}
	/* The worker's handle outlives the attempt's frame. */
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(curl, CURLOPT_READDATA, NULL);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, NULL);
}

enum stage_status
stage_curl_failure(const struct stage *st, CURLcode code, const char *errbuf,
    char *err, size_t errsz)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errsz, "timed out after %d ms", st->timeout_ms);
		return STAGE_TRANSIENT;
	case CURLE_ABORTED_BY_CALLBACK:
		snprintf(err, errsz, "abandoned: sipeatd is stopping");
		return STAGE_TRANSIENT;
	default:
		break;
	}
	snprintf(err, errsz, "%s", errbuf[0] != '\0' ? errbuf :
	    curl_easy_strerror(code));
	stage_clean_reason(err, STAGE_CURL_REASON_MAX);
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_AGAIN:
	case CURLE_SEND_FAIL_REWIND:
		return STAGE_TRANSIENT;
	default:
		return STAGE_FAIL;
	}
}
