/*
 * discord.h -- the Discord webhook call: URL parsing and redaction, one
 * libcurl POST at a time on a private easy handle driven by a multi handle
 * (so its owner can sleep in curl_multi_poll and be woken from another
 * thread), and the pure parsing of Discord's answers and rate-limit
 * headers. The retry policy lives in notify.c; this module only reports.
 *
 * Threads:
 *   discord_webhook_parse, discord_webhook_free: main
 *   discord_response_*, discord_classify, discord_wait_ms,
 *   discord_backoff_ms: any (pure)
 *   discord_client_*: the thread that owns the client (the notifier;
 *   main for --test-discord), except discord_client_wakeup: any
 *   discord_send_test, discord_test_run: main, before any other thread
 *   discord_test_payloads: any (pure)
 */
#ifndef SIPEAT_DISCORD_H
#define SIPEAT_DISCORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* A webhook URL taken apart. Every string is owned by the struct. */
struct discord_webhook {
	char	*url;		/* what is posted to: .../api/v10/webhooks/ID/TOKEN (secret) */
	char	*id;
	char	*token;		/* the secret part */
	char	*shown;		/* the id with the token masked: safe to log */
};

/*
 * Parses a webhook URL as Discord shows it (http or https, any host,
 * /api/webhooks/ID/TOKEN, /api/vN/webhooks/ID/TOKEN, an optional query)
 * and normalises the path to API v10; a query other than wait= is kept.
 * Returns 0, or -1 with a message in err that never quotes the token.
 * Pure; any thread. Free with discord_webhook_free().
 */
int	discord_webhook_parse(const char *in, struct discord_webhook *wh,
	    char *err, size_t errsz);
void	discord_webhook_free(struct discord_webhook *wh);
/*
 * Posts into the thread thread_id (digits) of the webhook's channel: sets
 * ?thread_id= on wh->url, replacing one the URL had. Discord reads it only
 * from the query string, never from the body. 0, or -1 with err set.
 */
int	discord_webhook_set_thread(struct discord_webhook *wh,
	    const char *thread_id, char *err, size_t errsz);

/* What one answer said. -1 (or a negative value) means "not given". */
struct discord_response {
	long	 status;	/* HTTP status; 0 when no answer (transport error) */
	long	 limit;		/* X-RateLimit-Limit */
	long	 remaining;	/* X-RateLimit-Remaining */
	double	 reset_after;	/* X-RateLimit-Reset-After, seconds */
	double	 retry_after;	/* 429: body retry_after (seconds), else Retry-After */
	double	 retry_header;	/* Retry-After header, seconds */
	int	 global;	/* 429 body "global": true, or X-RateLimit-Global */
	long	 code;		/* Discord's JSON error code, 0 when none */
	char	 message[160];	/* Discord's JSON "message", or a transport error */
};

/* How the notifier must react to an answer. */
enum discord_class {
	DISCORD_OK,		/* 2xx: delivered */
	DISCORD_RATE_LIMITED,	/* 429: wait retry_after, same batch again */
	DISCORD_REJECTED,	/* 400 and other 4xx: the payload is bad */
	DISCORD_UNAUTHORIZED,	/* 401/403: bad token, back off for minutes */
	DISCORD_GONE,		/* 404: the webhook was deleted */
	DISCORD_RETRY,		/* 5xx or no answer: back off, same batch again */
};

/* Sets every field to "not given". */
void	discord_response_init(struct discord_response *r);
/*
 * Feeds one header line as libcurl's header callback gives it ("Name:
 * value\r\n", or a status line, which resets the rate-limit fields).
 * Unknown headers are ignored. Pure.
 */
void	discord_response_header(struct discord_response *r, const char *line,
	    size_t len);
/*
 * Feeds the body: reads retry_after (float seconds on API v10), global,
 * code and message when it is a JSON object. Anything else is ignored.
 */
void	discord_response_body(struct discord_response *r, const char *body,
	    size_t len);
enum discord_class discord_classify(const struct discord_response *r);
/*
 * What an operator should do about a refusal Discord explains by its code
 * (400 code 220001: the channel is a forum, which needs a thread_id), or
 * NULL. Static text; pure.
 */
