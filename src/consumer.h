/*
 * consumer.h -- the consumer thread: the only thread that touches the
 * librdkafka consumer. It polls, admits each message through the key gate
 * in offset order, pushes runnable jobs to the queue, drains the workers'
 * completions, stores the contiguous finished offset per partition, pauses
 * intake at max.inflight, handles rebalances, and orchestrates its part of
 * shutdown (drain bounded by shutdown.timeout.ms, stop the pool, commit,
 * close).
 *
 * Threads (doc/threads.txt):
 *   consumer_create, consumer_start, consumer_join, consumer_destroy: main
 *   consumer_stop, consumer_abort, consumer_deadline: any (main's signal loop)
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
	struct pool		*pool;		/* stopped and joined by the consumer; freed by the caller */
	int			 exit_eof;	/* -e */
	int			 metrics;	/* --metrics: statistics every 5 s by default */
	/* Called from the consumer thread when it ends by itself (-e, fatal). */
	void			 (*on_exit)(void *arg);
	void			*on_exit_arg;
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
 * Asks the thread to stop (SIGTERM): no event starts from now on, the
 * running ones finish, and the whole shutdown -- drain, commit, close, and
 * what the caller flushes after consumer_join() -- ends by deadline
 * (now_ms() clock). Only the first deadline counts. Any thread,
 * async-signal-unsafe.
 */
void		 consumer_stop(struct consumer *c, int64_t deadline);
/*
 * A second signal: stops at once; running events are cut short and, like
 * the unstarted ones, left uncommitted. Finished events are committed.
 * Any thread.
 */
void		 consumer_abort(struct consumer *c);
/* The shutdown's deadline (see consumer_stop()), 0 while running. */
int64_t		 consumer_deadline(struct consumer *c);
/* Waits for the thread. Returns 0 on a clean stop, 1 on failure. */
int		 consumer_join(struct consumer *c);
void		 consumer_destroy(struct consumer *c);

#endif
