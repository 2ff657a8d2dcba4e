/*
 * notify.c -- the notifier thread: the hand-over from the workers, the
 * libcurl client, dry-run printing and the metrics. What to send and when
 * is decided by the notifier core (notify-core.c), a pure state machine
 * this thread feeds and asks.
 *
 * Hand-over: workers push notices into a bounded lock-free ring (the data
 * path's queue) and never wait. The thread drains the ring at every turn
 * of its loop -- also while a request is in flight, since the request runs
 * in a curl multi handle and the thread sleeps in curl_multi_poll() --
 * into the core. A worker rings curl_multi_wakeup() only when the thread
 * said it is going to sleep for long (the "sleeping" flag), so a busy
 * stream of embeds costs the workers no system call per embed; while
 * anything is pending the thread ticks every NOTIFY_TICK_MS instead.
 *
 * The hand-over ring keeps its last quarter for failures: a worker folds
 * a success into a second, mutex-protected digest table (given to the core
 * at the thread's next turn) once the ring is three quarters full, and a
 * failure goes to the workers' overflow (under its own mutex, given to the
 * core the same way) only when the ring is full.
 *
 * Accounting: "unresolved" counts events submitted and not yet delivered
 * in an embed, delivered in a digest or dropped; the core counts the three
 * outcomes (struct ncore_stats), published here as the metrics
 * embeds_sent, embeds_digested and embeds_dropped, whose sum is the
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
#include "notify-core.h"
#include "notify.h"
#include "queue.h"
#include "util.h"

#define NOTIFY_TICK_MS		20	/* sleep while anything is pending */
#define NOTIFY_IDLE_MS		1000	/* sleep when nothing is (woken earlier) */
#define NOTIFY_RING_MIN		16384	/* hand-over ring: 16k records at least */
#define REQUEST_TIMEOUT_MS	10000L

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
	struct ncore		*core;
	struct ncore_stats	 published;	/* what the metrics have seen */
};

/* A dry run prints every embed, waiting for room rather than digesting. */
static int
print_all(const struct notifier *n)
{
	return n->o.dry_run && !n->o.model_backlog;
}

/*
 * Publishes what the core resolved since the last call: the metrics, and
 * "unresolved" for notifier_idle(). The thread.
 */
static void
publish(struct notifier *n)
{
	const struct ncore_stats *st = ncore_stats(n->core);
	struct ncore_stats *p = &n->published;
	unsigned long done;

	done = (st->sent - p->sent) + (st->digested - p->digested) +
	    (st->dropped - p->dropped);
	METRIC_ADD(embeds_sent, st->sent - p->sent);
	METRIC_ADD(embeds_digested, st->digested - p->digested);
	METRIC_ADD(embeds_dropped, st->dropped - p->dropped);
	METRIC_ADD(failures_unlisted, st->unlisted - p->unlisted);
	METRIC_ADD(payloads, st->payloads - p->payloads);
	*p = *st;
	atomic_store(&n->broken, ncore_broken(n->core));
	if (done > 0)
		atomic_fetch_sub(&n->unresolved, (long)done);
}

/*
 * Takes what the workers handed over into the core: everything, or (limit)
 * in a dry run only while fewer than queue.size embeds wait, so that a slow
 * stdout fills the ring and holds the workers back instead of growing the
 * lists.
 */
