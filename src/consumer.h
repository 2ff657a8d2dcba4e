/*
 * consumer.h -- the consumer thread: the only thread that touches the
 * librdkafka consumer. It polls, admits each message through the key gate
 * in offset order, pushes runnable jobs to the queue, drains the workers'
 * completions, stores the contiguous finished offset per partition, pauses
 * intake at max.inflight and handles rebalances. At shutdown it does the
 * two steps main (sipeatd.c, the lifecycle owner) asks for, on its own
 * thread, where librdkafka's callbacks run: consumer_drain() and, once
 * main stopped and joined the pool, consumer_close() (the handshake is
 * consumer-phase.c). It starts, stops and joins no other module.
 *
 * Threads (doc/threads.txt):
 *   every function: main (consumer_stop and consumer_abort from its
 *   signal handling; consumer_drain and consumer_close block main while
 *   the consumer thread does the work)
 */
#ifndef SIPEAT_CONSUMER_H
#define SIPEAT_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "handler.h"
#include "pool.h"

struct consumer_opts {
	const struct config	*cfg;
	const struct handlers	*handlers;	/* topics to subscribe */
	struct pipeline		*pl;		/* queue, gate, completions, notifier */
	int			 workers;	/* the pool's size: tells a hot key */
	int			 exit_eof;	/* -e */
	int			 metrics;	/* --metrics: statistics every 5 s by default */
	/*
	 * Called from the consumer thread when it stops reading, by itself
	 * (-e, fatal error) or asked to: main should run the shutdown.
	 */
	void			 (*on_stop)(void *arg);
	void			*on_stop_arg;
};

struct consumer;

/*
 * Builds the consumer from cfg ([kafka] properties through
 * rd_kafka_conf_set); problems go to d. NULL on error.
 */
struct consumer	*consumer_create(const struct consumer_opts *o, struct diag *d);
/* Starts the thread ("sipeatd-consume"). 0 or -1. */
int		 consumer_start(struct consumer *c);
/*
 * The first SIGTERM: the thread stops reading messages at once (the caller
 * set the pool draining before, so no event starts either) and waits for
 * consumer_drain(). deadline (now_ms() clock) is the whole shutdown's: it
 * bounds every later wait of this thread (a rebalance's revoke, the one
 * in consumer_close()). Only the first deadline counts.
 */
void		 consumer_stop(struct consumer *c, int64_t deadline);
/*
 * A second signal: every wait of this thread ends at once -- the drain,
 * a revoke. Events still running are left uncommitted (the caller cuts
 * them short with pool_abort()); finished ones are committed.
 */
void		 consumer_abort(struct consumer *c);
/*
 * Drains (implies consumer_stop()): stops intake, gives up the jobs not
 * yet queued, and waits, serving callbacks and completions, until no
 * event is in flight, cut passes or consumer_abort(). Returns how many
 * events are still in flight (the caller cuts them short), or -1 as soon
 * as fd (-1: none; main's signalfd) is readable: the caller reads it and
 * calls again.
 */
long		 consumer_drain(struct consumer *c, int64_t cut, int fd);
/*
 * After the pool is joined (every job is back): stores the contiguous
 * watermarks, commits synchronously and leaves the group
 * (rd_kafka_consumer_close(), its revoke bounded by the deadline), then
 * joins the thread. Returns 0 on a clean run, 1 on failure (subscribe,
 * fatal error), or -1 when fd is readable first (as consumer_drain()).
 */
int		 consumer_close(struct consumer *c, int fd);
void		 consumer_destroy(struct consumer *c);

#endif
