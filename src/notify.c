/*
 * notify.c -- the notifier thread: the hand-over from the workers, the
 * routing to webhooks, the libcurl client, dry-run printing and the
 * metrics. What to send to one webhook and when is decided by a notifier
 * core (notify-core.c), a pure state machine this thread feeds and asks:
 * one core per webhook (SPEC section 9).
 *
 * Hand-over: workers push notices into a bounded lock-free ring (the data
 * path's queue) and never wait. The thread drains the ring at every turn
 * of its loop -- also while requests are in flight, since they run in a
 * curl multi handle and the thread sleeps in curl_multi_poll() -- into the
 * cores. A worker rings curl_multi_wakeup() only when the thread said it
 * is going to sleep for long (the "sleeping" flag), so a busy stream of
 * embeds costs the workers no system call per embed; while anything is
 * pending the thread ticks every NOTIFY_TICK_MS instead.
 *
 * Routing: an event goes to every webhook that matches it (webhook.h:
 * events and types). The ring carries one notice per event; the thread
 * gives each matching webhook's core its own copy, so each webhook batches,
 * digests, retries and drops on its own. Each webhook has its own easy
 * handle (a slot of the discord client) in the one multi handle, so one
 * webhook's rate limit, slow answer, 401 or 404 never holds up another.
 * The per-message extras -- the mention in content, allowed_mentions,
 * flags 4096 -- are added to each batch as it is sent (webhook_payload());
 * they cost the batching nothing: content (a mention, at most 25
 * characters of Discord's 2000) is not counted in the 6000 characters of
 * the embeds.
 *
 * The hand-over ring keeps its last quarter for failures: a worker folds
 * a success into a second, mutex-protected digest table of each webhook
 * it goes to (given to the cores at the thread's next turn) once the ring
 * is three quarters full, and a failure goes to each such webhook's
 * overflow (under its own mutex, given the same way) only when the ring is
 * full.
 *
 * Accounting, per webhook: "unresolved" counts events submitted for it and
 * not yet delivered in an embed, delivered in a digest or dropped; its core
 * counts the three outcomes (struct ncore_stats), published here as the
 * webhook's metrics embeds_sent, embeds_digested and embeds_dropped, whose
 * sum is the number of events that matched it once the notifier stopped.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "discord.h"
#include "embed.h"
#include "log.h"
#include "metrics.h"
#include "notify-core.h"
#include "notify.h"
#include "queue.h"
#include "util.h"
#include "webhook.h"

#define NOTIFY_TICK_MS		20	/* sleep while anything is pending */
#define NOTIFY_IDLE_MS		1000	/* sleep when nothing is (woken earlier) */
#define NOTIFY_RING_MIN		16384	/* hand-over ring: 16k records at least */
#define REQUEST_TIMEOUT_MS	10000L

/* One webhook: its core, its slot in the client, its counters. */
struct hook {
	const struct webhook	*wh;		/* borrowed from the options */
	char			*name;		/* its name and masked URL: logs */
	struct ncore		*core;
	struct ncore_stats	 published;	/* what the metrics have seen */
	struct metrics_webhook	*mw;
	int			 slot;		/* -1: nowhere to send */
	int			 forum;		/* 400 code 220001: dropped for good */
	_Atomic long		 unresolved;
	_Atomic int		 broken;	/* 401/403/404/220001 */
	struct digest		 wdigest;	/* n->wdigest_lock */
	struct overflow		 ovf;		/* n->ovf_lock */
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
	size_t			 succ_room;	/* ring depth past which successes fold */

	pthread_mutex_t		 wdigest_lock;	/* workers' overflow digests */
	pthread_mutex_t		 ovf_lock;	/* failures without room */

	struct hook		*hooks;
	size_t			 nhooks;
	struct webhook		 nowhere;	/* the hook when none is given */
	struct buf		 out;		/* --dry-run: printed, not yet written */
};

/*
 * --dry-run's payloads (a few kB each) gather in n->out and go to o.out
 * in one fwrite() per burst or per this many bytes: through stdio's 4 kB
 * buffer each took 1.5 write(2)s (issue 11 item 3).
 */
