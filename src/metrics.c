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
 * The consumer-lag table is replaced wholesale by each statistics callback
 * (built outside the lock, swapped under it) and read under the same lock
 * by the scraper: lag_lock is the only lock here and no other lock is ever
 * taken while holding it.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "handler.h"
#include "metrics.h"
#include "queue.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

struct metrics metrics;

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

struct stage_hist {
	char			*name;
	_Atomic uint64_t	 buckets[NBOUNDS + 1];	/* the last: above every bound */
	_Atomic uint64_t	 sum_ns;
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

static const char *const status_names[METRIC_EVENT_STATUSES] = {
	"ok", "failed", "invalid"
};
static const char *const discord_code_names[METRIC_DISCORD_CODES] = {
	"2xx", "400", "401", "403", "404", "429", "5xx", "error"
};

static void
add_stage(const char *name)
{
	for (size_t i = 0; i < nstages; i++) {
		if (strcmp(stages[i].name, name) == 0)
			return;
	}
	stages = xreallocarray(stages, nstages + 1, sizeof *stages);
	memset(&stages[nstages], 0, sizeof stages[nstages]);
	stages[nstages++].name = xstrdup(name);
}

static void free_series(void);

void
metrics_init(const struct handlers *hs, const struct queue *q)
{
	size_t n = hs != NULL ? hs->n : 0;

	free_series();	/* not the webhooks: the notifier registers them */
	types = xcalloc(n + 1, sizeof *types);
	for (size_t i = 0; i < n; i++) {
		const struct handler *h = &hs->v[i];

		types[ntypes++].type = xstrdup(h->type);
		for (size_t j = 0; j < h->nstages; j++)
			add_stage(h->stages[j]->name);
		for (size_t j = 0; j < h->nundo; j++)
			add_stage(h->undo_stages[j]->name);
	}
	types[ntypes++].type = xstrdup("unknown");
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
	atomic_fetch_add_explicit(&stages[i].buckets[b], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&stages[i].sum_ns, ns, memory_order_relaxed);
}

void
metrics_kafka_session_timeout(int ms)
{
	METRIC_SET(session_timeout_ms, ms);
}

void
metrics_kafka_brokers_down(int64_t since)
{
	METRIC_SET(brokers_down_since, since);
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

int
metrics_health(char *reason, size_t reasonsz)
{
	int64_t since = METRIC_GET(brokers_down_since);
	int timeout = METRIC_GET(session_timeout_ms);
	size_t off = 0;
	int n;

	if (reasonsz == 0)
		return -1;
	reason[0] = '\0';
	if (atomic_load_explicit(&fatal_state, memory_order_acquire) == 2) {
		n = snprintf(reason + off, reasonsz - off,
		    "kafka: fatal error: %s\n", fatal_reason);
		off += n > 0 && (size_t)n < reasonsz - off ? (size_t)n :
		    reasonsz - off - 1;
	}
	pthread_mutex_lock(&group_lock);
	if (group_reason[0] != '\0') {
		n = snprintf(reason + off, reasonsz - off,
		    "kafka: cannot join the consumer group: %s\n", group_reason);
		off += n > 0 && (size_t)n < reasonsz - off ? (size_t)n :
		    reasonsz - off - 1;
	}
	pthread_mutex_unlock(&group_lock);
	if (since != 0 && timeout > 0 && now_ms() - since > timeout) {
		n = snprintf(reason + off, reasonsz - off,
		    "kafka: no broker reachable for %lld ms "
		    "(longer than session.timeout.ms %d)\n",
		    (long long)(now_ms() - since), timeout);
		off += n > 0 && (size_t)n < reasonsz - off ? (size_t)n :
		    reasonsz - off - 1;
	}
	if (nhooks == 0 && METRIC_GET(discord_webhook_gone)) {
		n = snprintf(reason + off, reasonsz - off,
		    "discord: the webhook was deleted (404); notifications "
		    "stop until sipeatd restarts with a new one\n");
		off += n > 0 && (size_t)n < reasonsz - off ? (size_t)n :
		    reasonsz - off - 1;
	}
	for (size_t i = 0; i < nhooks; i++) {
		int st = atomic_load_explicit(&hooks[i].state,
		    memory_order_relaxed);

		if (st == METRIC_WEBHOOK_OK)
			continue;
		n = snprintf(reason + off, reasonsz - off, "discord: webhook "
		    "%s: %s\n", hooks[i].name, st == METRIC_WEBHOOK_GONE ?
		    "the webhook was deleted (404); notifications to it stop "
		    "until sipeatd restarts with a new one" :
		    "its channel is a forum (400 code 220001): set thread_id; "
		    "notifications to it stop until sipeatd restarts");
		off += n > 0 && (size_t)n < reasonsz - off ? (size_t)n :
		    reasonsz - off - 1;
	}
	return off > 0 ? -1 : 0;
}

/* A growing text buffer for the rendering. */
struct text {
	char	*p;
	size_t	 len, cap;
};

static void SIPEAT_PRINTFLIKE(2, 3)
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap * 2 + (size_t)n;
		t->p = xrealloc(t->p, t->cap);
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void
text_label(struct text *t, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			text_printf(t, "\\\\");
		else if (*s == '"')
			text_printf(t, "\\\"");
		else if (*s == '\n')
			text_printf(t, "\\n");
		else
			text_printf(t, "%c", *s);
	}
}

static void
text_family(struct text *t, const char *name, const char *type,
    const char *help)
{
	text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
render_events(struct text *t)
{
	text_family(t, "sipeatd_events_total", "counter",
	    "Events processed, by handler type and status (ok, failed: a stage "
	    "failed, invalid: not a usable event, type \"unknown\").");
	for (size_t i = 0; i < ntypes; i++) {
		int last = i + 1 == ntypes;

		for (int s = 0; s < METRIC_EVENT_STATUSES; s++) {
			/* A known type is never invalid; "unknown" is only that. */
			if (last != (s == METRIC_EVENT_INVALID))
				continue;
			text_printf(t, "sipeatd_events_total{type=\"");
			text_label(t, types[i].type);
			text_printf(t, "\",status=\"%s\"} %lu\n", status_names[s],
			    atomic_load_explicit(&types[i].n[s],
			    memory_order_relaxed));
		}
	}
}

static void
render_stages(struct text *t)
{
	text_family(t, "sipeatd_stage_duration_seconds", "histogram",
	    "Time of one stage run, retries included, by stage.");
	for (size_t i = 0; i < nstages; i++) {
		struct stage_hist *h = &stages[i];
		uint64_t cum = 0;

		for (size_t b = 0; b <= NBOUNDS; b++) {
			cum += atomic_load_explicit(&h->buckets[b],
			    memory_order_relaxed);
			text_printf(t, "sipeatd_stage_duration_seconds_bucket{stage=\"");
			text_label(t, h->name);
			if (b < NBOUNDS)
				text_printf(t, "\",le=\"%g\"} %" PRIu64 "\n",
				    stage_bounds[b], cum);
			else
				text_printf(t, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
		}
		text_printf(t, "sipeatd_stage_duration_seconds_sum{stage=\"");
		text_label(t, h->name);
		text_printf(t, "\"} %.9f\n", (double)atomic_load_explicit(
		    &h->sum_ns, memory_order_relaxed) / 1e9);
		text_printf(t, "sipeatd_stage_duration_seconds_count{stage=\"");
		text_label(t, h->name);
		text_printf(t, "\"} %" PRIu64 "\n", cum);
	}
}

static void
render_lag(struct text *t)
{
	text_family(t, "sipeatd_consumer_lag", "gauge",
	    "Messages between the committed offset and the end of each "
	    "partition this member consumes (librdkafka statistics).");
	pthread_mutex_lock(&lag_lock);
	for (size_t i = 0; i < nlags; i++) {
		text_printf(t, "sipeatd_consumer_lag{topic=\"");
		text_label(t, lags[i].topic);
		text_printf(t, "\",partition=\"%" PRId32 "\"} %" PRId64 "\n",
		    lags[i].partition, lags[i].lag);
	}
	pthread_mutex_unlock(&lag_lock);
}

/*
 * One sample of a sipeatd_discord_* family: labelled webhook="NAME" (plus
 * extra, "code=..." or "outcome=...", when given) once webhooks are
 * registered, else with extra alone.
 */
static void
render_hook(struct text *t, const char *family, const struct metrics_webhook *w,
    const char *extra, unsigned long v)
{
	text_printf(t, "%s", family);
	if (w != NULL) {
		text_printf(t, "{webhook=\"");
		text_label(t, w->name);
		text_printf(t, "\"%s%s} %lu\n", extra != NULL ? "," : "",
		    extra != NULL ? extra : "", v);
	} else if (extra != NULL)
		text_printf(t, "{%s} %lu\n", extra, v);
	else
		text_printf(t, " %lu\n", v);
}

/*
 * Reads counter name of webhook w, or of the process totals when w is NULL
 * (no webhook registered).
 */
#define HOOK_GET(w, name) ((w) != NULL ? METRIC_WH_GET(w, name) : METRIC_GET(name))

static void
render_discord(struct text *t)
{
	/* Without registered webhooks, one pass over the process totals. */
	size_t n = nhooks > 0 ? nhooks : 1, i;
	const struct metrics_webhook *w;
	char extra[32];

	text_family(t, "sipeatd_discord_requests_total", "counter",
	    "Webhook requests by webhook and answer: 2xx, 400, 401, 403, 404, "
	    "429, 5xx, or error (no answer).");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		for (int c = 0; c < METRIC_DISCORD_CODES; c++) {
			snprintf(extra, sizeof extra, "code=\"%s\"",
			    discord_code_names[c]);
			render_hook(t, "sipeatd_discord_requests_total", w, extra,
			    HOOK_GET(w, discord_requests[c]));
		}
	}
	text_family(t, "sipeatd_discord_embeds_total", "counter",
	    "Events by webhook and notification outcome: sent (own embed "
	    "delivered), digested (counted in a delivered digest), dropped "
	    "(never delivered).");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_embeds_total", w,
		    "outcome=\"sent\"", HOOK_GET(w, embeds_sent));
		render_hook(t, "sipeatd_discord_embeds_total", w,
		    "outcome=\"digested\"", HOOK_GET(w, embeds_digested));
		render_hook(t, "sipeatd_discord_embeds_total", w,
		    "outcome=\"dropped\"", HOOK_GET(w, embeds_dropped));
	}
	text_family(t, "sipeatd_discord_failures_unlisted_total", "counter",
	    "Failed events whose own embed found no room in the notifier and "
	    "whose Event ID did not fit in its red overflow embed either: "
	    "counted there, not listed.");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_failures_unlisted_total", w, NULL,
		    HOOK_GET(w, failures_unlisted));
	}
	text_family(t, "sipeatd_discord_grouped_total", "counter",
	    "Failed events delivered in a grouped embed (\"... event failed "
	    "xN\", [discord] group.failures), counted as sent.");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_grouped_total", w, NULL,
		    HOOK_GET(w, failures_grouped));
	}
	text_family(t, "sipeatd_discord_payloads_total", "counter",
	    "Webhook messages delivered (printed with --dry-run).");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_payloads_total", w, NULL,
		    HOOK_GET(w, payloads));
	}
	text_family(t, "sipeatd_discord_rate_limited_total", "counter",
	    "Webhook requests answered 429 (rate limited).");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_rate_limited_total", w, NULL,
		    HOOK_GET(w, discord_rate_limited));
	}
	text_family(t, "sipeatd_discord_webhook_gone", "gauge",
	    "1 once the webhook answered 404 (deleted), until restart.");
	for (i = 0, w = hooks; i < n; i++, w = w != NULL ? w + 1 : NULL) {
		render_hook(t, "sipeatd_discord_webhook_gone", w, NULL,
		    w != NULL ? (unsigned long)(atomic_load_explicit(&w->state,
		    memory_order_relaxed) == METRIC_WEBHOOK_GONE) :
		    (unsigned long)METRIC_GET(discord_webhook_gone));
	}
}

