/*
 * pending.c -- the consumer's pending list (see pending.h).
 */
#include <stddef.h>

#include "pending.h"

void
pending_append(struct pending *pl, struct job *job)
{
	job_set_next(job, NULL);
	if (pl->tail != NULL)
		job_set_next(pl->tail, job);
	else
		pl->head = job;
	pl->tail = job;
	pl->n++;
}

/* Unlinks the head, whose successor the caller read while it still could. */
static void
unlink_head(struct pending *pl, struct job *next)
{
	pl->head = next;
	if (next == NULL)
		pl->tail = NULL;
	pl->n--;
}

int
pending_push_head(struct pending *pl, pending_push_fn push, void *arg)
{
	struct job *job = pl->head, *next;
	int rc;

	if (job == NULL)
		return -1;
	/*
	 * Before the push: after it the job is a worker's, and its next link
	 * may already be the completion stack's (a finished job queued again
	 * and run after it was freed, the rest of the list lost).
	 */
	next = job_next(job);
	rc = push(arg, job);
	if (rc == 0)
		unlink_head(pl, next);
	return rc;
}

struct job *
pending_take(struct pending *pl)
{
	struct job *job = pl->head;

	if (job != NULL)
		unlink_head(pl, job_next(job));
	return job;
}
