/*
 * notify.c -- the notifier thread.
 *
 * Hand-over: workers push notification records into a bounded lock-free
 * ring (the data path's queue) and never wait. The thread drains the ring
 * at every turn of its loop -- also while a request is in flight, since
 * the request runs in a curl multi handle and the thread sleeps in
 * curl_multi_poll() -- into two lists it owns: failures and successes. A
 * worker rings curl_multi_wakeup() only when the thread said it is going
 * to sleep for long (the "sleeping" flag), so a busy stream of embeds costs
 * the workers no system call per embed; while anything is pending the
 * thread ticks every NOTIFY_TICK_MS instead.
 *
 * Batches are packed greedily in priority order -- failures, then the
 * digest, then successes -- up to EMBED_MAX_PER_MESSAGE embeds and
 * EMBED_MAX_TOTAL characters, and sent when full, when the next embed would
 * not fit, or when the oldest waiting one is linger_ms old (at once while
 * stopping). One request is in flight at a time: a webhook has one bucket.
 *
 * Overload (digest.h): the lists hold at most queue_size records, and at
 * most a minute of what Discord let us send lately (the rate measured
 * while a backlog existed). Beyond that the oldest successes are folded
 * into the digest counters. Failures are never folded into the digest: a
 * failure arriving when queue_size failures wait goes to the overflow, one
 * red "❗ N more failures" embed listing the Event IDs that fit (the rest
 * counted in sipeatd_discord_failures_unlisted_total), sent after the
 * failures and before the digest -- or first once it had to leave an
 * Event ID out, so that a storm of failures cannot hold it back for ever.
 * The hand-over ring keeps its last quarter for failures: a worker folds
 * a success into a second, mutex-protected digest table (merged by the
 * thread at its next turn) once the ring is three quarters full, and a
 * failure goes to the overflow (under its own mutex) only when the ring
 * is full.
 *
 * Answers (discord.c classifies them):
 * - 2xx: delivered. X-RateLimit-Remaining 0 means no request before
 *   X-RateLimit-Reset-After has passed, so we are never limited in the
 *   first place.
 * - 429: the same batch again after retry_after.
 * - 400 (any other 4xx): the batch is bisected -- the first half of the
 *   range known to hold a bad embed is sent alone; when it passes, the
 *   other half is the range -- until the bad embed is alone: only it is
 *   dropped, logged and counted (about log2(10) + 1 requests).
 * - 401/403: back off for minutes (1, 2, 4 ... 15), one log line each time;
 *   the batch is kept.
 * - 404: the webhook was deleted: everything is dropped (counted), from
 *   now until restart, said once.
 * - 5xx, no answer: exponential backoff with jitter, the batch kept.
 *
 * Accounting: "unresolved" counts events submitted and not yet delivered
 * in an embed, delivered in a digest or dropped; the three outcomes are the
 * metrics embeds_sent, embeds_digested and embeds_dropped, whose sum is the
 * number of events submitted once the notifier has stopped.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "discord.h"
#include "embed.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "queue.h"
#include "util.h"

#define NOTIFY_TICK_MS		20	/* sleep while anything is pending */
#define NOTIFY_IDLE_MS		1000	/* sleep when nothing is (woken earlier) */
#define NOTIFY_RING_MIN		16384	/* hand-over ring: 16k records at least */
#define REQUEST_TIMEOUT_MS	10000L
#define RETRY_BASE_MS		500
#define RETRY_MAX_MS		5000
#define AUTH_BASE_MS		60000	/* 401/403: one minute, doubling */
#define AUTH_MAX_MS		900000	/* to fifteen */
#define BACKLOG_SECONDS		60	/* drain within a minute, or fold */
#define RATE_WINDOW_MS		5000	/* rate measured over such windows */
#define RESET_MARGIN_MS		5	/* after Reset-After, for clock rounding */

struct notice {
	struct notice	*next;
	char		*json;		/* the embed, serialized by the worker */
	size_t		 chars;
	long		 count;		/* events it stands for: 1, or a digest's */
	int		 success;
	int		 digest;
	int64_t		 since;		/* when the thread took it */
	char		 type[64];
};

struct notice_list {
	struct notice	*head;
	struct notice	*tail;
	size_t		 n;
};

