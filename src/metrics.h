/*
 * metrics.h -- process-wide counters and the state /healthz reports.
 *
 * The counters live in metrics.c, out of reach: a caller names one with
 * enum metric and bumps it with metrics_inc() or metrics_add(), reads it
 * with metrics_get(). Writers never wait: each is one relaxed atomic add,
 * no lock, from any thread (they are counts; nothing is ordered by them).
 * The gauges have one setter each (metrics_set_inflight(),
 * metrics_kafka_*(), metrics_webhook_state()). The label sets (handler
 * types, stage names, webhooks) are fixed at startup, before any worker
 * or the notifier runs, and only read afterwards. The two locks, around
 * the consumer-lag table and the group error, are taken only by the
 * consumer thread (its librdkafka callbacks) and the scraper.
 *
 * metrics_render() and metrics_health() format what the HTTP server
 * (metrics-http.c, --metrics ADDR:PORT) serves at /metrics and /healthz;
 * sipeatd also logs a summary of the counters at exit (metrics_get()).
 *
 * Threads:
 *   metrics_init, metrics_webhooks_init, metrics_free,
 *   metrics_server_start/stop: main
 *   metrics_inc, metrics_add, metrics_get: any, lock-free
 *   metrics_event, metrics_stage_observe: any (workers), lock-free
 *   metrics_webhook, metrics_webhook_inc/add/get, metrics_webhook_state:
 *     any (the notifier), lock-free
 *   metrics_set_inflight, metrics_kafka_*: the consumer thread (it and
 *     its librdkafka callbacks)
 *   metrics_render, metrics_health: any (the metrics HTTP thread)
 *   metrics_addr_valid: any (pure)
 */
#ifndef SIPEAT_METRICS_H
#define SIPEAT_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Discord answers, for sipeatd_discord_requests_total{code}. */
enum metric_discord_code {
	METRIC_DISCORD_2XX,		/* code="2xx" */
	METRIC_DISCORD_400,		/* "400": 400 and other 4xx not below */
	METRIC_DISCORD_401,
	METRIC_DISCORD_403,
	METRIC_DISCORD_404,
	METRIC_DISCORD_429,
	METRIC_DISCORD_5XX,		/* "5xx" and anything odd */
	METRIC_DISCORD_ERROR,		/* "error": no answer (network, timeout) */
	METRIC_DISCORD_CODES
};

/* The status label of sipeatd_events_total. */
enum metric_event_status {
	METRIC_EVENT_OK,
	METRIC_EVENT_FAILED,		/* a stage failed */
	METRIC_EVENT_INVALID,		/* SPEC section 2 "invalid" */
	METRIC_EVENT_STATUSES
};

/*
 * The process counters. The first M_WEBHOOK_COUNTERS are the
 * sipeatd_discord_* families, also kept per webhook: metrics_webhook_add()
 * bumps the webhook's and the process total at once.
 */
enum metric {
	M_EMBEDS_SENT,		/* events whose own embed was delivered */
	M_EMBEDS_DIGESTED,	/* events counted in a delivered digest */
	M_EMBEDS_DROPPED,	/* events never delivered: counted only */
	M_FAILURES_UNLISTED,	/* overflowed failures counted, not listed */
	M_FAILURES_GROUPED,	/* of M_EMBEDS_SENT: in a grouped embed */
	M_PAYLOADS,		/* webhook messages delivered (or printed) */
	M_DISCORD_RATE_LIMITED,	/* 429 answers */
	M_DISCORD_REQUESTS,	/* by answer: M_DISCORD_REQUEST(code) */
	M_WEBHOOK_COUNTERS = M_DISCORD_REQUESTS + METRIC_DISCORD_CODES,

	M_EVENTS_OK = M_WEBHOOK_COUNTERS,
	M_EVENTS_FAILED,	/* a stage failed */
	M_EVENTS_INVALID,	/* SPEC section 2 "invalid" */
	M_DLQ_PRODUCED,		/* dead letters written */
	M_DLQ_ERRORS,		/* failed attempts (dlq.c retries) */
	M_COUNTERS
};
/* The counter of Discord answers c (enum metric_discord_code). */
#define M_DISCORD_REQUEST(c)	((enum metric)(M_DISCORD_REQUESTS + (c)))

/* Counter m plus 1, plus n. Any thread, lock-free; m out of range: no-op. */
void		 metrics_inc(enum metric m);
void		 metrics_add(enum metric m, unsigned long n);
/* The process total of m (0 out of range). Any thread. */
unsigned long	 metrics_get(enum metric m);
/*
 * Events received and not yet completed, for sipeatd_inflight_events.
 * The consumer thread.
 */
void		 metrics_set_inflight(long n);

/* What /healthz says of one webhook. */
enum metric_webhook_state {
	METRIC_WEBHOOK_OK,
	METRIC_WEBHOOK_GONE,		/* answered 404: deleted */
	METRIC_WEBHOOK_FORUM,		/* 400 code 220001: needs thread_id */
};

