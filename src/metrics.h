/*
 * metrics.h -- process-wide counters and the state /healthz reports.
 *
 * Writers never wait: the counters are plain atomics that any thread bumps
 * without a lock (METRIC_INC and friends, metrics_event(),
 * metrics_stage_observe()). The label sets (handler types, stage names) are
 * fixed by metrics_init() at startup, before any worker runs, and only read
 * afterwards. The one lock, around the consumer-lag table, is taken only by
 * the librdkafka statistics callback (consumer thread) and the scraper.
 *
 * metrics_render() and metrics_health() format what the HTTP server
 * (metrics-http.c, --metrics ADDR:PORT) serves at /metrics and /healthz;
 * sipeatd also logs a summary of the counters at exit.
 *
 * Threads:
 *   metrics_init, metrics_webhooks_init, metrics_free,
 *   metrics_server_start/stop: main
 *   metrics_webhook, metrics_webhook_state, METRIC_WH_*: any (the
 *     notifier), lock-free
 *   metrics_event, metrics_stage_observe: any (workers), lock-free
 *   metrics_kafka_*: the consumer thread (its librdkafka callbacks)
 *   metrics_render, metrics_health: any (the metrics HTTP thread)
 *   metrics_addr_valid: any (pure)
 */
#ifndef SIPEAT_METRICS_H
#define SIPEAT_METRICS_H

#include <stdatomic.h>
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

struct metrics {
	_Atomic unsigned long	events_ok;
	_Atomic unsigned long	events_failed;		/* a stage failed */
	_Atomic unsigned long	events_invalid;		/* SPEC section 2 "invalid" */
	_Atomic unsigned long	dlq_produced;
	_Atomic unsigned long	dlq_errors;		/* failed attempts (dlq.c retries) */
	_Atomic unsigned long	embeds_sent;		/* events whose own embed was delivered */
	_Atomic unsigned long	embeds_digested;	/* events counted in a delivered digest */
	_Atomic unsigned long	embeds_dropped;		/* events never delivered: counted only */
	_Atomic unsigned long	failures_unlisted;	/* overflowed failures counted without their id */
	_Atomic unsigned long	failures_grouped;	/* of embeds_sent: in a grouped embed */
	_Atomic unsigned long	payloads;		/* webhook messages delivered (or printed) */
	_Atomic unsigned long	discord_requests[METRIC_DISCORD_CODES];	/* by answer */
	_Atomic unsigned long	discord_rate_limited;	/* 429 answers */
	_Atomic int		discord_webhook_gone;	/* 1 after a 404, until restart */
	_Atomic long		inflight;		/* received, not yet completed */
	_Atomic long		queue_depth;		/* used when metrics_init() had no queue */
	/* Kafka health, written by the consumer thread (metrics_kafka_*). */
	_Atomic int64_t		brokers_down_since;	/* now_ms() of ALL_BROKERS_DOWN; 0: up */
	_Atomic int		session_timeout_ms;
};

extern struct metrics metrics;

/* What /healthz says of one webhook. */
enum metric_webhook_state {
	METRIC_WEBHOOK_OK,
	METRIC_WEBHOOK_GONE,		/* answered 404: deleted */
	METRIC_WEBHOOK_FORUM,		/* 400 code 220001: needs thread_id */
};

/*
 * One webhook's notification counters: the sipeatd_discord_* families
 * with the label webhook="NAME" (never the URL). Registered by
 * metrics_webhooks_init(); bumped lock-free by the notifier with
 * METRIC_WH_INC() and friends, which also keep the process totals of
 * struct metrics (the exit summary) in step.
 */
struct metrics_webhook {
	char			*name;
	_Atomic unsigned long	 embeds_sent;
	_Atomic unsigned long	 embeds_digested;
	_Atomic unsigned long	 embeds_dropped;
	_Atomic unsigned long	 failures_unlisted;
	_Atomic unsigned long	 failures_grouped;
	_Atomic unsigned long	 payloads;
	_Atomic unsigned long	 discord_requests[METRIC_DISCORD_CODES];
	_Atomic unsigned long	 discord_rate_limited;
	_Atomic int		 state;		/* enum metric_webhook_state */
};

#define METRIC_INC(name)	atomic_fetch_add_explicit(&metrics.name, 1, memory_order_relaxed)
#define METRIC_ADD(name, n)	atomic_fetch_add_explicit(&metrics.name, (n), memory_order_relaxed)
#define METRIC_SET(name, v)	atomic_store_explicit(&metrics.name, (v), memory_order_relaxed)
#define METRIC_GET(name)	atomic_load_explicit(&metrics.name, memory_order_relaxed)
/* w: a struct metrics_webhook *, never NULL. */
#define METRIC_WH_ADD(w, name, n) do {					\
	atomic_fetch_add_explicit(&(w)->name, (n), memory_order_relaxed);	\
	METRIC_ADD(name, (n));						\
} while (0)
#define METRIC_WH_INC(w, name)	METRIC_WH_ADD(w, name, 1)
#define METRIC_WH_GET(w, name)	atomic_load_explicit(&(w)->name, memory_order_relaxed)

struct handlers;
struct queue;

/*
 * Fixes the label sets: one sipeatd_events_total series per handler type
 * and status (plus type="unknown" for invalid events), one histogram per
 * stage name (stages and undo targets). q, borrowed, gives
 * sipeatd_queue_depth. Main thread, once, before any worker starts; hs may
 * be NULL. Names are copied. Webhooks registered before are kept.
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
 * series is number slot (struct stage's metric: metrics_init() numbers
 * the stage names of hs in order, first seen first, the undo targets of
 * each handler after its stages); a wrong slot costs a search by name, a
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
