/*
 * pool.h -- the worker pool. Each worker pops jobs from the queue, runs the
 * event's handler, hands the embed to the notifier, writes failed events to
 * the dead-letter topic, releases the job's key (running the key's next
 * parked job itself), destroys the Kafka message and returns the job to the
 * consumer thread through the completion stack.
 */
#ifndef SIPEAT_POOL_H
#define SIPEAT_POOL_H

#include <stddef.h>

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
 * Stops the pool: closes the queue; each worker finishes the job it runs,
 * then discards (pipeline_discard) its key's parked successors and every
 * job still in the queue. Call once the consumer stopped admitting jobs.
 */
void		 pool_stop(struct pool *p);
/* Joins the workers and frees the pool. */
void		 pool_join(struct pool *p);
/*
 * Gives up a job that will not run (shutdown): releases its key, and does
 * the same for each successor parked behind it; each job's message is
 * destroyed and the job pushed to the completion stack with finished = 0,
 * so its offset is never stored. Returns how many jobs were discarded.
 */
size_t		 pipeline_discard(const struct pipeline *pl, struct job *job);

#endif