struct notifier {
	struct notifier_opts	 o;
	struct queue		*q;
	struct discord_client	*dc;
	pthread_t		 thread;
	int			 started;
	struct stopflag		 stop;
	_Atomic int64_t		 deadline;	/* while stopping: give up then */
	_Atomic int		 sleeping;	/* the thread waits for a wakeup */
	_Atomic int		 running;	/* the thread takes from the ring */
	_Atomic long		 unresolved;
	_Atomic int		 broken;	/* 401/403/404: nothing goes out */
	size_t			 succ_room;	/* ring depth past which successes fold */

	pthread_mutex_t		 wdigest_lock;	/* workers' overflow digest */
	struct digest		 wdigest;
	pthread_mutex_t		 ovf_lock;	/* failures without room */
	struct overflow		 ovf;

	/* Owned by the thread. */
	struct notice_list	 fails;
	struct notice_list	 succ;
	struct digest		 digest;
	int64_t			 digest_since;
	struct notice		*held[EMBED_MAX_PER_MESSAGE];	/* the batch */
	size_t			 nheld;
	size_t			 lim;		/* held[0..lim) is what is sent */
	size_t			 suspect;	/* held[0..suspect) holds a bad embed */
	int64_t			 not_before;	/* no request before this */
	unsigned		 attempts;	/* 5xx/network in a row */
	unsigned		 auth_attempts;	/* 401/403 in a row */
	int			 gone;		/* 404 */
	unsigned		 seed;
	double			 rate;		/* embeds/s delivered under backlog */
	int64_t			 rate_t0;
	unsigned long		 rate_sent;
};

static void
list_push(struct notice_list *l, struct notice *nt)
{
	nt->next = NULL;
	if (l->tail != NULL)
		l->tail->next = nt;
	else
		l->head = nt;
	l->tail = nt;
	l->n++;
}

static struct notice *
list_pop(struct notice_list *l)
{
	struct notice *nt = l->head;

	if (nt != NULL) {
		l->head = nt->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->n--;
	}
	return nt;
}

static void
notice_free(struct notice *nt)
{
	free(nt->json);
	free(nt);
}

/* Resolves count events: they leave "unresolved". */
static void
resolved(struct notifier *n, long count)
{
	atomic_fetch_sub(&n->unresolved, count);
}

static void
drop(struct notifier *n, struct notice *nt)
{
	METRIC_ADD(embeds_dropped, (unsigned long)nt->count);
	resolved(n, nt->count);
	notice_free(nt);
}

/* A dry run prints every embed, waiting for room rather than digesting. */
static int
print_all(const struct notifier *n)
{
	return n->o.dry_run && !n->o.model_backlog;
}

/* Folds one success into the digest. */
static void
fold(struct notifier *n, struct notice *nt)
{
	if (n->digest.total == 0)
		n->digest_since = now_ms();
	digest_add(&n->digest, nt->type, 1);
	notice_free(nt);
}

/*
 * The "Event ID" field's value of an embed serialized by embed.c (the
 * last field of that name), into buf; "" when there is none.
 */
static void
embed_event_id(const char *json, char *buf, size_t size)
{
	json_object *embed = json_tokener_parse(json), *fields, *f, *v;
	size_t i;

	buf[0] = '\0';
	if (embed == NULL)
		return;
	if (json_object_object_get_ex(embed, "fields", &fields) &&
	    json_object_is_type(fields, json_type_array)) {
		for (i = json_object_array_length(fields); i-- > 0;) {
			f = json_object_array_get_idx(fields, i);
			if (json_object_object_get_ex(f, "name", &v) &&
			    strcmp(json_object_get_string(v), "Event ID") == 0 &&
			    json_object_object_get_ex(f, "value", &v)) {
				str_copy(buf, json_object_get_string(v), size);
				break;
			}
		}
	}
	json_object_put(embed);
}

/*
 * A failure without room of its own: into the overflow, listed by Event ID
 * while one fits. Takes nt. Any thread.
 */
static void
overflow(struct notifier *n, struct notice *nt)
{
	char id[EMBED_MAX_FIELD_VALUE * 4 + 1];
	int full;

	pthread_mutex_lock(&n->ovf_lock);
	full = overflow_full(&n->ovf);
	pthread_mutex_unlock(&n->ovf_lock);
	id[0] = '\0';
	if (!full)
		embed_event_id(nt->json, id, sizeof id);	/* outside the lock */
	pthread_mutex_lock(&n->ovf_lock);
	if (n->ovf.count == 0)
		n->ovf.since = now_ms();
	if (!overflow_add(&n->ovf, id))
		METRIC_INC(failures_unlisted);
	pthread_mutex_unlock(&n->ovf_lock);
	notice_free(nt);
}

