/*
 * metrics.c -- the process counters, the labelled families, and their
 * Prometheus text rendering (the HTTP side is metrics-http.c).
 *
 * Design: every series a worker touches exists before the first worker
 * starts (metrics_init), in arrays that are never resized, so a worker's
 * update is a search over a few names and one relaxed atomic add -- no lock,
 * no allocation. A histogram keeps per-bucket (not cumulative) counts and
 * the scraper accumulates them; _count is the sum of the buckets read, so a
 * scrape is always self-consistent even while workers write.
 *
 * The counters are one array indexed by enum metric, the per-webhook ones
 * one array each of the first M_WEBHOOK_COUNTERS; none of it is visible
 * outside this file.
 *
 * The consumer-lag table is replaced wholesale by each statistics callback
 * (built outside the lock, swapped under it) and read under the same lock
 * by the scraper. lag_lock and group_lock (the group error) are the only
 * locks here; neither is taken while the other is held.
 *
 * The rendering is one table, families[], walked in order: each family's
 * # HELP and # TYPE, then its samples by the family's render function.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "buf.h"
#include "handler.h"
#include "metrics.h"
#include "queue.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* enum metric: the process totals. */
static _Atomic unsigned long	 counters[M_COUNTERS];

/* The gauges, one setter each. */
static _Atomic long		 inflight;	/* received, not completed */
static _Atomic int64_t		 brokers_down_since; /* now_ms(); 0: up */
static _Atomic int		 session_timeout_ms;

struct metrics_webhook {
	char			*name;
	_Atomic unsigned long	 n[M_WEBHOOK_COUNTERS];	/* by enum metric */
	_Atomic int		 state;	/* enum metric_webhook_state */
};

/* Upper bounds of sipeatd_stage_duration_seconds, in seconds. */
static const double stage_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30
};
#define NBOUNDS (sizeof stage_bounds / sizeof stage_bounds[0])

struct type_series {
	char			*type;
	_Atomic unsigned long	 n[METRIC_EVENT_STATUSES];
};

/*
 * One stage's histogram as one thread adds to it. Every stage has
 * STAGE_SHARDS of them, one per observing thread (a worker takes the next
 * shard the first time it observes, modulo STAGE_SHARDS): the workers'
 * adds then stay in their own cache lines instead of bouncing one line
 * between cores per stage run. The render sums the shards.
 */
#define STAGE_SHARDS	8
struct stage_shard {
	_Atomic uint64_t	 buckets[NBOUNDS + 1];	/* the last: above every bound */
	_Atomic uint64_t	 sum_ns;
};

struct stage_hist {
	char			*name;
};

struct lag_entry {
	char			*topic;
	int32_t			 partition;
	int64_t			 lag;
};

/* Fixed by metrics_init(); the last type entry is "unknown". */
static struct type_series	*types;
static size_t			 ntypes;
static struct stage_hist	*stages;
static size_t			 nstages;
/*
 * STAGE_SHARDS blocks of nstages histograms, each block starting on its
 * own cache line (shard_stride bytes apart): made by metrics_init().
 */
static char			*shard_mem;
static void			*shard_raw;	/* what to free */
static size_t			 shard_stride;
static _Atomic unsigned		 shard_next;
static const struct queue	*depth_queue;
static struct metrics_webhook	*hooks;		/* metrics_webhooks_init() */
static size_t			 nhooks;
static int64_t			 start_time;	/* wall clock, seconds */

static pthread_mutex_t		 lag_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lag_entry		*lags;
static size_t			 nlags;

/* 0: no fatal error; 1: being written; 2: fatal_reason is set. */
static _Atomic int		 fatal_state;
static char			 fatal_reason[512];

/* The group's last unrecoverable error; "" when none. */
static pthread_mutex_t		 group_lock = PTHREAD_MUTEX_INITIALIZER;
static char			 group_reason[512];


/* The series of the stage called name, added if new: its number. */
static size_t
add_stage(const char *name)
{
	for (size_t i = 0; i < nstages; i++) {
		if (strcmp(stages[i].name, name) == 0)
			return i;
	}
	stages = xreallocarray(stages, nstages + 1, sizeof *stages);
	memset(&stages[nstages], 0, sizeof stages[nstages]);
	stages[nstages].name = xstrdup(name);
	return nstages++;
}

static void free_series(void);

