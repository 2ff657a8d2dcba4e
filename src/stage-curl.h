/*
 * stage-curl.h -- the libcurl plumbing the http and smtp actions share
 * (stage-curl.c): the url and tls.verify keys at compile time, and per
 * attempt the easy handle, its common options and the failure text.
 *
 * Threads: stage_curl_conf_*() and stage_curl_check_url() run where the
 * configuration is compiled (main thread, or a test); the rest runs on the
 * calling worker's thread, on that worker's handle only.
 */
#ifndef SIPEAT_STAGE_CURL_H
#define SIPEAT_STAGE_CURL_H

#include <stddef.h>
#include <curl/curl.h>

#include "diag.h"
#include "stage.h"

/*
 * The required url key. check(url, out, errbuf, errsz) validates it and
 * stores the action's form of it in out; 0 or -1 with errbuf. Returns 0,
 * or -1 reported to d as "stage "NAME": ACTION needs a url" or "bad url".
 */
int		 stage_curl_conf_url(const struct stage *st,
		     const struct stage_conf *sc, const char *file,
		     struct diag *d, int (*check)(const char *url, void *out,
		     char *errbuf, size_t errsz), void *out);
/*
 * The optional tls.verify key into *verify (left as it is when absent).
 * false is warned about, naming risk ("the server's certificate is not
 * checked"). 0, or -1 reported to d.
 */
int		 stage_curl_conf_verify(const struct stage *st,
		     const struct stage_conf *sc, const char *file,
		     struct diag *d, const char *risk, int *verify);
/*
 * A URL libcurl parses and that names a host (the scheme is the caller's
 * to check). 0, or -1 with errbuf.
 */
int		 stage_curl_check_url(const char *url, char *errbuf,
		     size_t errsz);

/*
 * The easy handle for one attempt: the worker's (reset, connections kept)
 * or, when ctx->curl is NULL, a new one. Set on it: no signals,
 * st->timeout_ms, errbuf (CURL_ERROR_SIZE bytes) for libcurl's message, a
 * progress callback that aborts the transfer once the daemon is stopping,
 * the user agent, the allowed protocols ("http,https") and certificate
 * checks as verify says. NULL with err when no handle can be made (a
 * transient failure). Always pair with stage_curl_end().
 */
CURL		*stage_curl_begin(const struct stage *st, struct stage_ctx *ctx,
		     const char *protocols, int verify, char *errbuf,
		     char *err, size_t errsz);
/*
 * Ends an attempt: a handle made for it is released; the worker's keeps
 * its connections but loses every pointer into the caller's frame (error
 * buffer, header and recipient lists, body, upload, password). NULL is
 * allowed.
 */
void		 stage_curl_end(struct stage_ctx *ctx, CURL *curl);
/*
 * A failed curl_easy_perform() as a status and a reason in err: timeouts,
 * connection and transfer errors are transient, the rest (bad URL,
 * certificate, login) permanent.
 */
enum stage_status stage_curl_failure(const struct stage *st, CURLcode code,
		     const char *errbuf, char *err, size_t errsz);

#endif
