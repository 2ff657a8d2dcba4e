/*
 * pool.c -- the worker threads.
 *
 * A worker owns the job it popped: it parses the event, runs the handler,
 * writes a failed event to the dead-letter topic, builds the embed (in
 * parallel, off the notifier thread) and hands it to the notifier -- all
 * before the job goes back to the consumer thread, so an offset is only
 * ever committed for an event whose stages finished, whose dead letter is
 * written and whose notification was handed over (SPEC 6).
 *
 * Dead letters do not hold the worker up: it queues the dead letter
 * (dlq_send) and goes on with the next job, keeping the failed event's job
 * and embed as a "letter" until the delivery report came; only then is
 * the event notified and its job completed. Up to DLQ_AHEAD letters
 * travel per worker (then it waits for the oldest). A failed delivery
 * falls back to dlq_write(), which retries until the dead letter is
 * written; shutdown cutting that short leaves the event neither notified
 * nor committed, as before. The key is released when the stages are done,
 * so the key's next event may run meanwhile: order per key is about
 * running, and the uncommitted letter holds the partition's watermark.
 *
 * Then it releases the job's key: if another event of the same key is
 * parked in the key gate, this worker runs it next itself (no trip through
 * the queue, and the key's order holds).
 *
 * Every worker has its own stage context, with its own CURL easy handle
 * (made in the worker's thread, kept for its lifetime so that http and smtp
 * stages reuse connections; libcurl handles are never shared by threads).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "dlq.h"
#include "embed.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

#define ERR_MAX		1024
#define PREVIEW_MAX	512	/* bytes of an invalid payload shown in its embed */
#define DLQ_AHEAD	256	/* dead letters on their way per worker */

enum run_result {
	RUN_CUT,		/* cut short by shutdown: neither notified nor committed */
	RUN_DONE,		/* finished: notified (and dead-lettered if failed) */
	RUN_LETTER		/* finished, its dead letter on its way: a letter holds it */
};

/* A failed event whose dead letter is on its way (see the top). */
struct letter {
	struct job		*job;
	struct delivery		*dv;
	char			*embed;		/* submitted once the dead letter is written */
	size_t			 chars;
	struct notify_event	 ne;		/* what notifier_submit() takes */
	char			*reason;	/* for a retry with dlq_write(); ne.error */
	char			*id;		/* ne.event_id */
	char			 what[EVENT_ID_MAX];
};

struct worker {
	struct pool		*pool;
	int			 index;
	pthread_t		 thread;
	int			 started;
	struct stage_ctx	 ctx;
	struct letter		 letters[DLQ_AHEAD];	/* oldest first */
	size_t			 nletters;
};

struct pool {
	struct pipeline		 pl;
	struct worker		*w;
	int			 n;
	struct stopflag		 stopping;	/* pool_abort(): stages give up */
	_Atomic int		 draining;	/* pool_drain(): start no event */
	_Atomic int64_t		 deadline;	/* of the whole shutdown; 0: none */
};

/* The fields shown for an invalid event: where it was and what it held. */
static json_object *
invalid_fields(const rd_kafka_message_t *rkm)
{
	json_object *o = json_object_new_object();
	size_t len = rkm->len < PREVIEW_MAX ? rkm->len : PREVIEW_MAX;

	json_object_object_add(o, "topic",
	    json_object_new_string(rd_kafka_topic_name(rkm->rkt)));
	json_object_object_add(o, "partition", json_object_new_int(rkm->partition));
	json_object_object_add(o, "offset", json_object_new_int64(rkm->offset));
	/*
	 * With its length: a NUL byte inside is kept, and the embed module
	 * shows it (and invalid UTF-8) as U+FFFD and cuts safely.
	 */
	json_object_object_add(o, "payload", json_object_new_string_len(
	    rkm->payload != NULL ? rkm->payload : "", (int)len));
	return o;
}

static void	settle(struct worker *, size_t, int);

/*
 * The stage that failed, when err names one of h's stages first (handler.h:
 * "payment: card declined"); NULL otherwise.
 */
static const char *
failed_stage(const struct handler *h, const char *err)
{
	for (size_t i = 0; h != NULL && i < h->nstages; i++) {
		size_t len = strlen(h->stages[i]->name);

		if (strncmp(err, h->stages[i]->name, len) == 0 &&
		    err[len] == ':')
			return h->stages[i]->name;
	}
	return NULL;
}