#define NOTIFY_OUT_MAX	(64 * 1024)

/* Writes what --dry-run printed and flushes o.out. The thread. */
static void
out_flush(struct notifier *n)
{
	if (n->out.len > 0) {
		fwrite(n->out.p, 1, n->out.len, n->o.out);
		n->out.len = 0;
	}
	fflush(n->o.out);
}

/*
 * --dry-run into a pipe: ask for a pipe buffer of NOTIFY_PIPE_SIZE (the
 * kernel's default ceiling, /proc/sys/fs/pipe-max-size) instead of 64 kB.
 * With 64 kB the notifier slept in write(2) at nearly every burst while
 * a reader caught up: 1,660 sleeps, each a context switch both ways, per
 * 200,000 events into peers-bench's meter. Best effort: a file, a
 * terminal or a lower ceiling keeps what it has.
 */
#define NOTIFY_PIPE_SIZE	(1024 * 1024)

static void
out_grow_pipe(FILE *out)
{
	struct stat st;
	int fd = fileno(out);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    fcntl(fd, F_GETPIPE_SZ) < NOTIFY_PIPE_SIZE)
		(void)fcntl(fd, F_SETPIPE_SZ, NOTIFY_PIPE_SIZE);
}

/* A dry run prints every embed, waiting for room rather than digesting. */
static int
print_all(const struct notifier *n)
{
	return n->o.dry_run && !n->o.model_backlog;
}

/*
 * Publishes what h's core resolved since the last call: the metrics, and
 * "unresolved" for notifier_idle(). The thread.
 */
static void
publish(struct hook *h)
{
	const struct ncore_stats *st = ncore_stats(h->core);
	struct ncore_stats *p = &h->published;
	unsigned long done;

	done = (st->sent - p->sent) + (st->digested - p->digested) +
	    (st->dropped - p->dropped);
	metrics_webhook_add(h->mw, M_EMBEDS_SENT, st->sent - p->sent);
	metrics_webhook_add(h->mw, M_EMBEDS_DIGESTED,
	    st->digested - p->digested);
	metrics_webhook_add(h->mw, M_EMBEDS_DROPPED, st->dropped - p->dropped);
	metrics_webhook_add(h->mw, M_FAILURES_UNLISTED,
	    st->unlisted - p->unlisted);
	metrics_webhook_add(h->mw, M_FAILURES_GROUPED,
	    st->grouped - p->grouped);
	metrics_webhook_add(h->mw, M_PAYLOADS, st->payloads - p->payloads);
	*p = *st;
	atomic_store(&h->broken, h->forum || ncore_broken(h->core));
	if (done > 0)
		atomic_fetch_sub(&h->unresolved, (long)done);
}

/* A copy of nt for one more webhook (every core owns its notices). */
static struct notice *
notice_copy(const struct notice *nt)
{
	struct notify_event ev = { 0 };

	ev.type = nt->type;
	ev.success = nt->success;
	if (nt->fail != NULL) {
		ev.icon = nt->fail->icon;
		ev.title = nt->fail->title;
		ev.stage = nt->fail->stage;
		ev.error = nt->fail->error;
		ev.event_id = nt->fail->id;
		ev.finished = nt->fail->finished;
	}
	return notice_create(xstrdup(nt->json), nt->chars, &ev);
}

/* Gives nt to the core of every webhook it matches (nt is theirs). */
static void
route(struct notifier *n, struct notice *nt, int64_t now)
{
	struct hook *last = NULL;

	for (size_t i = 0; i < n->nhooks; i++) {
		struct hook *h = &n->hooks[i];

		if (!webhook_matches(h->wh, nt->type, nt->success))
			continue;
		if (last != NULL)
			ncore_add(last->core, notice_copy(nt), now);
		last = h;
	}
	if (last != NULL)
		ncore_add(last->core, nt, now);
	else
		notice_free(nt);	/* submit pushes only what matches */
}

/* Embeds waiting in every core, the most of any one. */
static size_t
waiting_max(const struct notifier *n)
{
	size_t m = 0;

	for (size_t i = 0; i < n->nhooks; i++) {
		size_t w = ncore_waiting(n->hooks[i].core);

		if (w > m)
			m = w;
	}
	return m;
}

