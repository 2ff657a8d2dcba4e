/*
 * consumer-phase.c -- the consumer's shutdown: the handshake between main
 * (sipeatd.c daemon_stop(), the lifecycle owner) and the consumer thread,
 * and the two steps the thread does when asked.
 *
 * main asks, the consumer thread answers. consumer_drain() and
 * consumer_close() store the request (seq_cst) and poll the consumer's
 * eventfd and main's signalfd; the thread, which serves callbacks and
 * completions while it waits for the request (librdkafka's callbacks must
 * keep running: a rebalance may come meanwhile), does the step, stores
 * the phase after whatever it wrote (left, the count still in flight) and
 * writes the eventfd. The eventfd's counter keeps a wake-up written
 * between main's look at the phase and its poll(). A readable signalfd
 * makes the call return -1: main reads the signal and calls again.
 *
 * Like consumer.c, this file starts, stops and joins no other module: the
 * pool is main's.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "consumer.h"
#include "consumer-int.h"
#include "log.h"
#include "util.h"

/* The consumer thread's side. */

/* Gives up the jobs that never reached the queue: not started, not run. */
static void
discard_pending(struct consumer *c)
{
	struct job *job;

	while ((job = pending_take(&c->pending)) != NULL)
		pipeline_complete_unrun(c->o.pl, job);
}

/* Tells main, blocked in consumer_drain() or consumer_close(), that phase came. */
static void
reach(struct consumer *c, int phase)
{
	uint64_t one = 1;

	atomic_store(&c->phase, phase);
	while (write(c->evfd, &one, sizeof one) == -1 && errno == EINTR)
		;
}

/* Until main asks for want: callbacks and completions, no message read. */
static void
await_request(struct consumer *c, int want)
{
	while (atomic_load(&c->request) < want) {
		consumer_take_completions(c);
		consumer_serve(c, 5);
	}
}

/*
 * The drain (consumer_drain()): stop intake (pause; later messages are
 * dropped unprocessed, their offsets never stored), give up the pending
 * list, and let the events already running finish -- until none is in
 * flight, the cut main gave passes, or a second signal (consumer_abort()).
 * The pool was set draining by main before: nothing starts any more.
 */
static void
drain(struct consumer *c)
{
	int64_t cut = atomic_load(&c->cut);

	c->stopping = 1;
	/* Each pause drops librdkafka's prefetch and may stall (bench/pipeline). */
	if (c->pauses > 0)
		log_info("consumer", "paused %lu times at max.inflight", c->pauses);
	consumer_pause_all(c, 1);
	c->paused = 1;
	discard_pending(c);
	/* Callbacks only: msgq is no longer read, its messages not processed. */
	while (c->ledger.inflight > 0 && now_ms() < cut && !atomic_load(&c->abort)) {
		consumer_take_completions(c);
		consumer_serve(c, c->ledger.inflight > 0 ? 5 : 0);
	}
	consumer_take_completions(c);
	c->left = c->ledger.inflight;
}

/*
 * The close (consumer_close()), once main joined the pool, so every job is
 * back: take the last completions, store the watermarks and commit
 * synchronously, then leave the group (rd_kafka_consumer_close() runs the
 * revoke callback, bounded by the shutdown's deadline).
 */
static void
close_consumer(struct consumer *c)
{
	rd_kafka_resp_err_t err;

	consumer_take_completions(c);
	if (c->ledger.unfinished > 0)
		log_info("consumer", "shutdown: %zu received events not run to "
		    "their end; left for the next run", c->ledger.unfinished);
	if (c->ever_assigned)
		consumer_commit(c, "final commit");
	else
		consumer_store_offsets(c);
	err = rd_kafka_consumer_close(c->rk);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("consumer", "close: %s", rd_kafka_err2str(err));
}

/*
 * The thread's side of the shutdown, once its loop ended (by a signal or
 * by itself): tells main, then drains and closes when asked, serving
 * callbacks and completions in between.
 */
void
consumer_shutdown(struct consumer *c)
{
	if (c->o.on_stop != NULL)
		c->o.on_stop(c->o.on_stop_arg);
	await_request(c, REQ_DRAIN);
	drain(c);
	reach(c, PHASE_DRAINED);
	await_request(c, REQ_CLOSE);
	close_consumer(c);
	reach(c, PHASE_CLOSED);
}

/* main's side (consumer.h). */

void
consumer_stop(struct consumer *c, int64_t deadline)
{
	int64_t none = 0;

	atomic_compare_exchange_strong(&c->deadline, &none, deadline);
	atomic_store(&c->stop, 1);
}

void
consumer_abort(struct consumer *c)
{
	atomic_store(&c->abort, 1);
	atomic_store(&c->stop, 1);
}

/*
 * Waits until the thread reached phase (0), or fd is readable (-1). The
 * eventfd keeps a wake-up written between the look at phase and poll().
 */
static int
wait_phase(struct consumer *c, int phase, int fd)
{
	struct pollfd pfd[2];
	uint64_t n;

	pfd[0].fd = c->evfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = fd;
	pfd[1].events = POLLIN;
	while (atomic_load(&c->phase) < phase) {
		if (poll(pfd, 2, -1) == -1)
			continue;	/* EINTR */
		if (pfd[1].revents != 0)
			return -1;
		if (pfd[0].revents != 0 && read(c->evfd, &n, sizeof n) == -1)
			continue;	/* EAGAIN, EINTR: look at phase again */
	}
	return 0;
}

long
consumer_drain(struct consumer *c, int64_t cut, int fd)
{
	int64_t none = 0;

	if (!c->started)
		return 0;
	atomic_compare_exchange_strong(&c->cut, &none, cut);
	atomic_store(&c->stop, 1);
	if (atomic_load(&c->request) < REQ_DRAIN)
		atomic_store(&c->request, REQ_DRAIN);
	if (wait_phase(c, PHASE_DRAINED, fd) != 0)
		return -1;
	return c->left;
}

int
consumer_close(struct consumer *c, int fd)
{
	if (!c->started)
		return c->result;
	atomic_store(&c->stop, 1);
	atomic_store(&c->request, REQ_CLOSE);
	if (wait_phase(c, PHASE_CLOSED, fd) != 0)
		return -1;
	pthread_join(c->thread, NULL);
	c->started = 0;
	return c->result;
}
