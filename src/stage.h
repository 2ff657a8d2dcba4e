/*
 * stage.h -- one step of a handler. Each action (validate, log, exec, http,
 * smtp, kafka) exports one const struct stage_action; stage.c lists them in
 * one table and runs a stage with its retry policy.
 *
 * Threads:
 *   stage_action_find, stage_compile, stage_free, stage_parse_bool,
 *   stage_split_argv, stage_argv_free: main (configuration)
 *   stage_run, stage_ctx_stopping, stage_curl_*: a worker, with its own ctx
 *   stage_clean_reason: any (pure)
 */
#ifndef SIPEAT_STAGE_H
#define SIPEAT_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "event.h"
#include "template.h"

struct stopflag;		/* util.h */

enum stage_status {
	STAGE_OK = 0,
	STAGE_FAIL,		/* permanent: not retried */
	STAGE_TRANSIENT,	/* timeout, connection error, 5xx/429, exit 75: retried */
};

/* Per-worker context handed to every stage run (never shared by threads). */
struct stage_ctx {
	int		 worker;	/* index, for log lines */
	struct stopflag	*stopping;	/* set: the daemon is shutting down */
	/*
	 * The worker's CURL easy handle (http, smtp): kept between runs for
	 * connection reuse, never used by another thread. NULL: an action
	 * makes a handle for the one call.
	 */
	void		*curl;
	struct producer	*producer;	/* the daemon's producer (kafka stage) */
	const void	*key;		/* the source message's Kafka key, or NULL */
	size_t		 keylen;
	/*
	 * Written by an attempt that failed transiently: the delay the server
	 * asked for (HTTP Retry-After) in ms, 0 for none. stage_run() clears
	 * it before each attempt and waits at least this long before the next.
	 */
	int64_t		 retry_after_ms;
};

struct stage;

struct stage_action {
	const char	*name;
	/*
	 * Reads the action's keys from sc into st->priv; appends problems
	 * to d as FILE:LINE. Returns 0 or -1. Generic keys (action, when,
	 * undo, timeout.ms, retries, retry.backoff.ms) are already parsed.
	 */
	int		 (*compile)(struct stage *st, const struct stage_conf *sc,
			     const char *file, struct diag *d);
	/* One attempt. On failure writes a one-line reason to err. */
	enum stage_status (*run)(const struct stage *st, const struct event *ev,
			     struct stage_ctx *ctx, char *err, size_t errsz);
	void		 (*free)(struct stage *st);
	/* Keys this action accepts besides the generic ones; NULL-terminated. */
	const char *const *keys;
};

struct stage {
	char				*name;
	const struct stage_action	*action;
	struct event_path		*when;		/* strategy only; NULL = always */
	struct stage			*undo;		/* command only; borrowed */
	int				 timeout_ms;	/* default 10000 */
	int				 retries;	/* default 2 */
	int				 retry_backoff_ms; /* default 200 */
	/*
	 * Its sipeatd_stage_duration_seconds series: the number
	 * metrics_init() gives the name and writes here (a hint metrics
	 * checks; 0 until then).
	 */
	size_t				 metric;
	void				*priv;		/* the action's compiled state */
};

extern const struct stage_action stage_validate_action;
extern const struct stage_action stage_log_action;
extern const struct stage_action stage_exec_action;
extern const struct stage_action stage_http_action;
extern const struct stage_action stage_smtp_action;
extern const struct stage_action stage_kafka_action;

const struct stage_action *stage_action_find(const char *name);
/*
 * Builds a stage from its section. pattern decides whether when/undo are
 * allowed (undo is resolved later by the handler builder: undo_name is
 * returned through *undo_name, borrowed from sc). NULL on error (in d).
 */
struct stage	*stage_compile(const struct stage_conf *sc, enum handler_pattern pattern,
		     const char *file, struct diag *d, const char **undo_name);
void		 stage_free(struct stage *st);
/*
 * Runs st with its retry policy: transient failures are retried up to
 * st->retries times, waiting retry_backoff_ms * 2^(n-1) plus up to 20%
 * jitter, or ctx->retry_after_ms when the failed attempt set a longer one;
 * no retry starts once *ctx->stopping is set. Returns STAGE_OK or the last
 * failure, reason in err.
 */
enum stage_status stage_run(const struct stage *st, const struct event *ev,
		     struct stage_ctx *ctx, char *err, size_t errsz);

/*
 * Non-zero once the daemon is stopping (ctx->stopping set by another
 * thread): an attempt in progress should give up promptly, transiently.
 */
int		 stage_ctx_stopping(const struct stage_ctx *ctx);
/*
 * Cuts s (NUL-terminated, in place) to at most max bytes without splitting
 * a UTF-8 sequence, and turns control characters into spaces: an error
 * text from a remote server becomes one safe line.
 */
void		 stage_clean_reason(char *s, size_t max);

/* Parses "true"/"false" (also yes/no, on/off, 1/0) (stage.c). 0 or -1. */
int		 stage_parse_bool(const char *value, int *out);

/*
 * Splits an exec command into words like sh(1) without expanding anything
 * (stage-exec.c). Returns 0 and a NULL-terminated *argv to free with
 * stage_argv_free(), or -1 with err ("unterminated single quote at column 5").
 */
int		 stage_split_argv(const char *s, char ***argv, char *err, size_t errsz);
void		 stage_argv_free(char **argv);

#endif
