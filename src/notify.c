/*
 * notify.c -- the notifier thread.
 *
 * Workers push notification records into a bounded lock-free queue (the
 * same ring as the data path). The thread pops them, packs a batch greedily
 * (at most EMBED_MAX_PER_MESSAGE embeds and EMBED_MAX_TOTAL characters) and
 * outputs the batch when it is full, when the next embed would not fit, or
 * when the oldest embed has waited linger_ms.
 *
 * Overload: a worker whose push fails (queue full) folds the event into the
 * digest counters instead (a mutex-protected table: this is the slow path
 * and only runs while overloaded). The thread emits one digest embed per
 * flush when the counters are non-zero. An event is thus either in an embed
 * that was output, or counted in exactly one digest.
 *
 * "pending" counts records pushed but not yet output; with the digest
 * counters it tells notifier_idle() whether everything handed over is out.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "queue.h"
#include "util.h"

#define DIGEST_TYPES_MAX	32
#define NOTIFY_TICK_MS		20	/* sleep while a batch is open */

struct notice {
	char		*json;		/* the embed, serialized by the worker */
	size_t		 chars;
	int		 success;
	char		 type[64];
};

struct notifier {
	struct notifier_opts	 o;
	struct queue		*q;
	pthread_t		 thread;
	int			 started;
	_Atomic int		 stop;
	_Atomic long		 pending;	/* pushed, not yet output */

	pthread_mutex_t		 digest_lock;
	struct embed_digest_row	 digest[DIGEST_TYPES_MAX];
	char			 digest_types[DIGEST_TYPES_MAX][64];
	size_t			 ndigest;
	_Atomic long		 digest_pending; /* events counted, not yet output */

	/* The batch: owned by the thread. */
	struct notice		*batch[EMBED_MAX_PER_MESSAGE + 1];
	size_t			 nbatch;
	size_t			 batch_chars;
	int64_t			 batch_since;
};

struct notifier *
notifier_create(const struct notifier_opts *o)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	size_t cap = 2;

	n->o = *o;
	while (cap < o->queue_size)
		cap <<= 1;
	n->q = queue_create(cap);
	pthread_mutex_init(&n->digest_lock, NULL);
	return n;
}

/* Outputs one webhook payload of count embeds and frees it. */
static void
output_payload(struct notifier *n, char *payload, size_t count)
{
	if (n->o.dry_run) {
		fputs(payload, n->o.out);
		fputc('\n', n->o.out);
		fflush(n->o.out);
	} else
		log_debug("notify", "payload of %zu embeds (%zu bytes): no webhook sender in this build",
		    count, strlen(payload));
	METRIC_INC(payloads);
	free(payload);
}

/* Takes the digest counters and outputs them as one embed, if any. */
static void
flush_digest(struct notifier *n)
{
	struct embed_digest_row rows[DIGEST_TYPES_MAX];
	char types[DIGEST_TYPES_MAX][64];
	json_object *embed;
	size_t nrows, chars;
	long total = 0;

	pthread_mutex_lock(&n->digest_lock);
	nrows = n->ndigest;
	memcpy(types, n->digest_types, sizeof types);
	memcpy(rows, n->digest, nrows * sizeof rows[0]);
	n->ndigest = 0;
	pthread_mutex_unlock(&n->digest_lock);
	if (nrows == 0)
		return;
	for (size_t i = 0; i < nrows; i++) {
		rows[i].type = types[i];
		total += (long)(rows[i].processed + rows[i].failed);
	}
	embed = embed_digest(rows, nrows, time(NULL), &chars);
	output_payload(n, embed_payload(&embed, 1, n->o.username, n->o.avatar_url), 1);
	json_object_put(embed);
	METRIC_ADD(embeds_digested, (unsigned long)total);
	atomic_fetch_sub(&n->digest_pending, total);
}

static void
flush_batch(struct notifier *n)
{
	const char *embeds[EMBED_MAX_PER_MESSAGE];
	size_t count = n->nbatch;

	if (count > 0) {
		for (size_t i = 0; i < count; i++)
			embeds[i] = n->batch[i]->json;
		output_payload(n, embed_payload_json(embeds, count,
		    n->o.username, n->o.avatar_url), count);
		for (size_t i = 0; i < count; i++) {
			free(n->batch[i]->json);
			free(n->batch[i]);
		}
		METRIC_ADD(embeds_sent, count);
		n->nbatch = 0;
		n->batch_chars = 0;
		atomic_fetch_sub(&n->pending, (long)count);
	}
	flush_digest(n);
}

