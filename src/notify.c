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
 * Overload: the lists hold at most queue_size records, and at most a
 * minute of what Discord let us send lately (the rate measured while a
 * backlog existed). Beyond that the oldest successes are folded into the
 * digest counters; failures are never folded while a success can be. A
 * failure arriving when queue_size failures wait is dropped (counted). If
 * the ring itself is full the worker folds its event into a second,
 * mutex-protected digest table, merged by the thread at its next turn.
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

#include "discord.h"
#include "embed.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "queue.h"
#include "util.h"

#define DIGEST_TYPES_MAX	32
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

struct digest {
	struct embed_digest_row	 rows[DIGEST_TYPES_MAX];
	char			 types[DIGEST_TYPES_MAX][64];
	size_t			 n;
	long			 total;
};

struct notifier {
	struct notifier_opts	 o;
	struct queue		*q;
	struct discord_client	*dc;
	char			*poison;	/* SIPEATD_TEST_POISON */
	pthread_t		 thread;
	int			 started;
	_Atomic int		 stop;
	_Atomic int64_t		 deadline;	/* while stopping: give up then */
	_Atomic int		 sleeping;	/* the thread waits for a wakeup */
	_Atomic long		 unresolved;
	_Atomic int		 broken;	/* 401/403/404: nothing goes out */

	pthread_mutex_t		 wdigest_lock;	/* workers' overflow digest */
	struct digest		 wdigest;

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

static void
digest_add(struct digest *d, const char *type, long processed, long failed)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->types[i], type) == 0)
			break;
	}
	if (i == d->n) {
		if (i == DIGEST_TYPES_MAX)
			i = DIGEST_TYPES_MAX - 1;	/* the last row takes the rest */
		else {
			d->n++;
			memset(&d->rows[i], 0, sizeof d->rows[i]);
			strlcpy_s(d->types[i], type, sizeof d->types[i]);
		}
	}
	d->rows[i].processed += (unsigned long)processed;
	d->rows[i].failed += (unsigned long)failed;
	d->total += processed + failed;
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

/* Folds one success (or, from a full ring, a failure) into the digest. */
static void
fold(struct notifier *n, struct notice *nt)
{
	if (n->digest.total == 0)
		n->digest_since = now_ms();
	digest_add(&n->digest, nt->type, nt->success ? 1 : 0, nt->success ? 0 : 1);
	notice_free(nt);
}

/* The test hook: an empty field name, which Discord rejects. */
static void
poison(struct notifier *n, struct notice *nt)
{
	static const char mark[] = "\"fields\":[";
	char *at, *s;

	if (n->poison == NULL || strstr(nt->json, n->poison) == NULL ||
	    (at = strstr(nt->json, mark)) == NULL)
		return;
	at += sizeof mark - 1;
	s = xasprintf("%.*s{\"name\":\"\",\"value\":\"poisoned by the test hook\"},%s",
	    (int)(at - nt->json), nt->json, at);
	free(nt->json);
	nt->json = s;
}

/* Takes what the workers handed over. */
static void
drain(struct notifier *n)
{
	struct digest wd;
	void *item;
	int64_t now = now_ms();

	while (queue_try_pop(n->q, &item) == 0) {
		struct notice *nt = item;

		nt->since = now;
		if (n->gone || (n->o.webhook == NULL && !n->o.dry_run)) {
			drop(n, nt);
			continue;
		}
		poison(n, nt);
		if (nt->success)
			list_push(&n->succ, nt);
		else if (n->fails.n >= n->o.queue_size)
			drop(n, nt);	/* queue.size failures wait already */
		else
			list_push(&n->fails, nt);
	}
	pthread_mutex_lock(&n->wdigest_lock);
	wd = n->wdigest;
	n->wdigest.n = 0;
	n->wdigest.total = 0;
	pthread_mutex_unlock(&n->wdigest_lock);
	if (wd.total > 0) {
		if (n->gone || (n->o.webhook == NULL && !n->o.dry_run)) {
			METRIC_ADD(embeds_dropped, (unsigned long)wd.total);
			resolved(n, wd.total);
			return;
		}
		if (n->digest.total == 0)
			n->digest_since = now;
		for (size_t i = 0; i < wd.n; i++)
			digest_add(&n->digest, wd.types[i], (long)wd.rows[i].processed,
			    (long)wd.rows[i].failed);
	}
}