/* The shards of every stage, zeroed; a block per shard, cache-aligned. */
static void
shards_make(void)
{
	size_t	 size;

	shard_stride = (nstages * sizeof(struct stage_shard) + 63) / 64 * 64;
	if (shard_stride == 0)
		shard_stride = 64;
	size = STAGE_SHARDS * shard_stride;
	shard_raw = xcalloc(1, size + 63);
	shard_mem = (char *)shard_raw + (64 - (uintptr_t)shard_raw % 64) % 64;
}

/* Stage i's histogram in shard k. */
static struct stage_shard *
shard_of(size_t k, size_t i)
{
	return (struct stage_shard *)(void *)(shard_mem + k * shard_stride) + i;
}

void
metrics_init(const struct handlers *hs, const struct queue *q)
{
	size_t n = hs != NULL ? hs->n : 0;

	free_series();	/* not the webhooks: the notifier registers them */
	types = xcalloc(n + 1, sizeof *types);
	for (size_t i = 0; i < n; i++) {
		const struct handler *h = &hs->v[i];

		types[ntypes++].type = xstrdup(h->type);
		/* Each stage learns its series: no search per run. */
		for (size_t j = 0; j < h->nstages; j++)
			h->stages[j]->metric = add_stage(h->stages[j]->name);
		for (size_t j = 0; j < h->nundo; j++)
			h->undo_stages[j]->metric =
			    add_stage(h->undo_stages[j]->name);
	}
	types[ntypes++].type = xstrdup("unknown");
	shards_make();
	depth_queue = q;
	start_time = (int64_t)time(NULL);
}

void
metrics_webhooks_init(const char *const *names, size_t n)
{
	for (size_t i = 0; i < nhooks; i++)
		free(hooks[i].name);
	free(hooks);
	hooks = n > 0 ? xcalloc(n, sizeof *hooks) : NULL;
	nhooks = n;
	for (size_t i = 0; i < n; i++)
		hooks[i].name = xstrdup(names[i]);
}

struct metrics_webhook *
metrics_webhook(size_t i)
{
	return i < nhooks ? &hooks[i] : NULL;
}

void
metrics_inc(enum metric m)
{
	metrics_add(m, 1);
}

void
metrics_add(enum metric m, unsigned long n)
{
	if ((unsigned)m < M_COUNTERS)
		atomic_fetch_add_explicit(&counters[m], n,
		    memory_order_relaxed);
}

unsigned long
metrics_get(enum metric m)
{
	if ((unsigned)m >= M_COUNTERS)
		return 0;
	return atomic_load_explicit(&counters[m], memory_order_relaxed);
}

void
metrics_set_inflight(long n)
{
	atomic_store_explicit(&inflight, n, memory_order_relaxed);
}

void
metrics_webhook_inc(struct metrics_webhook *w, enum metric m)
{
	metrics_webhook_add(w, m, 1);
}

void
metrics_webhook_add(struct metrics_webhook *w, enum metric m, unsigned long n)
{
	if ((unsigned)m >= M_WEBHOOK_COUNTERS)
		return;
	atomic_fetch_add_explicit(&w->n[m], n, memory_order_relaxed);
	atomic_fetch_add_explicit(&counters[m], n, memory_order_relaxed);
}

unsigned long
metrics_webhook_get(const struct metrics_webhook *w, enum metric m)
{
	if ((unsigned)m >= M_WEBHOOK_COUNTERS)
		return 0;
	return atomic_load_explicit(&w->n[m], memory_order_relaxed);
}

void
metrics_webhook_state(struct metrics_webhook *w, enum metric_webhook_state st)
{
	atomic_store_explicit(&w->state, (int)st, memory_order_relaxed);
}

void
metrics_free(void)
{
	metrics_webhooks_init(NULL, 0);
	free_series();
}

/* Frees what metrics_init() made. */
static void
free_series(void)
{
	for (size_t i = 0; i < ntypes; i++)
		free(types[i].type);
	free(types);
	types = NULL;
	ntypes = 0;
	for (size_t i = 0; i < nstages; i++)
		free(stages[i].name);
	free(stages);
	stages = NULL;
	nstages = 0;
	free(shard_raw);
	shard_raw = NULL;
	shard_mem = NULL;
	depth_queue = NULL;
	pthread_mutex_lock(&lag_lock);
	for (size_t i = 0; i < nlags; i++)
		free(lags[i].topic);
	free(lags);
	lags = NULL;
	nlags = 0;
	pthread_mutex_unlock(&lag_lock);
}