static void
add_to_batch(struct notifier *n, struct notice *nt)
{
	if (n->nbatch > 0 && (n->nbatch == EMBED_MAX_PER_MESSAGE ||
	    n->batch_chars + nt->chars > EMBED_MAX_TOTAL))
		flush_batch(n);
	if (n->nbatch == 0)
		n->batch_since = now_ms();
	n->batch[n->nbatch++] = nt;
	n->batch_chars += nt->chars;
	if (n->nbatch == EMBED_MAX_PER_MESSAGE)
		flush_batch(n);
}

/*
 * The loop takes everything waiting, then sleeps. While a batch is open it
 * sleeps on a short tick rather than in the queue, so a busy stream of
 * embeds costs the workers no wake-up per embed (measured: a futex wake per
 * embed cost more CPU than building the payloads). Only an idle notifier
 * waits in the queue, to be woken by the first embed of a burst.
 */
static void *
notifier_main(void *arg)
{
	struct notifier *n = arg;
	void *item;

	pthread_setname_np(pthread_self(), "sipeatd-notify");
	for (;;) {
		int64_t left;

		while (queue_try_pop(n->q, &item) == 0)
			add_to_batch(n, item);
		if (n->nbatch > 0) {
			left = n->batch_since + n->o.linger_ms - now_ms();
			if (left <= 0 || atomic_load(&n->stop)) {
				flush_batch(n);
				continue;
			}
			sleep_ms(left < NOTIFY_TICK_MS ? left : NOTIFY_TICK_MS);
			continue;
		}
		if (atomic_load(&n->digest_pending) > 0)
			flush_batch(n);
		if (atomic_load(&n->stop) && queue_depth(n->q) == 0)
			break;
		if (queue_pop_wait(n->q, &item, 100) == 0)
			add_to_batch(n, item);
	}
	flush_batch(n);
	return NULL;
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

static void
digest_count(struct notifier *n, const char *type, int success)
{
	size_t i;

	pthread_mutex_lock(&n->digest_lock);
	for (i = 0; i < n->ndigest; i++) {
		if (strcmp(n->digest_types[i], type) == 0)
			break;
	}
	if (i == n->ndigest) {
		if (i == DIGEST_TYPES_MAX)
			i = DIGEST_TYPES_MAX - 1;	/* the last row takes the rest */
		else {
			n->ndigest++;
			memset(&n->digest[i], 0, sizeof n->digest[i]);
			strlcpy_s(n->digest_types[i], type, sizeof n->digest_types[i]);
		}
	}
	if (success)
		n->digest[i].processed++;
	else
		n->digest[i].failed++;
	atomic_fetch_add(&n->digest_pending, 1);
	pthread_mutex_unlock(&n->digest_lock);
}

void
notifier_submit(struct notifier *n, char *embed_json, size_t chars,
    const char *type, int success)
{
	struct notice *nt = xmalloc(sizeof *nt);

	nt->json = embed_json;
	nt->chars = chars;
	nt->success = success;
	strlcpy_s(nt->type, type, sizeof nt->type);
	atomic_fetch_add(&n->pending, 1);
	if (queue_try_push(n->q, nt) == 0)
		return;
	/* Overloaded: fold into the digest, never wait. */
	atomic_fetch_sub(&n->pending, 1);
	free(nt->json);
	free(nt);
	digest_count(n, type, success);
}

int
notifier_idle(struct notifier *n)
{
	return atomic_load(&n->pending) == 0 && atomic_load(&n->digest_pending) == 0;
}

void
notifier_stop(struct notifier *n, int timeout_ms)
{
	(void)timeout_ms;	/* output is local in this release: never slow */
	if (!n->started)
		return;
	atomic_store(&n->stop, 1);
	queue_close(n->q);
	pthread_join(n->thread, NULL);
	n->started = 0;
}

void
notifier_destroy(struct notifier *n)
{
	void *item;

	if (n == NULL)
		return;
	while (queue_try_pop(n->q, &item) == 0) {
		struct notice *nt = item;

		free(nt->json);
		free(nt);
	}
	queue_destroy(n->q);
	pthread_mutex_destroy(&n->digest_lock);
	free(n);
}
