/*
 * pending.h -- the consumer's pending list: jobs allowed to run (admitted
 * by the key gate) that did not fit in the full queue yet, in the order
 * they were admitted. Intrusive through the job's link (job_next()); the
 * list never frees.
 *
 * The one subtle rule: once a job has been handed on (pushed to the
 * queue), a worker owns it and may already have run it and reused its
 * link for the completion stack. pending_push_head() therefore reads
 * the head's successor before it hands the head on.
 *
 * Threads: the consumer thread only, every function (the push callback
 * runs on it too).
 */
#ifndef SIPEAT_PENDING_H
#define SIPEAT_PENDING_H

#include <stddef.h>

#include "job.h"

struct pending {
	struct job	*head, *tail;
	size_t		 n;
};

/* Hands job on; 0 when it went (it is then the receiver's), else not. */
typedef int	(*pending_push_fn)(void *arg, struct job *job);

/* Appends job at the tail. */
void		 pending_append(struct pending *pl, struct job *job);
/*
 * Hands the head on with push and unlinks it when push took it. Returns
 * push's result (0: handed on), or -1 when the list is empty.
 */
int		 pending_push_head(struct pending *pl, pending_push_fn push,
		     void *arg);
/* Unlinks and returns the head; NULL when empty. */
struct job	*pending_take(struct pending *pl);

#endif
