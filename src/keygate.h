/*
 * keygate.h -- order per key. Two events with the same key never run at the
 * same time and run in the order they were admitted.
 *
 * Admission happens in one thread (the consumer thread) in offset order, so
 * the order of a key's events is fixed before any worker sees them; a worker
 * that pops events concurrently could otherwise overtake the one that popped
 * the earlier event. The worker that finishes a key's event takes the key's
 * next parked event itself.
 *
 * Nodes are intrusive: embed a struct keygate_node in your own struct. The
 * gate copies the key bytes; it never frees nodes. Thread-safe (striped
 * mutexes: a key's stripe is held only for a few pointer operations).
 *
 * Threads: keygate_admit() from the consumer thread only (it fixes the
 * order); keygate_release() from any worker; create/free with no other
 * thread using the gate.
 */
#ifndef SIPEAT_KEYGATE_H
#define SIPEAT_KEYGATE_H

#include <stddef.h>

struct keygate_node {
	struct keygate_node	*next;
};

struct keygate;

/* stripes: number of mutexes (rounded up to a power of two; 0 picks 64). */
struct keygate		*keygate_create(size_t stripes);
/* Frees every key record; nodes still parked are not touched. */
void			 keygate_destroy(struct keygate *g);
/*
 * If no event of key runs, marks key running and returns 1: the caller runs
 * node now. Otherwise appends node to the key's FIFO and returns 0.
 */
int			 keygate_admit(struct keygate *g, const void *key, size_t keylen,
			     struct keygate_node *node);
/*
 * Called when the running event of key finished. Returns the key's next
 * parked node, which is now the running one, or NULL (key idle, record freed).
 */
struct keygate_node	*keygate_release(struct keygate *g, const void *key, size_t keylen);
/* Number of keys with an event running or parked. */
size_t			 keygate_keys(struct keygate *g);
/* Number of parked (admitted, not yet running) nodes over all keys. */
size_t			 keygate_parked(struct keygate *g);

#endif