static void
drain(struct notifier *n, int limit)
{
	struct digest wd;
	struct overflow wo;
	void *item;
	int64_t now = now_ms();
	size_t room = n->o.queue_size > EMBED_MAX_PER_MESSAGE ?
	    n->o.queue_size : EMBED_MAX_PER_MESSAGE;

	while ((!limit || !print_all(n) || ncore_waiting(n->core) < room) &&
	    queue_try_pop(n->q, &item) == 0)
		ncore_add(n->core, item, now);
	pthread_mutex_lock(&n->wdigest_lock);
	wd = n->wdigest;
	digest_reset(&n->wdigest);
	pthread_mutex_unlock(&n->wdigest_lock);
	ncore_fold(n->core, &wd, now);
	pthread_mutex_lock(&n->ovf_lock);
	wo = n->ovf;
	memset(&n->ovf, 0, sizeof n->ovf);
	pthread_mutex_unlock(&n->ovf_lock);
	ncore_overflowed(n->core, &wo, now);
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

/* Gives one answer to the core. */
static void
answered(struct notifier *n, const struct discord_response *r)
{
	METRIC_INC(discord_requests[code_slot(r->status)]);
	if (discord_classify(r) == DISCORD_RATE_LIMITED)
		METRIC_INC(discord_rate_limited);
	ncore_answer(n->core, r, now_ms());
	if (ncore_gone(n->core))
		METRIC_SET(discord_webhook_gone, 1);
}

/* Anything the thread still has to send (the ring aside). */
static int
pending(struct notifier *n)
{
	int ovf;

	pthread_mutex_lock(&n->ovf_lock);
	ovf = n->ovf.count > 0;
	pthread_mutex_unlock(&n->ovf_lock);
	return ncore_pending(n->core) || ovf;
}

/* Sends (or prints) the core's next batch. */
static void
send_batch(struct notifier *n)
{
	const char *embeds[EMBED_MAX_PER_MESSAGE];
	struct discord_response r;
	size_t ne;
	char *payload;

	ne = ncore_take(n->core, time(NULL), embeds, NULL);
	if (ne == 0)
		return;
	payload = embed_payload_json(embeds, ne, n->o.username,
	    n->o.avatar_url);
	if (n->o.dry_run) {
		fputs(payload, n->o.out);
		fputc('\n', n->o.out);
		ncore_delivered(n->core);
		/* One write per burst, not per payload (issue 11 item 3). */
		if (!pending(n) && queue_depth(n->q) == 0)
			fflush(n->o.out);
	} else if (discord_client_start(n->dc, payload) != 0) {
		log_error("notify", "cannot start a webhook request");
		discord_response_init(&r);
		r.status = 0;
		str_copy(r.message, "cannot start a request", sizeof r.message);
		ncore_answer(n->core, &r, now_ms());
	}
	free(payload);
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct discord_response r;
	long left;

	pthread_setname_np(pthread_self(), "sipeatd-notify");
	for (;;) {
		int64_t now, timeout, nb;
		int busy;

		drain(n, 1);
		now = now_ms();
		ncore_tick(n->core, now);
		publish(n);
		busy = discord_client_busy(n->dc);
		nb = ncore_not_before(n->core);
		if (stop_flag_get(&n->stop)) {
			int64_t deadline = atomic_load(&n->deadline);

			ncore_stop(n->core);
			if (now >= deadline || ncore_broken(n->core) ||
			    (nb > deadline && pending(n)))
				break;
			if (!pending(n) && !busy && queue_depth(n->q) == 0)
				break;
		}
		if (!busy && ncore_ready(n->core, now)) {
			send_batch(n);
			if (n->o.dry_run) {
				publish(n);
				continue;
			}
			busy = discord_client_busy(n->dc);
			nb = ncore_not_before(n->core);
		}
		if (busy || pending(n)) {
			timeout = NOTIFY_TICK_MS;
			if (!busy && nb > now && nb - now < timeout)
				timeout = nb - now;
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
	left = ncore_drop_all(n->core);
	publish(n);
	if (left > 0)
		log_warn("notify", "stopping: %ld notifications not sent (counted "
		    "as dropped)", left);
	return NULL;
}

struct notifier *
notifier_create(const struct notifier_opts *o)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	struct ncore_opts co = { 0 };
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
	co.name = o->webhook != NULL ? o->webhook->shown : NULL;
	co.queue_size = n->o.queue_size;
	co.linger_ms = o->linger_ms;
	co.print_all = print_all(n);
	co.sink = o->dry_run || o->webhook != NULL;
	co.seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)n;
	n->core = ncore_create(&co);
	n->q = queue_create(cap);
	n->succ_room = cap - cap / 4;	/* the last quarter is for failures */
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
    const struct notify_event *ev)
{
	struct notice *nt = notice_create(embed_json, chars, ev);

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
	if (nt != NULL && ((ev->success && queue_depth(n->q) >= n->succ_room) ||
	    queue_try_push(n->q, nt) != 0)) {
		/* No room: never wait, and never fold a failure into green. */
		if (ev->success) {
			pthread_mutex_lock(&n->wdigest_lock);
			digest_add(&n->wdigest, nt->type, 1);
			pthread_mutex_unlock(&n->wdigest_lock);
		} else {
			pthread_mutex_lock(&n->ovf_lock);
			if (n->ovf.count == 0)
				n->ovf.since = now_ms();
			overflow_add(&n->ovf, nt->fail->id);
			pthread_mutex_unlock(&n->ovf_lock);
		}
		notice_free(nt);
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
	ncore_destroy(n->core);
	overflow_reset(&n->ovf);
	pthread_mutex_destroy(&n->wdigest_lock);
	pthread_mutex_destroy(&n->ovf_lock);
	free(n);
}
