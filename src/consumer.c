/*
 * consumer.c -- the consumer thread.
 *
 * State owned here and nowhere else: the librdkafka consumer handle and its
 * message queue, the assignment and its paused state, the ledger (ledger.c:
 * every partition ever assigned, its generation and offset tracker, the
 * in-flight counts), and the pending list (jobs allowed to run that did not
 * fit into the full queue).
 *
 * Per message: track the offset, admit through the key gate (in offset
 * order, in this one thread -- the only way admission order is offset
 * order), then push to the queue or park. Per loop: take the completion
 * stack, mark offsets finished, store each partition's contiguous watermark
 * with rd_kafka_offsets_store (auto commit sends it). The stored offset
 * overwrites the previous one, so only the watermark is ever stored.
 *
 * Two queues: the consumer group's queue (rd_kafka_poll_set_consumer() routes
 * the main queue there) carries the callbacks only -- rebalance, errors,
 * statistics -- and is served on every loop; every assigned partition's
 * fetch queue is forwarded to msgq instead, which is read only while there
 * is room: fewer than max.inflight events in flight and nothing pending.
 *
 * Backpressure is not reading. librdkafka's prefetch into msgq is bounded
 * (queued.max.messages.kbytes and queued.min.messages count the queue a
 * partition's fetch queue is forwarded to: rd_kafka_q_len/size follow the
 * forward), so fetching stops by itself and resumes as soon as msgq drains,
 * with nothing to undo. Pausing drops the prefetch (librdkafka 2.0.2 bumps
 * the partition's version barrier, purging its fetched messages, and
 * refetches from the application's position) and, measured, stalls for up
 * to a second on resume (bench/pipeline): it is kept for a hot key
 * only -- max.inflight reached while fewer keys have work than there are
 * workers, so the window drains slower than the pool could run -- with
 * resume below half of max.inflight. librdkafka cannot tell whether a
 * partition is paused, hence the "paused" flag.
 *
 * Generations: see ledger.h.
 *
 * Shutdown is main's (sipeatd.c daemon_stop()). Asked through request, this
 * thread drains, then -- once main joined the pool -- closes, serving
 * callbacks and completions in between (consumer-phase.c); it never stops
 * or joins the pool.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "consumer.h"
#include "consumer-int.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "ledger.h"
#include "pending.h"
#include "util.h"

#define STORE_INTERVAL_MS	100	/* offsets_store at most this often (and at revoke/exit) */
#define PENDING_WAIT_MS		100	/* longest wait for queue room between polls */
#define FULL_WAIT_MS		2	/* wait for completions when the window is full */
#define POLL_BATCH		256	/* messages taken per loop before draining completions */

