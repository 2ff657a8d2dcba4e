/*
 * job.h -- one Kafka message on its way through the daemon, and the shared
 * pieces of the data path that the consumer thread and the workers both see.
 *
 * A job has one owner at a time: the consumer thread creates it; it then
 * sits in the consumer's pending list, the queue, or the key gate's FIFO,
 * is run by exactly one worker, which destroys the Kafka message, and comes
 * back to the consumer thread through the completion stack, where it is
 * freed after its offset is marked finished.
 *
 * Threads: job_stack_push: any (workers, the consumer); job_stack_take:
 * the consumer thread only.
 */
#ifndef SIPEAT_JOB_H
#define SIPEAT_JOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "keygate.h"

struct partition;		/* consumer.c: per-partition state, lives until exit */

struct job {
	struct keygate_node	 gate;		/* link in the key gate's FIFO */
	struct job		*next;		/* link in pending list / completion stack */
	rd_kafka_message_t	*rkm;		/* owned until the worker is done with it */
	struct partition	*part;		/* borrowed; outlives the job */
	uint32_t		 gen;		/* assignment generation of part when received */
	int64_t			 offset;
	const void		*key;		/* gate key: into rkm, or &part; NULL: ungated */
	size_t			 keylen;
	int			 finished;	/* 1: ran to the end; 0: discarded at shutdown */
};

/*
 * Completion stack: workers push finished jobs (lock-free, multi-producer),
 * the consumer thread takes them all at once. Pushes never fail or block.
 */
struct job_stack {
	_Atomic(struct job *)	 head;
};

void		 job_stack_push(struct job_stack *s, struct job *job);
/* Takes every job pushed so far, oldest first. Consumer thread only. */
struct job	*job_stack_take(struct job_stack *s);

/* The job behind a key-gate node. */
#define job_from_gate(n) \
	((struct job *)((char *)(n) - offsetof(struct job, gate)))

#endif