/*
 * Processes one event. Returns RUN_DONE when it finished (success or
 * failure: notified, dead-lettered if failed), RUN_LETTER when it finished
 * but its dead letter is on its way (the job now belongs to a letter),
 * RUN_CUT when a stage was cut short by shutdown: such an event is neither
 * notified nor dead-lettered, and its offset is not stored, so the next
 * run processes it again.
 */
static enum run_result
run_job(struct worker *w, struct job *job)
{
	const struct pipeline *pl = &w->pool->pl;
	const rd_kafka_message_t *rkm = job_message(job);
	const struct handler *h = NULL;
	struct embed_event ee = { 0 };
	struct notify_event ne = { 0 };
	struct event ev;	/* event_parse() clears it; used once parsed */
	char err[ERR_MAX], fallback[EVENT_ID_MAX];
	json_object *shown = NULL;
	char *embed;
	int parsed = 0, ok = 0, invalid = 1;
	size_t chars;
	struct delivery *dv = NULL;

	err[0] = '\0';	/* only the string is read: no 1 kB zero-fill */
	str_msgid(fallback, sizeof fallback, rd_kafka_topic_name(rkm->rkt),
	    rkm->partition, rkm->offset);
	if (rkm->len > pl->max_message_bytes)
		snprintf(err, sizeof err,
		    "message of %zu bytes is larger than message.max.bytes (%zu)",
		    rkm->len, pl->max_message_bytes);
	else if (rkm->payload == NULL)
		snprintf(err, sizeof err, "message has no value");
	else if (event_parse(&ev, rkm->payload, rkm->len, fallback, err,
	    sizeof err) == 0) {
		parsed = 1;
		h = handlers_find(pl->handlers, ev.type);
		if (h == NULL)
			snprintf(err, sizeof err, "no handler for type \"%.200s\"", ev.type);
		else {
			invalid = 0;
			/* The kafka stage keeps the source key. */
			w->ctx.key = rkm->key;
			w->ctx.keylen = rkm->key_len;
			if (event_check_required(&ev, err, sizeof err) == 0)
				ok = handler_run(h, &ev, &w->ctx, err, sizeof err) == 0;
			w->ctx.key = NULL;
			w->ctx.keylen = 0;
			if (!ok && stop_flag_get(w->ctx.stopping)) {
				log_info("worker", "%s: %s %s interrupted by shutdown (%s); "
				    "left for the next run", fallback, ev.type, ev.id, err);
				event_clear(&ev);
				return RUN_CUT;
			}
		}
	}

	/*
	 * A failed event is committed only once its dead letter is written
	 * (SPEC section 6): queued here, its delivery settled later (settle());
	 * when it cannot even be queued, dlq_write() retries until it is, and
	 * when shutdown makes it give up the event is left for the next run,
	 * neither notified nor committed, like an interrupted one.
	 */
	if (!ok && pl->producer != NULL && pl->dlq_topic != NULL &&
	    *pl->dlq_topic != '\0') {
		char why[512];

		if (w->nletters == DLQ_AHEAD)
			settle(w, 0, 1);
		dv = dlq_send(pl->producer, pl->dlq_topic, pl->max_message_bytes,
		    rkm, err, why, sizeof why);
		if (dv == NULL && dlq_write(pl->producer, pl->dlq_topic,
		    pl->max_message_bytes, rkm, err, fallback, 0,
		    w->ctx.stopping) != 0) {
			if (parsed)
				event_clear(&ev);
			return RUN_CUT;
		}
	}

	ee.success = ok;
	ee.error = ok ? NULL : err;
	ee.finished = time(NULL);
	if (invalid) {
		ee.type = "invalid";
		ee.icon = "\xe2\x9a\xa0\xef\xb8\x8f";	/* ⚠️ */
		ee.title = "Invalid event";
		ee.event_id = parsed ? ev.id : fallback;
		shown = invalid_fields(rkm);
		ee.data = shown;
		metrics_inc(M_EVENTS_INVALID);
		log_warn("worker", "%s: invalid event: %s", fallback, err);
	} else {
		ee.type = h->type;
		ee.icon = h->icon;
		ee.title = h->title;
		ee.event_id = ev.id;
		ee.data = ev.data;
		if (ok) {
			metrics_inc(M_EVENTS_OK);
			log_debug("worker", "%s: %s %s processed", fallback, ev.type, ev.id);
		} else {
			metrics_inc(M_EVENTS_FAILED);
			log_info("worker", "%s: %s %s failed: %s", fallback, ev.type,
			    ev.id, err);
		}
	}
	metrics_event(invalid ? NULL : h->type, invalid ? METRIC_EVENT_INVALID :
	    ok ? METRIC_EVENT_OK : METRIC_EVENT_FAILED);
	/* Serialized here, in parallel: the notifier thread only joins strings. */
	embed = embed_build_json(&ee, &chars);	/* sets chars: before the call */
	ne.type = ee.type;
	ne.success = ok;
	ne.icon = ee.icon;
	ne.title = ee.title;
	ne.stage = failed_stage(invalid ? NULL : h, err);
	ne.error = ee.error;
	ne.event_id = ee.event_id;
	ne.finished = ee.finished;
	if (dv != NULL) {
		struct letter *l = &w->letters[w->nletters++];

		l->job = job;
		l->dv = dv;
		l->embed = embed;
		l->chars = chars;
		l->reason = xstrdup(err);
		l->id = xstrdup(ee.event_id);
		/* type, icon, title and stage are the handler's: they stay. */
		l->ne = ne;
		l->ne.error = l->reason;
		l->ne.event_id = l->id;
		str_copy(l->what, fallback, sizeof l->what);
	} else
		notifier_submit(pl->notifier, embed, chars, &ne);
	if (shown != NULL)
		json_object_put(shown);
	if (parsed)
		event_clear(&ev);
	return dv != NULL ? RUN_LETTER : RUN_DONE;
}