/* Failures waiting in the overflow. Any thread. */
static long
overflow_count(struct notifier *n, int64_t *since)
{
	long count;

	pthread_mutex_lock(&n->ovf_lock);
	count = n->ovf.count;
	if (since != NULL)
		*since = n->ovf.since;
	pthread_mutex_unlock(&n->ovf_lock);
	return count;
}

/*
 * Takes what the workers handed over: everything, or (limit) in a dry run
 * only while fewer than queue.size embeds wait, so that a slow stdout fills
 * the ring and holds the workers back instead of growing the lists.
 */
static void
drain(struct notifier *n, int limit)
{
	struct digest wd;
	void *item;
	int64_t now = now_ms();
	size_t room = n->o.queue_size > EMBED_MAX_PER_MESSAGE ?
	    n->o.queue_size : EMBED_MAX_PER_MESSAGE;

	while ((!limit || !print_all(n) || n->fails.n + n->succ.n < room) &&
	    queue_try_pop(n->q, &item) == 0) {
		struct notice *nt = item;

		nt->since = now;
		if (n->gone || (n->o.webhook == NULL && !n->o.dry_run)) {
			drop(n, nt);
			continue;
		}
		if (nt->success)
			list_push(&n->succ, nt);
		else if (n->fails.n >= n->o.queue_size)
			overflow(n, nt);	/* queue.size failures wait already */
		else
			list_push(&n->fails, nt);
	}
	pthread_mutex_lock(&n->wdigest_lock);
	wd = n->wdigest;
	digest_reset(&n->wdigest);
	pthread_mutex_unlock(&n->wdigest_lock);
	if (n->gone || (n->o.webhook == NULL && !n->o.dry_run)) {
		long lost = wd.total;

		pthread_mutex_lock(&n->ovf_lock);
		lost += n->ovf.count;
		overflow_reset(&n->ovf);
		pthread_mutex_unlock(&n->ovf_lock);
		if (lost > 0) {
			METRIC_ADD(embeds_dropped, (unsigned long)lost);
			resolved(n, lost);
		}
		return;
	}
	if (wd.total > 0) {
		if (n->digest.total == 0)
			n->digest_since = now;
		digest_merge(&n->digest, &wd);
	}
}

/*
 * Keeps the backlog within queue_size and a minute of sending. Not in a dry
 * run: stdout has no rate limit, and drain() bounds the lists there.
 */
static void
bound(struct notifier *n)
{
	size_t cap = n->o.queue_size;

	if (print_all(n))
		return;

	if (n->rate > 0) {
		double c = n->rate * BACKLOG_SECONDS;

		if (c < EMBED_MAX_PER_MESSAGE)
			c = EMBED_MAX_PER_MESSAGE;
		if (c < (double)cap)
			cap = (size_t)c;
	}
	while (n->fails.n + n->succ.n > cap && n->succ.n > 0)
		fold(n, list_pop(&n->succ));
}

/* The digest counters as one notice; they restart from zero. */
static struct notice *
take_digest(struct notifier *n)
{
	struct notice *nt = xcalloc(1, sizeof *nt);

	nt->json = digest_embed_json(&n->digest, time(NULL), &nt->chars);
	nt->count = n->digest.total;
	nt->digest = 1;
	nt->success = 1;
	nt->since = n->digest_since;
	str_copy(nt->type, "digest", sizeof nt->type);
	digest_reset(&n->digest);
	return nt;
}

/*
 * The overflow as one red notice, or NULL when it is empty; it restarts
 * empty. Its events count as digested once delivered: summed up, not sent
 * one by one.
 */
static struct notice *
take_overflow(struct notifier *n)
{
	struct notice *nt;

	pthread_mutex_lock(&n->ovf_lock);
	if (n->ovf.count == 0) {
		pthread_mutex_unlock(&n->ovf_lock);
		return NULL;
	}
	nt = xcalloc(1, sizeof *nt);
	nt->json = overflow_embed_json(&n->ovf, time(NULL), &nt->chars);
	nt->count = n->ovf.count;
	nt->since = n->ovf.since;
	overflow_reset(&n->ovf);
	pthread_mutex_unlock(&n->ovf_lock);
	nt->digest = 1;
	nt->success = 0;
	str_copy(nt->type, "overflow", sizeof nt->type);
	return nt;
}