void
metrics_event(const char *type, enum metric_event_status status)
{
	struct type_series *t = NULL;

	if (ntypes == 0 || (unsigned)status >= METRIC_EVENT_STATUSES)
		return;
	if (status != METRIC_EVENT_INVALID && type != NULL) {
		for (size_t i = 0; i + 1 < ntypes; i++) {
			if (strcmp(types[i].type, type) == 0) {
				t = &types[i];
				break;
			}
		}
	}
	if (t == NULL)
		t = &types[ntypes - 1];
	atomic_fetch_add_explicit(&t->n[status], 1, memory_order_relaxed);
}

void
metrics_stage_observe(size_t slot, const char *name, uint64_t ns)
{
	static _Thread_local unsigned shard;	/* 0: none yet, else k + 1 */
	struct stage_shard *sh;
	double s = (double)ns / 1e9;
	size_t b, i = slot;

	/* The slot is checked, so that a stale one never miscounts. */
	if (i >= nstages || strcmp(stages[i].name, name) != 0) {
		for (i = 0; i < nstages; i++) {
			if (strcmp(stages[i].name, name) == 0)
				break;
		}
		if (i == nstages)
			return;
	}
	for (b = 0; b < NBOUNDS && s > stage_bounds[b]; b++)
		;
	if (shard == 0)
		shard = atomic_fetch_add_explicit(&shard_next, 1,
		    memory_order_relaxed) % STAGE_SHARDS + 1;
	sh = shard_of(shard - 1, i);
	atomic_fetch_add_explicit(&sh->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sh->sum_ns, ns, memory_order_relaxed);
}

void
metrics_kafka_session_timeout(int ms)
{
	atomic_store_explicit(&session_timeout_ms, ms, memory_order_relaxed);
}

void
metrics_kafka_brokers_down(int64_t since)
{
	atomic_store_explicit(&brokers_down_since, since, memory_order_relaxed);
}

void
metrics_kafka_fatal(const char *reason)
{
	int expected = 0;

	/* The first fatal error is the one that counts; it is never cleared. */
	if (!atomic_compare_exchange_strong(&fatal_state, &expected, 1))
		return;
	snprintf(fatal_reason, sizeof fatal_reason, "%s", reason);
	atomic_store_explicit(&fatal_state, 2, memory_order_release);
}

void
metrics_kafka_group_error(const char *reason)
{
	pthread_mutex_lock(&group_lock);
	snprintf(group_reason, sizeof group_reason, "%s", reason != NULL ? reason : "");
	pthread_mutex_unlock(&group_lock);
}

static int
lag_cmp(const void *a, const void *b)
{
	const struct lag_entry *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	if (c != 0)
		return c;
	return (x->partition > y->partition) - (x->partition < y->partition);
}

int
metrics_kafka_stats(const char *json, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root, *topics, *brokers, *v;
	struct lag_entry *nl = NULL, *old;
	size_t n = 0, nold;
	int up = 0;

	root = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -1;
	}
	if (json_object_object_get_ex(root, "brokers", &brokers) &&
	    json_object_is_type(brokers, json_type_object)) {
		json_object_object_foreach(brokers, bname, b) {
			const char *state = NULL, *source = NULL;

			(void)bname;
			if (json_object_object_get_ex(b, "state", &v))
				state = json_object_get_string(v);
			if (json_object_object_get_ex(b, "source", &v))
				source = json_object_get_string(v);
			/* The internal broker is always "UP": it is no connection. */
			if (state != NULL && strcmp(state, "UP") == 0 &&
			    (source == NULL || strcmp(source, "internal") != 0))
				up = 1;
		}
	}
	if (json_object_object_get_ex(root, "topics", &topics) &&
	    json_object_is_type(topics, json_type_object)) {
		json_object_object_foreach(topics, tname, t) {
			json_object *parts;

			if (!json_object_object_get_ex(t, "partitions", &parts) ||
			    !json_object_is_type(parts, json_type_object))
				continue;
			json_object_object_foreach(parts, pname, p) {
				int64_t lag;
				int32_t pn;

				(void)pname;
				if (!json_object_object_get_ex(p, "partition", &v))
					continue;
				pn = json_object_get_int(v);
				/* -1: the "unassigned" pseudo partition. */
				if (pn < 0 || !json_object_object_get_ex(p,
				    "consumer_lag", &v))
					continue;
				lag = json_object_get_int64(v);
				if (lag < 0)	/* unknown: not consumed here */
					continue;
				nl = xreallocarray(nl, n + 1, sizeof *nl);
				nl[n].topic = xstrdup(tname);
				nl[n].partition = pn;
				nl[n].lag = lag;
				n++;
			}
		}
	}
	json_object_put(root);
	if (n > 1)
		qsort(nl, n, sizeof *nl, lag_cmp);

	pthread_mutex_lock(&lag_lock);
	old = lags;
	nold = nlags;
	lags = nl;
	nlags = n;
	pthread_mutex_unlock(&lag_lock);
	for (size_t i = 0; i < nold; i++)
		free(old[i].topic);
	free(old);
	return up;
}