/*
 * Settles letter i: when its delivery report came (or, with wait, once it
 * comes), notifies the event and completes its job; a failed delivery is
 * retried with dlq_write() until written. Shutdown cutting the wait or the
 * retry short completes the job unfinished, not notified: the next run
 * processes the event again. Removes the letter.
 */
static void
settle(struct worker *w, size_t i, int wait)
{
	const struct pipeline *pl = &w->pool->pl;
	struct letter *l = &w->letters[i];
	char err[512];
	int rc, finished = 1;

	if (!wait && !producer_delivery_done(l->dv))
		return;
	rc = producer_delivery_wait(l->dv, pl->dlq_topic, 0, w->ctx.stopping,
	    err, sizeof err);
	producer_delivery_release(l->dv);
	if (rc == 0)
		metrics_inc(M_DLQ_PRODUCED);
	else if (rc < 0) {
		metrics_inc(M_DLQ_ERRORS);
		log_error("dlq", "%s: dead-letter write failed (the event stays "
		    "uncommitted; retrying): %s", l->what, err);
		finished = dlq_write(pl->producer, pl->dlq_topic,
		    pl->max_message_bytes, job_message(l->job), l->reason, l->what, 0,
		    w->ctx.stopping) == 0;
	} else {
		log_warn("dlq", "%s: dead letter not acknowledged (%s); shutdown "
		    "leaves the event uncommitted for the next run", l->what, err);
		finished = 0;
	}
	if (finished)
		notifier_submit(pl->notifier, l->embed, l->chars, &l->ne);
	else
		free(l->embed);
	free(l->reason);
	free(l->id);
	job_complete(pl->done, l->job, finished);
	memmove(l, l + 1, (w->nletters - i - 1) * sizeof *l);
	w->nletters--;
}

/*
 * Settles the oldest letters whose delivery reports came, up to the first
 * still on its way: reports mostly come in order, and this runs between
 * every two jobs, so it looks at one letter, not at all of them.
 */
static void
settle_done(struct worker *w)
{
	while (w->nletters > 0 && producer_delivery_done(w->letters[0].dv))
		settle(w, 0, 1);
}

/* Releases job's key; returns the key's next job, now ours to run. */
static struct job *
release(const struct pipeline *pl, struct job *job)
{
	struct keygate_node *next;
	const void *key;
	size_t keylen;

	key = job_key(job, &keylen);
	if (pl->gate == NULL || key == NULL)
		return NULL;
	next = keygate_release(pl->gate, key, keylen);
	return next != NULL ? job_from_gate(next) : NULL;
}