/* Puts nt first in the next batch. */
static void
push_front(struct notice_list *l, struct notice *nt)
{
	nt->next = l->head;
	l->head = nt;
	if (l->tail == NULL)
		l->tail = nt;
	l->n++;
}

/*
 * Whether a new batch should go now: it would be full, or the oldest
 * waiting embed has lingered long enough, or we are stopping.
 */
static int
batch_ready(struct notifier *n, int64_t now)
{
	size_t count = 0, chars = 0;
	int64_t oldest = INT64_MAX, since;
	const struct notice_list *lists[2] = { &n->fails, &n->succ };
	long ovf = overflow_count(n, &since);

	if (n->fails.n + n->succ.n == 0 && n->digest.total == 0 && ovf == 0)
		return 0;
	if (stop_flag_get(&n->stop))
		return 1;
	if (n->digest.total > 0) {
		count = 1;
		chars = 200;	/* a digest of a few types */
		oldest = n->digest_since;
	}
	if (ovf > 0) {
		count++;
		chars += 200;	/* at least */
		if (since < oldest)
			oldest = since;
	}
	for (int l = 0; l < 2; l++) {
		const struct notice *nt = lists[l]->head;

		if (nt != NULL && nt->since < oldest)
			oldest = nt->since;
		for (; nt != NULL; nt = nt->next) {
			if (count == EMBED_MAX_PER_MESSAGE ||
			    chars + nt->chars > EMBED_MAX_TOTAL)
				return 1;
			count++;
			chars += nt->chars;
		}
	}
	return count == EMBED_MAX_PER_MESSAGE || oldest + n->o.linger_ms <= now;
}

/*
 * Packs held[] greedily: failures, the overflow of failures, the digest,
 * successes. An overflow that had to leave an Event ID out goes first, so
 * that a steady stream of failures cannot hold it back for ever.
 */
static void
fill_batch(struct notifier *n)
{
	size_t chars = 0;
	struct notice_list *l;
	int full;

	pthread_mutex_lock(&n->ovf_lock);
	full = n->ovf.unlisted > 0;
	pthread_mutex_unlock(&n->ovf_lock);
	if (full && n->nheld == 0) {
		struct notice *d = take_overflow(n);

		if (d != NULL) {
			n->held[n->nheld++] = d;
			chars += d->chars;
		}
	}
	for (int pass = 0; pass < 4; pass++) {
		if (pass == 1 || pass == 2) {
			struct notice *d = NULL;

			if (n->nheld < EMBED_MAX_PER_MESSAGE)
				d = pass == 1 ? take_overflow(n) :
				    n->digest.total > 0 ? take_digest(n) : NULL;
			if (d == NULL)
				continue;
			if (n->nheld > 0 && chars + d->chars > EMBED_MAX_TOTAL) {
				push_front(&n->fails, d);	/* next batch */
				break;
			}
			n->held[n->nheld++] = d;
			chars += d->chars;
			continue;
		}
		l = pass == 0 ? &n->fails : &n->succ;
		while (l->head != NULL && n->nheld < EMBED_MAX_PER_MESSAGE &&
		    (n->nheld == 0 || chars + l->head->chars <= EMBED_MAX_TOTAL)) {
			chars += l->head->chars;
			n->held[n->nheld++] = list_pop(l);
		}
		if (l->head != NULL)
			break;
	}
	n->lim = n->nheld;
}

static char *
batch_payload(struct notifier *n)
{
	const char *embeds[EMBED_MAX_PER_MESSAGE];

	for (size_t i = 0; i < n->lim; i++)
		embeds[i] = n->held[i]->json;
	return embed_payload_json(embeds, n->lim, n->o.username,
	    n->o.avatar_url);
}

/* held[0..lim) was delivered: count it and move the rest up. */
static void
delivered(struct notifier *n)
{
	size_t lim = n->lim;

	for (size_t i = 0; i < lim; i++) {
		struct notice *nt = n->held[i];

		if (nt->digest)
			METRIC_ADD(embeds_digested, (unsigned long)nt->count);
		else
			METRIC_INC(embeds_sent);
		resolved(n, nt->count);
		notice_free(nt);
	}
	memmove(n->held, n->held + lim, (n->nheld - lim) * sizeof n->held[0]);
	n->nheld -= lim;
	n->lim = n->nheld;
	n->rate_sent += lim;
	METRIC_INC(payloads);
}

