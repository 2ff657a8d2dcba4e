/*
 * job.c -- the job (see job.h) and the completion stack: a Treiber stack
 * that is only ever pushed to and emptied whole with an exchange, so it
 * has no ABA problem.
 */
#include <stddef.h>
#include <stdlib.h>

#include "job.h"
#include "util.h"

struct job {
	struct keygate_node	 gate;		/* link in the key gate's FIFO */
	struct job		*next;		/* link in pending list / completion stack */
	rd_kafka_message_t	*rkm;		/* owned until job_complete() */
	struct partition	*part;		/* borrowed; outlives the job */
	uint32_t		 gen;		/* assignment generation of part when received */
	int64_t			 offset;
	const void		*key;		/* gate key: into rkm, or &part; NULL: ungated */
	size_t			 keylen;
	int			 finished;	/* 1: ran to the end; 0: discarded at shutdown */
};

struct job *
job_create(rd_kafka_message_t *rkm, struct partition *part, uint32_t gen,
    enum ordering ordering)
{
	struct job *job = xcalloc(1, sizeof *job);

	job->rkm = rkm;
	job->part = part;
	job->gen = gen;
	job->offset = rkm != NULL ? rkm->offset : -1;
	if (ordering == ORDERING_PARTITION) {
		/* The partition's address is its identity for life. */
		job->key = &job->part;
		job->keylen = sizeof job->part;
	} else if (ordering == ORDERING_KEY && rkm != NULL && rkm->key != NULL) {
		job->key = rkm->key;
		job->keylen = rkm->key_len;
	}
	return job;
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	if (job->rkm != NULL)
		rd_kafka_message_destroy(job->rkm);
	free(job);
}

const void *
job_key(const struct job *job, size_t *len)
{
	*len = job->keylen;
	return job->key;
}

struct keygate_node *
job_gate(struct job *job)
{
	return &job->gate;
}

struct job *
job_from_gate(struct keygate_node *node)
{
	return (struct job *)(void *)((char *)node - offsetof(struct job, gate));
}

rd_kafka_message_t *
job_message(const struct job *job)
{
	return job->rkm;
}

struct partition *
job_partition(const struct job *job)
{
	return job->part;
}

uint32_t
job_gen(const struct job *job)
{
	return job->gen;
}

int64_t
job_offset(const struct job *job)
{
	return job->offset;
}

int
job_finished(const struct job *job)
{
	return job->finished;
}

struct job *
job_next(const struct job *job)
{
	return job->next;
}

void
job_set_next(struct job *job, struct job *next)
{
	job->next = next;
}

void
job_complete(struct job_stack *s, struct job *job, int finished)
{
	struct job *head;

	if (job->rkm != NULL)
		rd_kafka_message_destroy(job->rkm);
	job->rkm = NULL;
	job->finished = finished;
	head = atomic_load_explicit(&s->head, memory_order_relaxed);
	do {
		job->next = head;
	} while (!atomic_compare_exchange_weak_explicit(&s->head, &head, job,
	    memory_order_release, memory_order_relaxed));
}

struct job *
job_stack_take(struct job_stack *s)
{
	struct job *list, *rev = NULL;

	list = atomic_exchange_explicit(&s->head, NULL, memory_order_acquire);
	/* The stack is newest first: reverse so offsets come back in order. */
	while (list != NULL) {
		struct job *next = list->next;

		list->next = rev;
		rev = list;
		list = next;
	}
	return rev;
}