/* Keeps the backlog within queue_size and a minute of sending. */
static void
bound(struct notifier *n)
{
	size_t cap = n->o.queue_size;

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
	json_object *embed;

	for (size_t i = 0; i < n->digest.n; i++)
		n->digest.rows[i].type = n->digest.types[i];
	embed = embed_digest(n->digest.rows, n->digest.n, time(NULL), &nt->chars);
	nt->json = embed_to_json(embed);
	json_object_put(embed);
	nt->count = n->digest.total;
	nt->digest = 1;
	nt->success = 1;
	nt->since = n->digest_since;
	strlcpy_s(nt->type, "digest", sizeof nt->type);
	n->digest.n = 0;
	n->digest.total = 0;
	return nt;
}

/*
 * Whether a new batch should go now: it would be full, or the oldest
 * waiting embed has lingered long enough, or we are stopping.
 */
static int
batch_ready(struct notifier *n, int64_t now)
{
	size_t count = 0, chars = 0;
	int64_t oldest = INT64_MAX;
	const struct notice_list *lists[2] = { &n->fails, &n->succ };

	if (n->fails.n + n->succ.n == 0 && n->digest.total == 0)
		return 0;
	if (atomic_load(&n->stop))
		return 1;
	if (n->digest.total > 0) {
		count = 1;
		chars = 200;	/* a digest of a few types */
		oldest = n->digest_since;
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

/* Packs held[] greedily: failures, the digest, successes. */
static void
fill_batch(struct notifier *n)
{
	size_t chars = 0;
	struct notice_list *l;

	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			if (n->digest.total > 0 &&
			    n->nheld < EMBED_MAX_PER_MESSAGE) {
				struct notice *d = take_digest(n);

				if (chars + d->chars > EMBED_MAX_TOTAL) {
					/* First in the next batch. */
					d->next = n->fails.head;
					n->fails.head = d;
					if (n->fails.tail == NULL)
						n->fails.tail = d;
					n->fails.n++;
					break;
				}
				n->held[n->nheld++] = d;
				chars += d->chars;
			}
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
		n->digest.n = 0;
		n->digest.total = 0;
	}
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
		fflush(n->o.out);
		delivered(n);
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
pending(const struct notifier *n)
{
	return n->nheld > 0 || n->fails.n + n->succ.n > 0 || n->digest.total > 0;
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

		drain(n);
		bound(n);
		now = now_ms();
		measure(n, now);
		stopping = atomic_load(&n->stop);
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
			if (queue_depth(n->q) > 0 || atomic_load(&n->stop)) {
				atomic_store(&n->sleeping, 0);
				continue;
			}
			timeout = NOTIFY_IDLE_MS;
		}
		if (discord_client_poll(n->dc, (int)timeout, &r))
			answered(n, &r);
		atomic_store(&n->sleeping, 0);
	}
	discord_client_abort(n->dc);
	drain(n);
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
	const char *p = getenv("SIPEATD_TEST_POISON");
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
	n->poison = p != NULL && *p != '\0' ? xstrdup(p) : NULL;
	n->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)n;
	pthread_mutex_init(&n->wdigest_lock, NULL);
	return n;
}

int
notifier_start(struct notifier *n)
{
	int rc = pthread_create(&n->thread, NULL, notifier_main, n);

	if (rc != 0) {
		log_error("notify", "pthread_create: %s", strerror(rc));
		return -1;
	}
	n->started = 1;
	return 0;
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
	strlcpy_s(nt->type, type, sizeof nt->type);
	atomic_fetch_add(&n->unresolved, 1);
	if (queue_try_push(n->q, nt) != 0) {
		/* The ring is full: count the event into a digest, never wait. */
		pthread_mutex_lock(&n->wdigest_lock);
		digest_add(&n->wdigest, type, success ? 1 : 0, success ? 0 : 1);
		pthread_mutex_unlock(&n->wdigest_lock);
		notice_free(nt);
	}
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load(&n->sleeping) && atomic_exchange(&n->sleeping, 0))
		discord_client_wakeup(n->dc);
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
	atomic_store(&n->stop, 1);
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
	pthread_mutex_destroy(&n->wdigest_lock);
	free(n->poison);
	free(n);
}