const char *discord_advice(const struct discord_response *r);
/*
 * Milliseconds to wait before the next request on this webhook, from the
 * answer alone: retry_after on 429 (Retry-After when the body had none,
 * 1 s when neither), reset_after when remaining is 0, else 0. Rounded up.
 */
int64_t	discord_wait_ms(const struct discord_response *r);
/*
 * Exponential backoff with jitter: attempt 1 gives about base_ms, each
 * next one doubles, capped at max_ms; the result is drawn in [d/2, d].
 * *seed is the caller's rand_r state.
 */
int64_t	discord_backoff_ms(unsigned attempt, int64_t base_ms, int64_t max_ms,
	    unsigned *seed);

/*
 * The transport. One client per thread: a CURL multi handle with one easy
 * handle per webhook, called a slot (0, 1, ... in the order added), each
 * with at most one request in flight; only discord_client_wakeup() may be
 * called from another thread. curl_global_init() must have run before.
 */
struct discord_client;

/* A client without slots. timeout_ms bounds one request. NULL on failure. */
struct discord_client *discord_client_new(long timeout_ms, char *err,
	    size_t errsz);
/* Adds a slot posting to url (copied by libcurl). Its number, or -1. */
int	discord_client_add(struct discord_client *dc, const char *url,
	    char *err, size_t errsz);
/*
 * Starts posting payload (JSON; copied) on slot. -1 if the slot is busy
 * (a request in flight or an answer not taken) or the request cannot start.
 */
int	discord_client_start_at(struct discord_client *dc, int slot,
	    const char *payload);
/* 1 while slot has a request in flight or an answer not yet taken. */
int	discord_client_busy_at(const struct discord_client *dc, int slot);
/*
 * Runs the transfers and sleeps up to timeout_ms in curl_multi_poll (less
 * when an answer arrives or discord_client_wakeup() is called; not at all
 * while an answer waits to be taken). Answers are kept per slot.
 */
void	discord_client_run(struct discord_client *dc, int timeout_ms);
/*
 * 1 when slot's request finished: *r holds the answer (status 0 and
 * message set on a transport error) and the slot is free again. Else 0.
 */
int	discord_client_result(struct discord_client *dc, int slot,
	    struct discord_response *r);
/* Abandons slot's request, and its answer if not taken. */
void	discord_client_abort_at(struct discord_client *dc, int slot);

/*
 * The same with a single slot, 0: url NULL gives a client that only
 * sleeps and wakes (no webhook, or --dry-run).
 */
struct discord_client *discord_client_create(const char *url, long timeout_ms,
	    char *err, size_t errsz);
int	discord_client_start(struct discord_client *dc, const char *payload);
int	discord_client_busy(const struct discord_client *dc);
/* discord_client_run() and discord_client_result() of slot 0. */
int	discord_client_poll(struct discord_client *dc, int timeout_ms,
	    struct discord_response *r);
void	discord_client_abort(struct discord_client *dc);
/* Interrupts discord_client_run() and _poll(). Any thread. */
void	discord_client_wakeup(struct discord_client *dc);
void	discord_client_destroy(struct discord_client *dc);

struct webhook;

/*
 * --test-discord (discord-test.c): posts the five messages of SPEC section
 * 5 (plain text, a rich embed, a successful contact.created, a failed
 * request.created with "Error: Payment processing failed", a successful
 * machine.created) to each of the n webhooks in turn, as that webhook's
 * messages (username, mention on the failure, flags, thread_id), waiting
 * as the rate-limit headers say. Prints one line per message on out,
 * starting "webhook NAME: ", and "webhook NAME: FAILED" for each that
 * failed (never the token). Returns 0 when every message was accepted,
 * else the worst of: 78 (EX_CONFIG) for a webhook without a valid url, 69
 * (EX_UNAVAILABLE) when one could not be reached, 1 when Discord refused
 * one. Main thread, before other threads.
 */
int	discord_send_test(const struct webhook *hooks, size_t n, FILE *out);
/*
 * The five payloads discord_send_test() posts to wh, made at now, in
 * order (caller frees each). Pure: no I/O.
 */
void	discord_test_payloads(char *out[5], const struct webhook *wh,
	    time_t now);
/*
 * discord_send_test() in the foreground of a terminal: SIGINT and SIGTERM
 * (unblocked here) end the process at once with 128 + the signal.
 */
int	discord_test_run(const struct webhook *hooks, size_t n, FILE *out);

#endif
