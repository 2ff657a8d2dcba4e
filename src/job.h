/*
 * job.h -- one Kafka message on its way through the daemon, and the
 * completion stack that brings it back to the consumer thread.
 *
 * A job has one owner at a time: the consumer thread creates it; it then
 * sits in the consumer's pending list, the queue, or the key gate's FIFO,
 * is run by exactly one worker, which gives it back with job_complete()
 * (destroying the Kafka message), and comes back to the consumer thread
 * through the completion stack, where it is freed after its offset is
 * marked. struct job is defined in job.c only: the rest of the daemon
 * reaches it through the functions below, so what a hand-off carries is
 * this list and nothing else. One allocation per job, as before.
 *
 * Threads:
 *   job_create, job_free, job_partition, job_gen, job_offset,
 *   job_finished: the consumer thread (creation; after job_stack_take)
 *   job_key, job_gate, job_from_gate: the consumer thread (admission) and
 *   the worker that owns the job (release); the key and node stay fixed
 *   from creation to job_complete()
 *   job_message: the job's owner, until job_complete()
 *   job_complete: the job's owner -- a worker, the consumer thread giving
 *   up a pending job, main in pool_join(); afterwards the job is the
 *   consumer thread's
 *   job_next, job_set_next: the job's owner, for the one link the pending
 *   list (consumer thread) and the completion stack (after
 *   job_stack_take) thread jobs on
 *   job_stack_take: the consumer thread only
 */
#ifndef SIPEAT_JOB_H
#define SIPEAT_JOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "keygate.h"

struct partition;		/* ledger.h: per-partition state, lives until exit */
struct job;

/*
 * A job for rkm (owned by the job from now on) of partition part
 * (borrowed: it outlives the job) received in generation gen. ordering
 * picks the gate key: ORDERING_KEY the message key (none for a message
 * without one: it has no order to keep), ORDERING_PARTITION the partition,
 * ORDERING_NONE none. Never fails (xcalloc).
 */
struct job		*job_create(rd_kafka_message_t *rkm, struct partition *part,
			    uint32_t gen, enum ordering ordering);
/* Frees a job taken from the completion stack (and its message, if kept). */
void			 job_free(struct job *job);

/* The gate key, its length in *len; NULL (ungated) when there is none. */
const void		*job_key(const struct job *job, size_t *len);
/* The job's node in the key gate's FIFO, and back. */
struct keygate_node	*job_gate(struct job *job);
struct job		*job_from_gate(struct keygate_node *node);

/* The Kafka message; NULL after job_complete(). */
rd_kafka_message_t	*job_message(const struct job *job);

/* What the consumer thread marks once the job is back. */
struct partition	*job_partition(const struct job *job);
uint32_t		 job_gen(const struct job *job);
int64_t			 job_offset(const struct job *job);
/* 1: ran to its end; 0: given up (shutdown), its offset never stored. */
int			 job_finished(const struct job *job);

/* The pending list's and the taken completion list's link. */
struct job		*job_next(const struct job *job);
void			 job_set_next(struct job *job, struct job *next);

/*
 * Completion stack: workers push finished jobs (lock-free, multi-producer),
 * the consumer thread takes them all at once. Pushes never fail or block.
 */
struct job_stack {
	_Atomic(struct job *)	 head;
};

/*
 * The owner gives job back: destroys its message, records finished and
 * pushes it to s. The job is the consumer thread's from then on.
 */
void			 job_complete(struct job_stack *s, struct job *job,
			    int finished);
/* Takes every job pushed so far, oldest first, linked by job_next(). */
struct job		*job_stack_take(struct job_stack *s);

#endif
