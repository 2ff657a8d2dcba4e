/*
 * job.c -- the completion stack (a Treiber stack that is only ever pushed
 * to and emptied whole with an exchange, so it has no ABA problem).
 */
#include <stddef.h>

#include "job.h"

void
job_stack_push(struct job_stack *s, struct job *job)
{
	struct job *head = atomic_load_explicit(&s->head, memory_order_relaxed);

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