/* Appends one line of reasons to the buffer r of size sz (truncating). */
static void SIPEAT_PRINTFLIKE(4, 5)
reason_add(char *r, size_t sz, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r + *off, sz - *off, fmt, ap);
	va_end(ap);
	*off += n > 0 && (size_t)n < sz - *off ? (size_t)n : sz - *off - 1;
}

int
metrics_health(char *reason, size_t reasonsz)
{
	int64_t since = atomic_load_explicit(&brokers_down_since,
	    memory_order_relaxed);
	int timeout = atomic_load_explicit(&session_timeout_ms,
	    memory_order_relaxed);
	size_t off = 0;

	if (reasonsz == 0)
		return -1;
	reason[0] = '\0';
	if (atomic_load_explicit(&fatal_state, memory_order_acquire) == 2)
		reason_add(reason, reasonsz, &off, "kafka: fatal error: %s\n",
		    fatal_reason);
	pthread_mutex_lock(&group_lock);
	if (group_reason[0] != '\0')
		reason_add(reason, reasonsz, &off, "kafka: cannot join the "
		    "consumer group: %s\n", group_reason);
	pthread_mutex_unlock(&group_lock);
	if (since != 0 && timeout > 0 && now_ms() - since > timeout)
		reason_add(reason, reasonsz, &off, "kafka: no broker reachable "
		    "for %lld ms (longer than session.timeout.ms %d)\n",
		    (long long)(now_ms() - since), timeout);
	for (size_t i = 0; i < nhooks; i++) {
		int st = atomic_load_explicit(&hooks[i].state,
		    memory_order_relaxed);

		if (st == METRIC_WEBHOOK_OK)
			continue;
		reason_add(reason, reasonsz, &off, "discord: webhook %s: %s\n",
		    hooks[i].name, st == METRIC_WEBHOOK_GONE ?
		    "the webhook was deleted (404); notifications to it stop "
		    "until sipeatd restarts with a new one" :
		    "its channel is a forum (400 code 220001): set thread_id; "
		    "notifications to it stop until sipeatd restarts");
	}
	return off > 0 ? -1 : 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void
add_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_adds(b, "\\\\");
		else if (*s == '"')
			buf_adds(b, "\\\"");
		else if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

/*
 * One family of the exposition: its # HELP and # TYPE lines, then its
 * samples by render(), which reads what first, n, label and values say.
 */
struct family {
	const char	*name;
	const char	*type;
	const char	*help;
	void		(*render)(struct buf *, const struct family *);
	int		 first;		/* enum metric or enum value */
	int		 n;		/* render_hooks: first..first+n-1 (0: 1) */
	const char	*label;		/* render_hooks, n > 1: sample j has */
	const char *const *values;	/* label="values[j]" */
};

/* The values that are no counter, for render_value() and render_hooks(). */
enum value {
	V_START_TIME = M_COUNTERS,
	V_UP,
	V_QUEUE_DEPTH,
	V_INFLIGHT,
	V_WEBHOOK_GONE,		/* per webhook: state METRIC_WEBHOOK_GONE */
};

/* Starts a sample: name suffix{key="value" (value escaped). */
static void
sample_open(struct buf *b, const char *name, const char *suffix,
    const char *key, const char *value)
{
	buf_printf(b, "%s%s{%s=\"", name, suffix, key);
	add_label(b, value);
	buf_addc(b, '"');
}

static void
render_build_info(struct buf *b, const struct family *f)
{
	buf_printf(b, "%s{version=\"%s\"} 1\n", f->name, PACKAGE_VERSION);
}

/* A family of one sample without labels. */
static void
render_value(struct buf *b, const struct family *f)
{
	char why[1024];
	long long v;

	switch (f->first) {
	case V_START_TIME:
		v = start_time;
		break;
	case V_UP:
		v = metrics_health(why, sizeof why) == 0;
		break;
	case V_QUEUE_DEPTH:
		v = depth_queue != NULL ?
		    (long long)queue_depth(depth_queue) : 0;
		break;
	case V_INFLIGHT:
		v = atomic_load_explicit(&inflight, memory_order_relaxed);
		break;
	default:
		buf_printf(b, "%s %lu\n", f->name, metrics_get(f->first));
		return;
	}
	buf_printf(b, "%s %lld\n", f->name, v);
}

static void
render_events(struct buf *b, const struct family *f)
{
	static const char *const status_names[METRIC_EVENT_STATUSES] = {
		"ok", "failed", "invalid"
	};

	for (size_t i = 0; i < ntypes; i++) {
		int last = i + 1 == ntypes;

		for (int s = 0; s < METRIC_EVENT_STATUSES; s++) {
			/* A known type is never invalid; "unknown" is only that. */
			if (last != (s == METRIC_EVENT_INVALID))
				continue;
			sample_open(b, f->name, "", "type", types[i].type);
			buf_printf(b, ",status=\"%s\"} %lu\n", status_names[s],
			    atomic_load_explicit(&types[i].n[s],
			    memory_order_relaxed));
		}
	}
}

static void
render_stages(struct buf *b, const struct family *f)
{
	for (size_t i = 0; i < nstages; i++) {
		struct stage_hist *h = &stages[i];
		uint64_t cum = 0, sum_ns = 0;

		for (size_t sk = 0; sk < STAGE_SHARDS; sk++)
			sum_ns += atomic_load_explicit(&shard_of(sk, i)->sum_ns,
			    memory_order_relaxed);
		for (size_t k = 0; k <= NBOUNDS; k++) {
			for (size_t sk = 0; sk < STAGE_SHARDS; sk++)
				cum += atomic_load_explicit(
				    &shard_of(sk, i)->buckets[k],
				    memory_order_relaxed);
			sample_open(b, f->name, "_bucket", "stage", h->name);
			if (k < NBOUNDS)
				buf_printf(b, ",le=\"%g\"} %" PRIu64 "\n",
				    stage_bounds[k], cum);
			else
				buf_printf(b, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
		}
		sample_open(b, f->name, "_sum", "stage", h->name);
		buf_printf(b, "} %.9f\n", (double)sum_ns / 1e9);
		sample_open(b, f->name, "_count", "stage", h->name);
		buf_printf(b, "} %" PRIu64 "\n", cum);
	}
}

static void
render_lag(struct buf *b, const struct family *f)
{
	pthread_mutex_lock(&lag_lock);
	for (size_t i = 0; i < nlags; i++) {
		sample_open(b, f->name, "", "topic", lags[i].topic);
		buf_printf(b, ",partition=\"%" PRId32 "\"} %" PRId64 "\n",
		    lags[i].partition, lags[i].lag);
	}
	pthread_mutex_unlock(&lag_lock);
}

/*
 * Value first + j of webhook w, or of the process totals when w is NULL
 * (no webhook registered: no webhook is gone either).
 */
static unsigned long
hook_value(const struct metrics_webhook *w, int v)
{
	if (v == V_WEBHOOK_GONE)
		return w != NULL && atomic_load_explicit(&w->state,
		    memory_order_relaxed) == METRIC_WEBHOOK_GONE;
	return w != NULL ? metrics_webhook_get(w, v) : metrics_get(v);
}

/*
 * A sipeatd_discord_* family: per webhook, labelled webhook="NAME" once
 * webhooks are registered, else once for the process totals; n samples
 * each, told apart by label="values[j]" when n > 1.
 */
static void
render_hooks(struct buf *b, const struct family *f)
{
	/* Without registered webhooks, one pass over the process totals. */
	size_t nw = nhooks > 0 ? nhooks : 1;

	for (size_t i = 0; i < nw; i++) {
		const struct metrics_webhook *w = nhooks > 0 ? &hooks[i] : NULL;

		for (int j = 0; j < (f->n > 0 ? f->n : 1); j++) {
			const char *sep = "{";

			if (w != NULL) {
				sample_open(b, f->name, "", "webhook", w->name);
				sep = ",";
			} else
				buf_adds(b, f->name);
			if (f->label != NULL) {
				buf_printf(b, "%s%s=\"%s\"", sep, f->label,
				    f->values[j]);
				sep = ",";
			}
			buf_printf(b, "%s %lu\n", sep[0] == ',' ? "}" : "",
			    hook_value(w, f->first + j));
		}
	}
}

static const char *const discord_code_names[METRIC_DISCORD_CODES] = {
	"2xx", "400", "401", "403", "404", "429", "5xx", "error"
};
static const char *const outcome_names[] = { "sent", "digested", "dropped" };

/*
 * Every family, in the order of the exposition. render_value and
 * render_hooks read first (n of them, 1 when not given); the others
 * their own tables.
 */
static const struct family families[] = {
	{ "sipeatd_build_info", "gauge",
	  "Always 1; the version of sipeatd in the label.",
	  .render = render_build_info },
	{ "sipeatd_start_time_seconds", "gauge",
	  "Start time of the process since the Unix epoch.",
	  .render = render_value, .first = V_START_TIME },
	{ "sipeatd_up", "gauge",
	  "1 while /healthz answers 200, 0 while it answers 503.",
	  .render = render_value, .first = V_UP },
	{ "sipeatd_events_total", "counter",
	  "Events processed, by handler type and status (ok, failed: a stage "
	  "failed, invalid: not a usable event, type \"unknown\").",
	  .render = render_events },
	{ "sipeatd_stage_duration_seconds", "histogram",
	  "Time of one stage run, retries included, by stage.",
	  .render = render_stages },
	{ "sipeatd_queue_depth", "gauge",
	  "Events waiting in the work queue for a worker.",
	  .render = render_value, .first = V_QUEUE_DEPTH },
	{ "sipeatd_inflight_events", "gauge",
	  "Events received and not yet completed (queued, parked behind "
	  "their key, or running).",
	  .render = render_value, .first = V_INFLIGHT },
	{ "sipeatd_consumer_lag", "gauge",
	  "Messages between the committed offset and the end of each "
	  "partition this member consumes (librdkafka statistics).",
	  .render = render_lag },
	{ "sipeatd_dead_letters_total", "counter",
	  "Failed events written to the dead-letter topic.",
	  .render = render_value, .first = M_DLQ_PRODUCED },
	{ "sipeatd_dlq_errors_total", "counter",
	  "Dead-letter writes that failed (each attempt; the event stays "
	  "uncommitted and is written again).",
	  .render = render_value, .first = M_DLQ_ERRORS },
	{ "sipeatd_discord_requests_total", "counter",
	  "Webhook requests by webhook and answer: 2xx, 400, 401, 403, 404, "
	  "429, 5xx, or error (no answer).",
	  .render = render_hooks, .first = M_DISCORD_REQUESTS,
	  .n = METRIC_DISCORD_CODES, .label = "code",
	  .values = discord_code_names },
	{ "sipeatd_discord_embeds_total", "counter",
	  "Events by webhook and notification outcome: sent (own embed "
	  "delivered), digested (counted in a delivered digest), dropped "
	  "(never delivered).",
	  .render = render_hooks, .first = M_EMBEDS_SENT, .n = 3,
	  .label = "outcome", .values = outcome_names },
	{ "sipeatd_discord_failures_unlisted_total", "counter",
	  "Failed events whose own embed found no room in the notifier and "
	  "whose Event ID did not fit in its red overflow embed either: "
	  "counted there, not listed.",
	  .render = render_hooks, .first = M_FAILURES_UNLISTED },
	{ "sipeatd_discord_grouped_total", "counter",
	  "Failed events delivered in a grouped embed (\"... event failed "
	  "xN\", [discord] group.failures), counted as sent.",
	  .render = render_hooks, .first = M_FAILURES_GROUPED },
	{ "sipeatd_discord_payloads_total", "counter",
	  "Webhook messages delivered (printed with --dry-run).",
	  .render = render_hooks, .first = M_PAYLOADS },
	{ "sipeatd_discord_rate_limited_total", "counter",
	  "Webhook requests answered 429 (rate limited).",
	  .render = render_hooks, .first = M_DISCORD_RATE_LIMITED },
	{ "sipeatd_discord_webhook_gone", "gauge",
	  "1 once the webhook answered 404 (deleted), until restart.",
	  .render = render_hooks, .first = V_WEBHOOK_GONE },
};

char *
metrics_render(size_t *len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		const struct family *f = &families[i];

		buf_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
		    f->name, f->type);
		f->render(&b, f);
	}
	*len = b.len;
	return buf_take(&b);
}