/* Drops everything waiting (404, shutdown); returns how many events. */
static long
drop_all(struct notifier *n)
{
	long before = atomic_load(&n->unresolved);
	struct notice *nt;

	for (size_t i = 0; i < n->nheld; i++)
		drop(n, n->held[i]);
	n->nheld = n->lim = n->suspect = 0;
	while ((nt = list_pop(&n->fails)) != NULL)
		drop(n, nt);
	while ((nt = list_pop(&n->succ)) != NULL)
		drop(n, nt);
	if (n->digest.total > 0) {
		METRIC_ADD(embeds_dropped, (unsigned long)n->digest.total);
		resolved(n, n->digest.total);
		digest_reset(&n->digest);
	}
	pthread_mutex_lock(&n->ovf_lock);
	if (n->ovf.count > 0) {
		METRIC_ADD(embeds_dropped, (unsigned long)n->ovf.count);
		resolved(n, n->ovf.count);
		overflow_reset(&n->ovf);
	}
	pthread_mutex_unlock(&n->ovf_lock);
	return before - atomic_load(&n->unresolved);
}

static enum metric_discord_code
code_slot(long status)
{
	switch (status) {
	case 0:
		return METRIC_DISCORD_ERROR;
	case 401:
		return METRIC_DISCORD_401;
	case 403:
		return METRIC_DISCORD_403;
	case 404:
		return METRIC_DISCORD_404;
	case 429:
		return METRIC_DISCORD_429;
	default:
		if (status >= 200 && status < 300)
			return METRIC_DISCORD_2XX;
		if (status >= 400 && status < 500)
			return METRIC_DISCORD_400;
		return METRIC_DISCORD_5XX;
	}
}

/* Acts on one answer to held[0..lim). */
static void
answered(struct notifier *n, const struct discord_response *r)
{
	const char *shown = n->o.webhook->shown;
	int64_t now = now_ms(), wait = discord_wait_ms(r);
	int64_t ms;

	METRIC_INC(discord_requests[code_slot(r->status)]);
	if (wait > 0)
		n->not_before = now + wait + RESET_MARGIN_MS;
	switch (discord_classify(r)) {
	case DISCORD_OK:
		if (n->attempts > 0 || n->auth_attempts > 0)
			log_info("notify", "webhook %s accepts messages again", shown);
		n->attempts = 0;
		n->auth_attempts = 0;
		atomic_store(&n->broken, 0);
		if (n->suspect > n->lim) {
			/* Bisecting: the bad embed is in what is left of the range. */
			n->suspect -= n->lim;
			delivered(n);
			n->lim = n->suspect > 1 ? n->suspect / 2 : 1;
		} else {
			n->suspect = 0;
			delivered(n);
		}
		break;
	case DISCORD_RATE_LIMITED:
		METRIC_INC(discord_rate_limited);
		log_warn("notify", "rate limited by Discord%s: waiting %lld ms",
		    r->global ? " (global)" : "", (long long)wait);
		break;
	case DISCORD_REJECTED:
		if (n->lim > 1) {
			n->suspect = n->lim;
			n->lim /= 2;	/* bisect: the first half alone */
			log_debug("notify", "Discord rejected a batch (%ld): "
			    "trying %zu of its %zu embeds", r->status, n->lim,
			    n->nheld);
			break;
		}
		log_warn("notify", "Discord rejected one %s embed (%ld %s): "
		    "dropped", n->held[0]->type, r->status,
		    r->message[0] != '\0' ? r->message : "Bad Request");
		drop(n, n->held[0]);
		memmove(n->held, n->held + 1, (n->nheld - 1) * sizeof n->held[0]);
		n->nheld--;
		n->lim = n->nheld;
		n->suspect = 0;
		break;
	case DISCORD_UNAUTHORIZED:
		ms = AUTH_BASE_MS;
		for (unsigned i = 0; i < n->auth_attempts && ms < AUTH_MAX_MS; i++)
			ms *= 2;
		if (ms > AUTH_MAX_MS)
			ms = AUTH_MAX_MS;
		n->auth_attempts++;
		n->not_before = now + ms;
		atomic_store(&n->broken, 1);
		log_error("notify", "webhook %s refused (%ld%s%s): wrong token? "
		    "not sending for %lld s", shown, r->status,
		    r->message[0] != '\0' ? " " : "", r->message,
		    (long long)(ms / 1000));
		break;
	case DISCORD_GONE:
		n->gone = 1;
		atomic_store(&n->broken, 1);
		METRIC_SET(discord_webhook_gone, 1);
		log_error("notify", "webhook %s was deleted (404%s%s): no more "
		    "notifications until the configuration changes and sipeatd "
		    "restarts", shown, r->message[0] != '\0' ? " " : "",
		    r->message);
		drop_all(n);
		break;
	case DISCORD_RETRY:
		n->attempts++;
		ms = discord_backoff_ms(n->attempts, RETRY_BASE_MS, RETRY_MAX_MS,
		    &n->seed);
		if (wait < ms)
			n->not_before = now + ms;
		if (n->attempts == 1 || n->attempts % 10 == 0) {
			if (r->status == 0)
				log_warn("notify", "webhook %s unreachable: %s; "
				    "retrying (attempt %u)", shown, r->message,
				    n->attempts);
			else
				log_warn("notify", "Discord answered %ld; retrying "
				    "(attempt %u)", r->status, n->attempts);
		}
		break;
	}
}