/*
 * Takes what the workers handed over into the cores: everything, or
 * (limit) in a dry run only while fewer than queue.size embeds wait, so
 * that a slow stdout fills the ring and holds the workers back instead of
 * growing the lists.
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

	while ((!limit || !print_all(n) || waiting_max(n) < room) &&
	    queue_try_pop(n->q, &item) == 0)
		route(n, item, now);
	for (size_t i = 0; i < n->nhooks; i++) {
		struct hook *h = &n->hooks[i];

		pthread_mutex_lock(&n->wdigest_lock);
		wd = h->wdigest;
		digest_reset(&h->wdigest);
		pthread_mutex_unlock(&n->wdigest_lock);
		ncore_fold(h->core, &wd, now);
		pthread_mutex_lock(&n->ovf_lock);
		wo = h->ovf;
		memset(&h->ovf, 0, sizeof h->ovf);
		pthread_mutex_unlock(&n->ovf_lock);
		ncore_overflowed(h->core, &wo, now);
		/* A forum webhook without thread_id takes nothing, counted. */
		if (h->forum)
			ncore_drop_all(h->core);
	}
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

/* Gives one answer to h's core. */
static void
answered(struct hook *h, const struct discord_response *r)
{
	const char *advice = discord_advice(r);

	metrics_webhook_inc(h->mw, M_DISCORD_REQUEST(code_slot(r->status)));
	if (discord_classify(r) == DISCORD_RATE_LIMITED)
		metrics_webhook_inc(h->mw, M_DISCORD_RATE_LIMITED);
	if (advice != NULL) {
		/*
		 * Every message would be refused alike: bisecting would drop
		 * them one by one, a request each. Said once; the webhook
		 * takes nothing more until a restart with a new configuration.
		 */
		log_error("notify", "webhook %s refused a message (%ld %s): %s; "
		    "its notifications are dropped until sipeatd restarts",
		    h->name, r->status, r->message, advice);
		h->forum = 1;
		metrics_webhook_state(h->mw, METRIC_WEBHOOK_FORUM);
		ncore_drop_all(h->core);
		return;
	}
	ncore_answer(h->core, r, now_ms());
	if (ncore_gone(h->core))
		metrics_webhook_state(h->mw, METRIC_WEBHOOK_GONE);
}

/* Anything h still has to send (the ring aside). */
static int
pending(struct notifier *n, struct hook *h)
{
	int ovf;

	pthread_mutex_lock(&n->ovf_lock);
	ovf = h->ovf.count > 0;
	pthread_mutex_unlock(&n->ovf_lock);
	return ncore_pending(h->core) || ovf;
}

static int
busy(const struct notifier *n, const struct hook *h)
{
	return h->slot >= 0 && discord_client_busy_at(n->dc, h->slot);
}

/* Sends (or prints) h's core's next batch. */
static void
send_batch(struct notifier *n, struct hook *h)
{
	const char *embeds[EMBED_MAX_PER_MESSAGE];
	struct discord_response r;
	size_t ne;
	int failures = 0;
	char *payload;

	ne = ncore_take(h->core, time(NULL), embeds, &failures);
	if (ne == 0)
		return;
	payload = webhook_payload(h->wh, embeds, ne, failures);
	if (n->o.dry_run) {
		buf_adds(&n->out, payload);
		buf_addc(&n->out, '\n');
		ncore_delivered(h->core);
		/* One write per burst, not per payload (issue 11 item 3). */
		if ((!pending(n, h) && queue_depth(n->q) == 0) ||
		    n->out.len >= NOTIFY_OUT_MAX)
			out_flush(n);
	} else if (discord_client_start_at(n->dc, h->slot, payload) != 0) {
		log_error("notify", "webhook %s: cannot start a request", h->name);
		discord_response_init(&r);
		r.status = 0;
		str_copy(r.message, "cannot start a request", sizeof r.message);
		ncore_answer(h->core, &r, now_ms());
	}
	free(payload);
}

/*
 * Whether h is done while stopping: nothing left, or nothing it can still
 * send before the deadline.
 */
