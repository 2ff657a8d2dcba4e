/*
 * pool.h -- the worker pool. Each worker pops jobs from the queue, runs the
 * event's handler, hands the embed to the notifier, writes failed events to
 * the dead-letter topic, releases the job's key (running the key's next
 * parked job itself), destroys the Kafka message and returns the job to the
 * consumer thread through the completion stack.
 *
 * Threads:
 *   pool_start, pool_stop, pool_join, pool_free: main (sipeatd.c
 *   daemon_stop(), the one lifecycle owner; pool_start() itself on a
 *   failed start)
 *   pool_drain, pool_abort: main at shutdown (any thread may)
 *   pool_deadline, pool_workers: any
 *   pipeline_complete_unrun: the job's owner (a worker or the consumer)
 */
#ifndef SIPEAT_POOL_H
#define SIPEAT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "handler.h"
#include "job.h"
#include "keygate.h"
#include "notify.h"
#include "producer.h"
#include "queue.h"

struct pipeline {
	const struct handlers	*handlers;
	struct queue		*queue;
	struct keygate		*gate;		/* NULL: ordering = none */
	struct job_stack	*done;
	struct notifier		*notifier;
	struct producer		*producer;	/* NULL when neither the DLQ nor a kafka stage needs one */
	const char		*dlq_topic;	/* NULL or "": disabled */
	size_t			 max_message_bytes;
};

struct pool;

/* Starts n workers ("sipeatd-wrk1".."N"). NULL on failure (logged). */
struct pool	*pool_start(const struct pipeline *pl, int n);
/*
 * Stops starting events (SIGTERM, SPEC section 5): each worker finishes
 * the event it is running -- every stage, the notification, the dead
 * letter -- and completes unrun (pipeline_complete_unrun) every job it pops afterwards
 * and the parked successors of its key: those were received, not started,
 * and stay uncommitted. deadline (now_ms() clock, 0: none) is when the
 * whole shutdown must be over; see pool_deadline(). Any thread, any number
 * of times; takes effect at once.
 */
void		 pool_drain(struct pool *p, int64_t deadline);
/*
 * Cuts the running events short: sets the stages' stopping flag, so that
 * attempts in progress give up and no retry starts (the deadline passed,
 * or a second signal). Such an event is neither notified nor committed.
 * Implies pool_drain(). Any thread.
 */
void		 pool_abort(struct pool *p);
/* The deadline given to pool_drain(), 0 before. Any thread. */
int64_t		 pool_deadline(const struct pool *p);
/* The number of workers. Any thread. */
int		 pool_workers(const struct pool *p);
/*
 * Closes the queue (implies pool_drain()): the workers discard what is
 * left and end once they finished the event they run. Call once the
 * consumer stopped admitting jobs.
 */
void		 pool_stop(struct pool *p);
/* Joins the workers (after pool_stop()) and discards what is left. */
void		 pool_join(struct pool *p);
/*
 * Frees the pool, after pool_join(). The pool stays valid until then, so
 * pool_drain() and pool_abort() may be called from another thread until
 * pool_free().
 */
void		 pool_free(struct pool *p);
/*
 * Gives up a job that will not run (shutdown): releases its key, and does
 * the same for each successor parked behind it; each job's message is
 * destroyed and the job pushed to the completion stack with finished = 0,
 * so its offset is never stored. Returns how many jobs were discarded.
 */
size_t		 pipeline_complete_unrun(const struct pipeline *pl, struct job *job);

#endif