static int	pending(struct notifier *);

/* Sends held[0..lim) (after packing a new batch if none is held). */
static void
send_batch(struct notifier *n)
{
	char *payload;

	if (n->nheld == 0)
		fill_batch(n);
	if (n->lim == 0)
		return;
	payload = batch_payload(n);
	if (n->o.dry_run) {
		fputs(payload, n->o.out);
		fputc('\n', n->o.out);
		delivered(n);
		/* One write per burst, not per payload (issue 11 item 3). */
		if (!pending(n) && queue_depth(n->q) == 0)
			fflush(n->o.out);
	} else if (discord_client_start(n->dc, payload) != 0) {
		log_error("notify", "cannot start a webhook request");
		n->not_before = now_ms() + RETRY_BASE_MS;
	}
	free(payload);
}

/* Measures the delivery rate over windows during which a backlog existed. */
static void
measure(struct notifier *n, int64_t now)
{
	if (n->fails.n + n->succ.n < EMBED_MAX_PER_MESSAGE) {
		n->rate_t0 = now;
		n->rate_sent = 0;
		return;
	}
	if (now - n->rate_t0 >= RATE_WINDOW_MS) {
		double r = (double)n->rate_sent * 1000.0 / (double)(now - n->rate_t0);

		n->rate = n->rate > 0 ? (n->rate + r) / 2 : r;
		n->rate_t0 = now;
		n->rate_sent = 0;
	}
}

static int
pending(struct notifier *n)
{
	return n->nheld > 0 || n->fails.n + n->succ.n > 0 ||
	    n->digest.total > 0 || overflow_count(n, NULL) > 0;
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct discord_response r;
	long left;

	pthread_setname_np(pthread_self(), "sipeatd-notify");
	n->rate_t0 = now_ms();
	for (;;) {
		int64_t now, timeout;
		int stopping;

		drain(n, 1);
		bound(n);
		now = now_ms();
		measure(n, now);
		stopping = stop_flag_get(&n->stop);
		if (stopping) {
			int64_t deadline = atomic_load(&n->deadline);

			if (now >= deadline || n->gone || atomic_load(&n->broken) ||
			    (n->not_before > deadline && pending(n)))
				break;
			if (!pending(n) && !discord_client_busy(n->dc) &&
			    queue_depth(n->q) == 0)
				break;
		}
		if (!discord_client_busy(n->dc) && now >= n->not_before &&
		    (n->nheld > 0 || batch_ready(n, now))) {
			send_batch(n);
			if (n->o.dry_run)
				continue;
		}
		if (discord_client_busy(n->dc) || pending(n)) {
			timeout = NOTIFY_TICK_MS;
			if (!discord_client_busy(n->dc) && n->not_before > now &&
			    n->not_before - now < timeout)
				timeout = n->not_before - now;
		} else {
			atomic_store(&n->sleeping, 1);
			atomic_thread_fence(memory_order_seq_cst);
			if (queue_depth(n->q) > 0 || stop_flag_get(&n->stop)) {
				atomic_store(&n->sleeping, 0);
				continue;
			}
			timeout = NOTIFY_IDLE_MS;
		}
		if (discord_client_poll(n->dc, (int)timeout, &r))
			answered(n, &r);
		atomic_store(&n->sleeping, 0);
	}
	/* Submitters waiting for room give up: queue_push_wait fails. */
	atomic_store(&n->running, 0);
	queue_close(n->q);
	if (n->o.dry_run)
		fflush(n->o.out);
	discord_client_abort(n->dc);
	drain(n, 0);
	left = drop_all(n);
	if (left > 0)
		log_warn("notify", "stopping: %ld notifications not sent (counted "
		    "as dropped)", left);
	return NULL;
}