char *
metrics_render(size_t *len)
{
	struct text t = { NULL, 0, 0 };
	char why[1024];
	long depth;

	t.cap = 8192;
	t.p = xmalloc(t.cap);
	t.p[0] = '\0';

	text_family(&t, "sipeatd_build_info", "gauge",
	    "Always 1; the version of sipeatd in the label.");
	text_printf(&t, "sipeatd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	text_family(&t, "sipeatd_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch.");
	text_printf(&t, "sipeatd_start_time_seconds %lld\n", (long long)start_time);
	text_family(&t, "sipeatd_up", "gauge",
	    "1 while /healthz answers 200, 0 while it answers 503.");
	text_printf(&t, "sipeatd_up %d\n", metrics_health(why, sizeof why) == 0);

	render_events(&t);
	render_stages(&t);

	depth = depth_queue != NULL ? (long)queue_depth(depth_queue) :
	    METRIC_GET(queue_depth);
	text_family(&t, "sipeatd_queue_depth", "gauge",
	    "Events waiting in the work queue for a worker.");
	text_printf(&t, "sipeatd_queue_depth %ld\n", depth);
	text_family(&t, "sipeatd_inflight_events", "gauge",
	    "Events received and not yet completed (queued, parked behind "
	    "their key, or running).");
	text_printf(&t, "sipeatd_inflight_events %ld\n", METRIC_GET(inflight));
	render_lag(&t);

	text_family(&t, "sipeatd_dead_letters_total", "counter",
	    "Failed events written to the dead-letter topic.");
	text_printf(&t, "sipeatd_dead_letters_total %lu\n", METRIC_GET(dlq_produced));
	text_family(&t, "sipeatd_dlq_errors_total", "counter",
	    "Dead-letter writes that failed (each attempt; the event stays "
	    "uncommitted and is written again).");
	text_printf(&t, "sipeatd_dlq_errors_total %lu\n", METRIC_GET(dlq_errors));

	render_discord(&t);
	*len = t.len;
	return t.p;
}
