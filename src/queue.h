/*
 * queue.h -- the bounded lock-free MPMC ring between the consumer thread and
 * the workers (Dmitry Vyukov's sequence-numbered cells, C11 atomics), with a
 * blocking layer for idle threads: an eventcount over a futex, so a thread
 * with nothing to do sleeps instead of spinning, and a producer pays for a
 * wake-up only when somebody sleeps.
 *
 * Items are opaque non-NULL pointers; the queue never frees them.
 * FIFO for a single producer: items pop in the order they were pushed.
 *
 * Threads: any, concurrently (push: the consumer thread and workers
 * handing embeds to the notifier; pop: workers, the notifier thread);
 * queue_new() and queue_free() with no other thread using the queue.
 */
#ifndef SIPEAT_QUEUE_H
#define SIPEAT_QUEUE_H

#include <stddef.h>

struct queue;

/* capacity must be a power of two >= 2; returns NULL otherwise. */
struct queue	*queue_create(size_t capacity);
/* Frees the ring only: the caller drains items first (queue_try_pop). */
void		 queue_destroy(struct queue *q);
size_t		 queue_capacity(const struct queue *q);
/* Approximate number of items (exact when no push/pop runs concurrently). */
size_t		 queue_depth(const struct queue *q);

/* Non-blocking. 0 on success, -1 when full (push) or empty (pop). Any thread. */
int		 queue_try_push(struct queue *q, void *item);
int		 queue_try_pop(struct queue *q, void **item);

/*
 * Blocking forms. timeout_ms < 0 waits forever. Return 0 on success, -1 on
 * timeout, or when the queue is closed (pop: closed and empty; push: closed).
 * A pusher that had to sleep on a full queue is woken once pops bring it
 * down to half full (hysteresis: it then pushes a run without sleeping).
 */
int		 queue_push_wait(struct queue *q, void *item, int timeout_ms);
int		 queue_pop_wait(struct queue *q, void **item, int timeout_ms);
/* Wakes every sleeper; later waits return -1 at once once the queue is empty. */
void		 queue_close(struct queue *q);
int		 queue_closed(const struct queue *q);

#endif