/*
 * One webhook's counters: the sipeatd_discord_* families with the label
 * webhook="NAME" (never the URL), and its /healthz state. Registered by
 * metrics_webhooks_init(); opaque.
 */
struct metrics_webhook;

struct handlers;
struct queue;

/*
 * Fixes the label sets: one sipeatd_events_total series per handler type
 * and status (plus type="unknown" for invalid events), one histogram per
 * stage name (stages and undo targets), whose number it writes into
 * each stage (struct stage's metric, for metrics_stage_observe()). q,
 * borrowed, gives sipeatd_queue_depth (0 when NULL). Main thread, once,
 * before any worker starts; hs may be NULL. Names are copied. Webhooks
 * registered before are kept.
 */
void		 metrics_init(const struct handlers *hs, const struct queue *q);
/*
 * Registers the n webhooks by name (copied), in the notifier's order: from
 * then on the sipeatd_discord_* families are rendered per webhook, with
 * webhook="NAME", and /healthz names each broken one. Main thread, before
 * the notifier starts. Without it the families carry no webhook label.
 */
void		 metrics_webhooks_init(const char *const *names, size_t n);
/* The counters of webhook i (metrics_webhooks_init order), or NULL. */
struct metrics_webhook *metrics_webhook(size_t i);
/*
 * Counter m (below M_WEBHOOK_COUNTERS, else a no-op) of webhook w plus 1,
 * plus n; the process total too. w never NULL. Any thread, lock-free.
 */
void		 metrics_webhook_inc(struct metrics_webhook *w,
		     enum metric m);
void		 metrics_webhook_add(struct metrics_webhook *w,
		     enum metric m, unsigned long n);
/* Webhook w's own count of m (0 out of range). Any thread. */
unsigned long	 metrics_webhook_get(const struct metrics_webhook *w,
		     enum metric m);
/* Sets what /healthz says of webhook w. Any thread. */
void		 metrics_webhook_state(struct metrics_webhook *w,
		     enum metric_webhook_state st);
/*
 * Frees what metrics_init() and metrics_webhooks_init() made. Main
 * thread, after every worker and the notifier ended.
 */
void		 metrics_free(void);

/*
 * Counts one processed event: type is the handler's type (ignored, and
 * counted as "unknown", for METRIC_EVENT_INVALID or a type not known to
 * metrics_init()). Any thread, lock-free.
 */
void		 metrics_event(const char *type, enum metric_event_status status);

/*
 * Adds ns nanoseconds to the histogram of the stage called name, whose
 * series is number slot (struct stage's metric, which metrics_init()
 * sets); a wrong slot costs a search by name, a
 * name unknown to metrics_init() is ignored. Any thread, lock-free, no
 * clock read.
 */
void		 metrics_stage_observe(size_t slot, const char *name,
		     uint64_t ns);

/* Kafka health; consumer thread. ms: the effective session.timeout.ms. */
void		 metrics_kafka_session_timeout(int ms);
/* since: now_ms() when every broker went down, 0 once one is up again. */
void		 metrics_kafka_brokers_down(int64_t since);
/* A fatal error: /healthz answers 503 with reason (copied) until exit. */
void		 metrics_kafka_fatal(const char *reason);
/*
 * The consumer group cannot be joined (JoinGroup or FindCoordinator refused
 * for good: group ACL, assignor or session timeout the group rejects):
 * /healthz answers 503 with reason (copied) until it is cleared with NULL,
 * once an assignment arrives (librdkafka keeps trying to join).
 */
void		 metrics_kafka_group_error(const char *reason);
/*
 * Takes one librdkafka statistics document (statistics.interval.ms): keeps
 * consumer_lag of every partition that has one for sipeatd_consumer_lag.
 * Returns 1 when at least one broker is UP, 0 when none is, -1 when json
 * does not parse. Consumer thread (the statistics callback).
 */
int		 metrics_kafka_stats(const char *json, size_t len);

/*
 * The Prometheus text exposition of every family, each with # HELP and
 * # TYPE. Returns a string the caller frees; *len set to its length. Any
 * thread; never blocks a writer.
 */
char		*metrics_render(size_t *len);
/*
 * 0 when healthy (SPEC section 8); -1 with the reasons, one per line, in
 * reason. Any thread.
 */
int		 metrics_health(char *reason, size_t reasonsz);

/*
 * The HTTP server of --metrics: /metrics and /healthz, on its own thread
 * (libmicrohttpd's). addr_port is "HOST:PORT", "[V6ADDR]:PORT" or ":PORT"
 * (every address); port 0 picks a free one, logged at info. NULL with err
 * set on failure. Main thread.
 */
struct metrics_server;
struct metrics_server	*metrics_server_start(const char *addr_port, char *err,
			     size_t errsz);
/* Checks the syntax of an ADDR:PORT argument: 0 or -1. */
int			 metrics_addr_valid(const char *addr_port);
/* Stops the server and joins its thread; NULL is a no-op. Main thread. */
void			 metrics_server_stop(struct metrics_server *ms);

#endif