static int
stop_done(struct notifier *n, struct hook *h, int64_t deadline)
{
	if (h->forum || ncore_broken(h->core))
		return 1;
	if (ncore_not_before(h->core) > deadline && pending(n, h))
		return 1;
	return !pending(n, h) && !busy(n, h);
}

static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	struct discord_response r;
	long left;

	pthread_setname_np(pthread_self(), "sipeatd-notify");
	for (;;) {
		int64_t now, timeout = NOTIFY_IDLE_MS;
		int any_busy = 0, any_pending = 0, all_done = 1, printed = 0;

		drain(n, 1);
		now = now_ms();
		for (size_t i = 0; i < n->nhooks; i++) {
			ncore_tick(n->hooks[i].core, now);
			publish(&n->hooks[i]);
		}
		if (stop_flag_get(&n->stop)) {
			int64_t deadline = atomic_load(&n->deadline);

			for (size_t i = 0; i < n->nhooks; i++) {
				ncore_stop(n->hooks[i].core);
				all_done &= stop_done(n, &n->hooks[i], deadline);
			}
			if (now >= deadline || (all_done && queue_depth(n->q) == 0))
				break;
		}
		for (size_t i = 0; i < n->nhooks; i++) {
			struct hook *h = &n->hooks[i];
			int64_t nb;

			/* Only a dry run or a webhook with a URL sends anything. */
			if ((h->slot >= 0 || n->o.dry_run) && !busy(n, h) &&
			    !h->forum && ncore_ready(h->core, now)) {
				send_batch(n, h);
				if (n->o.dry_run) {
					publish(h);
					printed = 1;
				}
			}
			if (busy(n, h)) {
				any_busy = 1;
				continue;
			}
			if (!pending(n, h))
				continue;
			any_pending = 1;
			nb = ncore_not_before(h->core);
			if (nb > now && nb - now < timeout)
				timeout = nb - now;
		}
		if (printed)
			continue;	/* printing never waits */
		if (any_busy || any_pending) {
			if (timeout > NOTIFY_TICK_MS)
				timeout = NOTIFY_TICK_MS;
		} else {
			atomic_store(&n->sleeping, 1);
			atomic_thread_fence(memory_order_seq_cst);
			if (queue_depth(n->q) > 0 || stop_flag_get(&n->stop)) {
				atomic_store(&n->sleeping, 0);
				continue;
			}
			timeout = NOTIFY_IDLE_MS;
		}
		discord_client_run(n->dc, (int)timeout);
		for (size_t i = 0; i < n->nhooks; i++) {
			struct hook *h = &n->hooks[i];

			if (h->slot >= 0 && discord_client_result(n->dc, h->slot, &r))
				answered(h, &r);
		}
		atomic_store(&n->sleeping, 0);
	}
	/* Submitters waiting for room give up: queue_push_wait fails. */
	atomic_store(&n->running, 0);
	queue_close(n->q);
	if (n->o.dry_run)
		out_flush(n);
	drain(n, 0);
	for (size_t i = 0; i < n->nhooks; i++) {
		struct hook *h = &n->hooks[i];

		if (h->slot >= 0)
			discord_client_abort_at(n->dc, h->slot);
		left = ncore_drop_all(h->core);
		publish(h);
		if (left > 0)
			log_warn("notify", "stopping: %ld notifications for webhook "
			    "%s not sent (counted as dropped)", left, h->name);
	}
	return NULL;
}

/*
 * The log name of webhook wh: its name and its masked URL (discord.h
 * shown), or the name alone when it has no URL.
 */
static char *
hook_name(const struct webhook *wh)
{
	if (wh->dw.shown == NULL)
		return xstrdup(wh->name);
	return xasprintf("%s %s", wh->name, wh->dw.shown);
}