/* Stores the watermark of every partition whose watermark moved. */
void
consumer_store_offsets(struct consumer *c)
{
	rd_kafka_topic_partition_list_t *list = NULL;
	rd_kafka_resp_err_t err;

	for (size_t i = 0; i < c->ledger.nparts; i++) {
		struct partition *p = c->ledger.parts[i];
		int64_t off = ledger_take_store(p);

		if (off < 0)
			continue;
		if (list == NULL)
			list = rd_kafka_topic_partition_list_new(8);
		rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset = off;
	}
	if (list == NULL)
		return;
	err = rd_kafka_offsets_store(c->rk, list);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("consumer", "offsets_store: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(list);
}

/* The synchronous commit of a revoke and of the close. */
void
consumer_commit(struct consumer *c, const char *what)
{
	rd_kafka_resp_err_t err;

	consumer_store_offsets(c);
	/* A lost assignment is the new owner's to commit: it replays. */
	if (rd_kafka_assignment_lost(c->rk))
		return;
	err = rd_kafka_commit(c->rk, NULL, 0);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
	    err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warn("consumer", "%s: %s", what, rd_kafka_err2str(err));
}

/* Takes the workers' completions; returns how many. */
size_t
consumer_take_completions(struct consumer *c)
{
	struct job *job = job_stack_take(c->o.pl->done);
	size_t n = 0;

	while (job != NULL) {
		struct job *next = job_next(job);

		ledger_complete(&c->ledger, job_partition(job), job_gen(job),
		    job_offset(job), job_finished(job));
		job_free(job);
		job = next;
		n++;
	}
	if (n > 0)
		metrics_set_inflight(c->ledger.inflight);
	return n;
}

/* pending_push_fn: into the queue, without waiting. */
static int
push_try(void *arg, struct job *job)
{
	struct consumer *c = arg;

	return queue_try_push(c->o.pl->queue, job);
}

/*
 * pending_push_fn: into the queue, waiting briefly for room. Once asleep
 * on a full queue this thread is woken when the workers have emptied half
 * of it (queue.h), and then pushes a run: waking at every free slot cost
 * two context switches per item or two.
 */
static int
push_wait(void *arg, struct job *job)
{
	struct consumer *c = arg;

	return queue_push_wait(c->o.pl->queue, job, PENDING_WAIT_MS);
}

/* Moves pending jobs into the queue while it has room. */
static void
push_pending(struct consumer *c)
{
	while (pending_push_head(&c->pending, push_try, c) == 0)
		;
}

static void
enqueue(struct consumer *c, struct job *job)
{
	/* Keep FIFO: nothing overtakes a job already waiting. */
	if (c->pending.head == NULL && queue_try_push(c->o.pl->queue, job) == 0)
		return;
	pending_append(&c->pending, job);
}

void
consumer_pause_all(struct consumer *c, int pause)
{
	rd_kafka_topic_partition_list_t *list = NULL;

	if (rd_kafka_assignment(c->rk, &list) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (list->cnt > 0) {
		if (pause)
			rd_kafka_pause_partitions(c->rk, list);
		else
			rd_kafka_resume_partitions(c->rk, list);
	}
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * A hot key: the window is full and fewer keys have work than there are
 * workers, so it drains at the pace of fewer workers than the pool has.
 * With many keys a full window drains at full speed and is no reason to
 * pause: not reading is enough.
 */
static int
hot_key(struct consumer *c)
{
	return c->o.pl->gate != NULL &&
	    keygate_keys(c->o.pl->gate) < (size_t)c->o.workers;
}

/*
 * Pauses intake at max.inflight for a hot key only; resumes below half of
 * max.inflight (hysteresis).
 */
static void
flow_control(struct consumer *c)
{
	long inflight = c->ledger.inflight;

	if (!c->paused && (size_t)inflight >= c->max_inflight && hot_key(c)) {
		consumer_pause_all(c, 1);
		c->paused = 1;
		c->pauses++;
		log_debug("consumer", "paused: %ld events in flight", inflight);
	} else if (c->paused && !c->stopping &&
	    (size_t)inflight < c->max_inflight / 2) {
		consumer_pause_all(c, 0);
		c->paused = 0;
		log_debug("consumer", "resumed: %ld events in flight", inflight);
	}
}

/* How many messages may be read now: 0 while the window is full. */
static size_t
intake_room(struct consumer *c)
{
	size_t inflight = (size_t)c->ledger.inflight;

	if (c->stopping || c->paused || c->pending.head != NULL ||
	    inflight >= c->max_inflight)
		return 0;
	return c->max_inflight - inflight;
}

static void
handle_message(struct consumer *c, rd_kafka_message_t *rkm)
{
	const char *topic;
	struct partition *p;
	struct job *job;
	const void *key;
	size_t keylen;
	int runnable = 1;

	if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR || rkm->rkt == NULL) {
		consumer_handle_error(c, rkm);
		rd_kafka_message_destroy(rkm);
		return;
	}
	topic = rd_kafka_topic_name(rkm->rkt);
	p = ledger_part(&c->ledger, topic, rkm->partition);
	/*
	 * While draining, or for a partition no longer ours, the message is
	 * not processed and its offset never stored: it is consumed again.
	 */
	if (c->stopping || ledger_receive(&c->ledger, p, rkm->offset) != 0) {
		rd_kafka_message_destroy(rkm);
		return;
	}
	metrics_set_inflight(c->ledger.inflight);

	job = job_create(rkm, p, p->gen,
	    c->o.pl->gate != NULL ? c->ordering : ORDERING_NONE);
	key = job_key(job, &keylen);
	if (key != NULL)
		runnable = keygate_admit(c->o.pl->gate, key, keylen, job_gate(job));
	if (runnable)
		enqueue(c, job);
}

/*
 * Serves the group queue for up to timeout ms: rebalance, error and
 * statistics callbacks run inside rd_kafka_consumer_poll(). What it returns
 * is a consumer error (no partition's messages come this way), or a message
 * of a partition whose fetch queue could not be routed to msgq.
 */
void
consumer_serve(struct consumer *c, int timeout)
{
	rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, timeout);

	if (rkm != NULL)
		handle_message(c, rkm);
}

/*
 * Forwards the partition's fetch queue to msgq. Done before the partition
 * is assigned: rd_kafka_queue_forward() marks the forward as the
 * application's (RD_KAFKA_Q_F_FWD_APP), so the fetch start that assigning
 * triggers keeps it instead of forwarding to the group queue, and so does
 * every later assignment. Failing, the messages come through the group
 * queue as before this existed: processed, only not held back.
 */
static void
route_partition(struct consumer *c, const char *topic, int32_t partition)
{
	rd_kafka_queue_t *pq = rd_kafka_queue_get_partition(c->rk, topic, partition);

	if (pq == NULL) {
		log_warn("consumer", "%s [%" PRId32 "]: no partition queue; "
		    "its messages are read with the callbacks", topic, partition);
		return;
	}
	rd_kafka_queue_forward(pq, c->msgq);
	rd_kafka_queue_destroy(pq);
}

/*
 * Reads at most room messages from msgq, waiting up to timeout ms for the
 * first; stops early when the queue fills (a job became pending).
 */
static void
read_messages(struct consumer *c, size_t room, int timeout)
{
	rd_kafka_message_t *rkm;

	if (room > POLL_BATCH)
		room = POLL_BATCH;
	for (size_t i = 0; i < room; i++) {
		rkm = rd_kafka_consume_queue(c->msgq, i == 0 ? timeout : 0);
		if (rkm == NULL)
			break;
		if (c->brokers_down_since != 0) {
			c->brokers_down_since = 0;
			metrics_kafka_brokers_down(0);
		}
		handle_message(c, rkm);
		if (c->pending.head != NULL)
			break;
	}
}

/*
 * When a wait that began at start must end: shutdown.timeout.ms after
 * start, or the shutdown's own deadline (counted from the signal) when
 * that comes first.
 */
static int64_t
stop_deadline(struct consumer *c, int64_t start)
{
	int64_t own = start + c->o.cfg->shutdown_timeout_ms;
	int64_t stop = atomic_load(&c->deadline);

	return stop != 0 && stop < own ? stop : own;
}

static int
part_in_list(const struct partition *p, const rd_kafka_topic_partition_list_t *list)
{
	for (int i = 0; i < list->cnt; i++) {
		if (list->elems[i].partition == p->partition &&
		    strcmp(list->elems[i].topic, p->topic) == 0)
			return 1;
	}
	return 0;
}

/*
 * Before giving partitions away, let their in-flight events finish (bounded
 * by shutdown.timeout.ms) so the new owner does not run them a second time;
 * then store and commit synchronously.
 */
static void
revoke_partitions(struct consumer *c, rd_kafka_topic_partition_list_t *list)
{
	int64_t start = now_ms(), deadline;
	long left;

	for (;;) {
		left = 0;
		for (size_t i = 0; i < c->ledger.nparts; i++) {
			struct partition *p = c->ledger.parts[i];

			if (p->assigned && part_in_list(p, list))
				left += p->inflight;
		}
		/* A signal during the wait shortens it to the shutdown's. */
		deadline = stop_deadline(c, start);
		if (left == 0 || now_ms() >= deadline || atomic_load(&c->abort))
			break;
		/* Stopping: what did not start does not start now. */
		if (!c->stopping && !atomic_load(&c->stop))
			push_pending(c);
		if (consumer_take_completions(c) == 0)
			sleep_ms(2);	/* bounded wait for workers; not a lock */
	}
	if (left > 0)
		log_warn("consumer", "rebalance: %ld events still running after %lld ms; "
		    "the new owner will process them again", left,
		    (long long)(now_ms() - start));
	consumer_commit(c, "commit on revoke");
	for (size_t i = 0; i < c->ledger.nparts; i++) {
		if (part_in_list(c->ledger.parts[i], list))
			ledger_unassign(c->ledger.parts[i]);
	}
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct consumer *c = opaque;
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		for (int i = 0; i < list->cnt; i++) {
			ledger_assign(ledger_part(&c->ledger,
			    list->elems[i].topic, list->elems[i].partition));
			/* Before assigning: fetching then starts into msgq. */
			route_partition(c, list->elems[i].topic,
			    list->elems[i].partition);
		}
		if (coop)
			error = rd_kafka_incremental_assign(rk, list);
		else
			rerr = rd_kafka_assign(rk, list);
		if (c->paused || c->stopping)
			rd_kafka_pause_partitions(rk, list);
		c->ever_assigned = 1;
		/* The group was joined: whatever refused it is gone. */
		metrics_kafka_group_error(NULL);
		log_info("consumer", "assigned %d partitions (%s)", list->cnt,
		    coop ? "cooperative" : "eager");
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_info("consumer", "revoking %d partitions%s", list->cnt,
		    rd_kafka_assignment_lost(rk) ? " (lost)" : "");
		revoke_partitions(c, list);
		if (coop)
			error = rd_kafka_incremental_unassign(rk, list);
		else
			rerr = rd_kafka_assign(rk, NULL);
		break;
	default:
		log_error("consumer", "rebalance failed: %s", rd_kafka_err2str(err));
		rerr = rd_kafka_assign(rk, NULL);
		break;
	}
	if (error != NULL) {
		log_error("consumer", "assign: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_error("consumer", "assign: %s", rd_kafka_err2str(rerr));
}

/* -e: every assigned partition at its end, nothing in flight or unsent. */
static int
all_done(struct consumer *c)
{
	size_t assigned = 0;

	if (c->ledger.inflight > 0)
		return 0;
	for (size_t i = 0; i < c->ledger.nparts; i++) {
		if (!c->ledger.parts[i]->assigned)
			continue;
		if (!c->ledger.parts[i]->eof)
			return 0;
		assigned++;
	}
	return assigned > 0 && notifier_idle(c->o.pl->notifier);
}

static void *
consumer_main(void *arg)
{
	struct consumer *c = arg;
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_resp_err_t err;

	pthread_setname_np(pthread_self(), "sipeatd-consume");
	topics = rd_kafka_topic_partition_list_new((int)c->o.handlers->n);
	for (size_t i = 0; i < c->o.handlers->n; i++) {
		const char *t = c->o.handlers->v[i].topic;
		int dup = 0;

		for (int j = 0; j < topics->cnt; j++)
			dup |= strcmp(topics->elems[j].topic, t) == 0;
		if (!dup)
			rd_kafka_topic_partition_list_add(topics, t, RD_KAFKA_PARTITION_UA);
	}
	err = rd_kafka_subscribe(c->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_error("consumer", "subscribe: %s", rd_kafka_err2str(err));
		c->result = 1;
		goto out;
	}
	c->started_ms = now_ms();
	while (!atomic_load(&c->stop)) {
		size_t room;

		consumer_take_completions(c);
		if (now_ms() - c->stored_ms >= STORE_INTERVAL_MS) {
			consumer_store_offsets(c);
			c->stored_ms = now_ms();
		}
		push_pending(c);
		flow_control(c);
		if (c->o.exit_eof) {
			if (all_done(c)) {
				log_info("consumer", "every partition at its end, all work done");
				break;
			}
			if (!c->ever_assigned && c->brokers_down_since != 0 &&
			    now_ms() - c->brokers_down_since > c->o.cfg->shutdown_timeout_ms) {
				log_error("consumer", "no broker reachable for %d ms, giving up (-e)",
				    c->o.cfg->shutdown_timeout_ms);
				c->result = 1;
				break;
			}
		}
		consumer_serve(c, 0);
		room = intake_room(c);
		if (room > 0 && !c->ever_assigned) {
			/* Joining: nothing to read yet, the assignment comes here. */
			consumer_serve(c, 100);
		} else if (room > 0) {
			/* Short waits while work is out, so completions are seen soon. */
			read_messages(c, room, c->ledger.inflight > 0 ? 10 : 100);
		} else if (c->pending.head != NULL) {
			/* The queue is full: wait briefly for room. */
			if (pending_push_head(&c->pending, push_wait, c) == 0)
				push_pending(c);
		} else {
			/*
			 * The window is full of events parked behind busy keys
			 * (or paused for a hot key): wait for completions.
			 * msgq is not read, so librdkafka's bounded prefetch
			 * fills and fetching stops by itself.
			 */
			consumer_serve(c, FULL_WAIT_MS);
		}
	}
out:
	/*
	 * Stopping, by a signal or by itself: main runs the shutdown (see
	 * doc/threads.txt); this thread does its two steps when asked, and
	 * keeps serving callbacks and completions in between.
	 */
	consumer_shutdown(c);
	return NULL;
}

struct consumer *
consumer_create(const struct consumer_opts *o, struct diag *d)
{
	const struct config *cfg = o->cfg;
	rd_kafka_conf_t *conf;
	struct consumer *c;
	char err[512], v[32];
	size_t vlen;

	conf = kafka_conf_build(cfg, KAFKA_CONSUMER, d);
	if (conf == NULL)
		return NULL;
	if (config_kafka(cfg, "group.id") == NULL)
		kafka_conf_must(conf, "group.id", "sipeatd");
	/* Events published before the first start are work too. */
	if (config_kafka(cfg, "auto.offset.reset") == NULL)
		kafka_conf_must(conf, "auto.offset.reset", "earliest");
	/*
	 * librdkafka's default prefetch (64 MB) alone would pass the 64 MB
	 * the daemon is allowed with a large backlog; 16 MB keeps peak RSS at
	 * about 53 MB with a million events waiting (bench/rss).
	 */
	if (config_kafka(cfg, "queued.max.messages.kbytes") == NULL)
		kafka_conf_must(conf, "queued.max.messages.kbytes", "16384");
	if (config_kafka(cfg, "client.id") == NULL)
		kafka_conf_must(conf, "client.id", "sipeatd");
	/* Offsets are ours: stored only as contiguous watermarks. */
	kafka_conf_must(conf, "enable.auto.commit", "true");
	kafka_conf_must(conf, "enable.auto.offset.store", "false");
	kafka_conf_must(conf, "enable.partition.eof", o->exit_eof ? "true" : "false");
	if (o->metrics && config_kafka(cfg, "statistics.interval.ms") == NULL)
		kafka_conf_must(conf, "statistics.interval.ms", "5000");
	vlen = sizeof v;
	if (rd_kafka_conf_get(conf, "session.timeout.ms", v, &vlen) == RD_KAFKA_CONF_OK)
		metrics_kafka_session_timeout(atoi(v));

	c = xcalloc(1, sizeof *c);
	c->o = *o;
	c->max_inflight = cfg->max_inflight;
	c->ordering = cfg->ordering;
	rd_kafka_conf_set_opaque(conf, c);
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_error_cb(conf, consumer_error_cb);
	rd_kafka_conf_set_stats_cb(conf, consumer_stats_cb);
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (c->rk == NULL) {
		diag_add(d, cfg->path, 0, "kafka consumer: %s", err);
		rd_kafka_conf_destroy(conf);
		free(c);
		return NULL;
	}
	rd_kafka_poll_set_consumer(c->rk);
	c->msgq = rd_kafka_queue_new(c->rk);
	c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->evfd == -1) {
		diag_add(d, cfg->path, 0, "kafka consumer: eventfd: %s", strerror(errno));
		consumer_destroy(c);
		return NULL;
	}
	return c;
}

int
consumer_start(struct consumer *c)
{
	int rc = pthread_create(&c->thread, NULL, consumer_main, c);

	if (rc != 0) {
		log_error("consumer", "pthread_create: %s", strerror(rc));
		return -1;
	}
	c->started = 1;
	return 0;
}

void
consumer_destroy(struct consumer *c)
{
	if (c == NULL)
		return;
	/* An application queue goes before its handle (rdkafka.h). */
	if (c->msgq != NULL)
		rd_kafka_queue_destroy(c->msgq);
	if (c->rk != NULL)
		rd_kafka_destroy(c->rk);
	if (c->evfd != -1)
		close(c->evfd);
	ledger_free(&c->ledger);
	free(c);
}