struct notifier *
notifier_create(const struct notifier_opts *o)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	size_t cap = NOTIFY_RING_MIN;
	char err[256];

	n->o = *o;
	if (n->o.queue_size < 1)
		n->o.queue_size = 1;
	while (cap < o->queue_size)
		cap <<= 1;
	n->dc = discord_client_create(o->webhook != NULL && !o->dry_run ?
	    o->webhook->url : NULL, REQUEST_TIMEOUT_MS, err, sizeof err);
	if (n->dc == NULL) {
		log_error("notify", "%s", err);
		free(n);
		return NULL;
	}
	n->q = queue_create(cap);
	n->succ_room = cap - cap / 4;	/* the last quarter is for failures */
	n->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)n;
	pthread_mutex_init(&n->wdigest_lock, NULL);
	pthread_mutex_init(&n->ovf_lock, NULL);
	return n;
}

int
notifier_start(struct notifier *n)
{
	int rc;

	atomic_store(&n->running, 1);
	rc = pthread_create(&n->thread, NULL, notifier_main, n);
	if (rc != 0) {
		atomic_store(&n->running, 0);
		log_error("notify", "pthread_create: %s", strerror(rc));
		return -1;
	}
	n->started = 1;
	return 0;
}

/* Wakes the thread if it sleeps. Any thread. */
static void
wake(struct notifier *n)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&n->sleeping) && atomic_exchange(&n->sleeping, 0))
		discord_client_wakeup(n->dc);
}

void
notifier_submit(struct notifier *n, char *embed_json, size_t chars,
    const char *type, int success)
{
	struct notice *nt = xcalloc(1, sizeof *nt);

	nt->json = embed_json;
	/* No embed is larger (embed.c); never let a bad count stall a batch. */
	nt->chars = chars <= EMBED_MAX_TOTAL ? chars : EMBED_MAX_TOTAL;
	nt->count = 1;
	nt->success = success;
	str_copy(nt->type, type, sizeof nt->type);
	atomic_fetch_add(&n->unresolved, 1);
	if (print_all(n) && atomic_load(&n->running)) {
		/*
		 * A dry run prints every embed: stdout has no rate limit, so
		 * wait for room rather than digest (issue 11 item 4). The wait
		 * ends when the thread stops and closes the ring.
		 */
		for (;;) {
			if (queue_push_wait(n->q, nt, 100) == 0) {
				nt = NULL;
				break;
			}
			if (!atomic_load(&n->running) || queue_closed(n->q))
				break;
			wake(n);
		}
	}
	if (nt != NULL && ((success && queue_depth(n->q) >= n->succ_room) ||
	    queue_try_push(n->q, nt) != 0)) {
		/* No room: never wait, and never fold a failure into green. */
		if (success) {
			pthread_mutex_lock(&n->wdigest_lock);
			digest_add(&n->wdigest, type, 1);
			pthread_mutex_unlock(&n->wdigest_lock);
			notice_free(nt);
		} else
			overflow(n, nt);
	}
	wake(n);
}

int
notifier_idle(struct notifier *n)
{
	return atomic_load(&n->unresolved) == 0 || atomic_load(&n->broken);
}

void
notifier_stop(struct notifier *n, int timeout_ms)
{
	if (!n->started)
		return;
	atomic_store(&n->deadline, now_ms() + timeout_ms);
	stop_flag_set(&n->stop);
	discord_client_wakeup(n->dc);
	pthread_join(n->thread, NULL);
	n->started = 0;
}

void
notifier_destroy(struct notifier *n)
{
	void *item;

	if (n == NULL)
		return;
	while (queue_try_pop(n->q, &item) == 0)
		notice_free(item);
	queue_destroy(n->q);
	discord_client_destroy(n->dc);
	overflow_reset(&n->ovf);
	pthread_mutex_destroy(&n->wdigest_lock);
	pthread_mutex_destroy(&n->ovf_lock);
	free(n);
}