struct notifier *
notifier_create(const struct notifier_opts *o)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	const char **names;
	size_t cap = NOTIFY_RING_MIN;
	char err[256];

	n->o = *o;
	if (n->o.queue_size < 1)
		n->o.queue_size = 1;
	if (o->dry_run && o->out != NULL)
		out_grow_pipe(o->out);
	while (cap < o->queue_size)
		cap <<= 1;
	n->dc = discord_client_new(REQUEST_TIMEOUT_MS, err, sizeof err);
	if (n->dc == NULL) {
		log_error("notify", "%s", err);
		free(n);
		return NULL;
	}
	/* No webhook: one without URL, so that a dry run prints everything. */
	webhook_init(&n->nowhere, WEBHOOK_DEFAULT_NAME);
	if (o->nhooks == 0) {
		n->o.hooks = &n->nowhere;
		n->o.nhooks = 1;
	}
	n->nhooks = n->o.nhooks;
	n->hooks = xcalloc(n->nhooks, sizeof *n->hooks);
	names = xcalloc(n->nhooks, sizeof *names);
	for (size_t i = 0; i < n->nhooks; i++)
		names[i] = n->o.hooks[i].name;
	metrics_webhooks_init(names, n->nhooks);
	free(names);
	for (size_t i = 0; i < n->nhooks; i++) {
		struct hook *h = &n->hooks[i];
		struct ncore_opts co = { 0 };

		h->wh = &n->o.hooks[i];
		h->name = hook_name(h->wh);
		h->mw = metrics_webhook(i);
		h->slot = -1;
		if (!o->dry_run && h->wh->dw.url != NULL) {
			h->slot = discord_client_add(n->dc, h->wh->dw.url, err,
			    sizeof err);
			if (h->slot < 0) {
				log_error("notify", "webhook %s: %s", h->name, err);
				n->nhooks = i + 1;
				notifier_destroy(n);
				return NULL;
			}
		}
		co.name = h->name;
		co.queue_size = n->o.queue_size;
		co.linger_ms = o->linger_ms;
		co.print_all = print_all(n);
		co.sink = o->dry_run || h->slot >= 0;
		co.group_failures = o->group_failures;
		co.seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)h;
		h->core = ncore_create(&co);
	}
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
	struct notice *nt;
	size_t matched = 0;

	/* The webhooks' filters are read-only: any thread may match. */
	for (size_t i = 0; i < n->nhooks; i++) {
		if (webhook_matches(n->hooks[i].wh, ev->type, ev->success)) {
			atomic_fetch_add(&n->hooks[i].unresolved, 1);
			matched++;
		}
	}
	if (matched == 0) {
		/* Routed nowhere by the configuration: nothing to count. */
		free(embed_json);
		return;
	}
	nt = notice_create(embed_json, chars, ev);
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
		for (size_t i = 0; i < n->nhooks; i++) {
			struct hook *h = &n->hooks[i];

			if (!webhook_matches(h->wh, ev->type, ev->success))
				continue;
			if (ev->success) {
				pthread_mutex_lock(&n->wdigest_lock);
				digest_add(&h->wdigest, nt->type, 1);
				pthread_mutex_unlock(&n->wdigest_lock);
			} else {
				pthread_mutex_lock(&n->ovf_lock);
				if (h->ovf.count == 0)
					h->ovf.since = now_ms();
				overflow_add(&h->ovf, nt->fail->id);
				pthread_mutex_unlock(&n->ovf_lock);
			}
		}
		notice_free(nt);
	}
	wake(n);
}

int
notifier_idle(struct notifier *n)
{
	for (size_t i = 0; i < n->nhooks; i++) {
		if (atomic_load(&n->hooks[i].unresolved) != 0 &&
		    !atomic_load(&n->hooks[i].broken))
			return 0;
	}
	return 1;
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
	if (n->q != NULL) {
		while (queue_try_pop(n->q, &item) == 0)
			notice_free(item);
		queue_destroy(n->q);
	}
	discord_client_destroy(n->dc);
	for (size_t i = 0; i < n->nhooks; i++) {
		if (n->hooks[i].core != NULL)
			ncore_destroy(n->hooks[i].core);
		overflow_reset(&n->hooks[i].ovf);
		free(n->hooks[i].name);
	}
	free(n->hooks);
	webhook_clear(&n->nowhere);
	if (n->q != NULL) {
		pthread_mutex_destroy(&n->wdigest_lock);
		pthread_mutex_destroy(&n->ovf_lock);
	}
	buf_free(&n->out);
	free(n);
}