size_t
pipeline_complete_unrun(const struct pipeline *pl, struct job *job)
{
	size_t n = 0;

	while (job != NULL) {
		struct job *next = release(pl, job);

		job_complete(pl->done, job, 0);
		job = next;
		n++;
	}
	return n;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	char name[32];
	void *item;

	/* Thread names hold 15 bytes: enough for "sipeatd-wrk1024". */
	snprintf(name, sizeof name, "sipeatd-wrk%d", w->index + 1);
	name[15] = '\0';
	pthread_setname_np(pthread_self(), name);
	/*
	 * NULL (out of memory) is survivable: each http or smtp stage run
	 * then makes a handle of its own.
	 */
	w->ctx.curl = curl_easy_init();
	if (w->ctx.curl != NULL)
		curl_easy_setopt(w->ctx.curl, CURLOPT_NOSIGNAL, 1L);
	for (;;) {
		struct job *job;

		settle_done(w);
		/* Letters on their way: look at them again soon. */
		if (queue_pop_wait(p->pl.queue, &item,
		    w->nletters > 0 ? 1 : 200) != 0) {
			if (queue_closed(p->pl.queue))
				break;
			continue;
		}
		job = item;
		while (job != NULL) {
			struct job *next;
			enum run_result finished;

			/*
			 * Stopping: an event not started is not started now;
			 * its offset stays uncommitted (SPEC section 5).
			 */
			if (atomic_load(&p->draining)) {
				pipeline_complete_unrun(&p->pl, job);
				break;
			}
			finished = run_job(w, job);
			next = release(&p->pl, job);
			if (finished != RUN_LETTER)
				job_complete(p->pl.done, job,
				    finished == RUN_DONE);
			job = next;
		}
	}
	/* Every letter settled before the worker ends: none is left behind. */
	while (w->nletters > 0)
		settle(w, 0, 1);
	if (w->ctx.curl != NULL)
		curl_easy_cleanup(w->ctx.curl);
	w->ctx.curl = NULL;
	return NULL;
}

struct pool *
pool_start(const struct pipeline *pl, int n)
{
	struct pool *p = xcalloc(1, sizeof *p);
	int rc;

	p->pl = *pl;
	/* The first dead letter should not wait for the topic's metadata. */
	if (pl->producer != NULL && pl->dlq_topic != NULL && *pl->dlq_topic != '\0')
		producer_prepare(pl->producer, pl->dlq_topic);
	p->w = xcalloc((size_t)n, sizeof *p->w);
	p->n = n;
	for (int i = 0; i < n; i++) {
		struct worker *w = &p->w[i];

		w->pool = p;
		w->index = i;
		w->ctx.worker = i;
		w->ctx.stopping = &p->stopping;
		w->ctx.producer = pl->producer;
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc != 0) {
			log_error("pool", "pthread_create: %s", strerror(rc));
			pool_stop(p);
			pool_join(p);
			pool_free(p);
			return NULL;
		}
		w->started = 1;
	}
	return p;
}

void
pool_drain(struct pool *p, int64_t deadline)
{
	int64_t none = 0;

	/* The first deadline is the one: a later call does not extend it. */
	if (deadline != 0)
		atomic_compare_exchange_strong(&p->deadline, &none, deadline);
	atomic_store(&p->draining, 1);
}

void
pool_abort(struct pool *p)
{
	atomic_store(&p->draining, 1);
	stop_flag_set(&p->stopping);
}

int64_t
pool_deadline(const struct pool *p)
{
	return atomic_load(&p->deadline);
}

int
pool_workers(const struct pool *p)
{
	return p->n;
}

void
pool_stop(struct pool *p)
{
	atomic_store(&p->draining, 1);
	queue_close(p->pl.queue);
}

void
pool_join(struct pool *p)
{
	void *item;

	for (int i = 0; i < p->n; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
		p->w[i].started = 0;
	}
	/* A worker may have left before the last pushes: discard the rest. */
	while (queue_try_pop(p->pl.queue, &item) == 0)
		pipeline_complete_unrun(&p->pl, item);
}

void
pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	free(p->w);
	free(p);
}
