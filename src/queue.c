/*
 * queue.c -- the bounded lock-free MPMC ring between the consumer thread and
 * the workers, with a futex-based blocking layer.
 *
 * DESIGN
 *
 * The ring is Dmitry Vyukov's bounded MPMC queue
 * (1024cores.net, "Bounded MPMC queue"). Each cell carries a sequence number
 * saying whose turn it is:
 *
 *	seq == pos		free: the producer that claims pos may fill it
 *	seq == pos + 1		full: the consumer that claims pos may empty it
 *	seq == pos + capacity	emptied: free again for the next lap
 *
 * A producer reads enqueue_pos, checks the cell's seq, claims the position
 * with a CAS on enqueue_pos, writes the item, then publishes it by storing
 * seq = pos + 1. A consumer mirrors this with dequeue_pos and stores
 * seq = pos + capacity. Producers and consumers touch different position
 * words, each on its own cache line, so they do not false-share; a cell is
 * touched by exactly one producer and one consumer per lap.
 *
 * Memory ordering of the ring (as in Vyukov's original):
 * - The cell's seq is the only synchronisation for the item. Its store is a
 *   release and its load an acquire, so a consumer that sees seq == pos + 1
 *   also sees the item the producer wrote before the store; a producer that
 *   sees seq == pos (a lap later) knows the previous consumer has finished
 *   reading the item it is about to overwrite.
 * - The CAS on enqueue_pos/dequeue_pos only arbitrates which thread owns a
 *   position; it publishes no data, so it is relaxed. A stale position read
 *   is harmless: the seq check fails and the thread reloads the position.
 *
 * Blocking layer: an eventcount per condition ("not empty" for poppers,
 * "not full" for pushers): a 32-bit epoch used as futex word, a count of
 * announced waiters and a "wake-up pending" flag. A waiter
 *	1. announces itself (waiters++) and issues a seq_cst fence,
 *	2. reads the epoch (acquire),
 *	3. clears pending if set, with a seq_cst fence after the clear,
 *	4. re-checks the queue (and the closed flag),
 *	5. sleeps in FUTEX_WAIT on the epoch, which returns at once if the epoch
 *	   is no longer the value read in 2,
 *	6. on return: waiters--, clears pending as in 3, and retries.
 * A successful push (pop) issues a seq_cst fence and reads waiters and
 * pending of "not empty" ("not full"). Only when someone waits and no
 * wake-up is pending does it set pending, bump the epoch and FUTEX_WAKE one
 * thread. With nobody waiting the fast path is one fence and one load of a
 * read-mostly cache line: no syscall, no shared write.
 *
 * Why no wake-up is lost. (a) The waiter's 1-4 (write waiters, fence, read
 * the cell seq) and the notifier's (write the cell seq, fence, read waiters)
 * form the "store buffering" pattern; with a seq_cst fence on both sides C11
 * forbids both reads from missing the other's write: either the re-check
 * sees the item, or the notifier sees waiters > 0. Its bump (a release RMW
 * after the push) is then either read in 2 -- the load being an acquire, the
 * re-check sees the push -- or comes after 2, and FUTEX_WAIT's compare (done
 * by the kernel under its hash-bucket lock) either sees the new epoch and
 * returns EAGAIN, or queues the waiter before FUTEX_WAKE runs.
 * (b) pending: without it, every push made between a wake-up and the woken
 * thread actually running (it may share the producer's CPU) pays a
 * FUTEX_WAKE for nobody -- that cost us 10x in the bench. A notifier that
 * sees pending skips its wake-up; whoever clears pending (3 or 6) inherits
 * the duty: clear then fence, against the notifier's push then fence, is
 * again store buffering, so the clearer's next look at the queue sees every
 * push that skipped. Nobody sleeps with pending set (3 runs before each
 * sleep), and the thread woken for pending -- or, if it was not asleep yet,
 * a waiter whose FUTEX_WAIT fails on the bumped epoch -- clears it.
 * (c) A wake-up wakes one thread for one item, so a waiter that succeeds
 * after announcing itself passes the baton (notifies once more) when work is
 * left: it may have answered for several skipped pushes, or, with several
 * producers, found the head cell claimed but not yet published. That
 * producer notifies again when it publishes.
 * (d) Hysteresis for pushers: a pop notifies "not full" only when it leaves
 * the queue at most half full. A pusher that waits for room then wakes to
 * half a ring of room and pushes a run without sleeping, where waking at
 * each free slot made a producer that outpaces its consumers sleep and
 * wake (two context switches and a FUTEX_WAKE) every item or two: 7,000
 * times in a 200,000-event run of bench/pipeline. No wake-up is lost: a
 * pusher sleeps only after its re-check found the ring full, so at least
 * half a ring of pops follows that re-check, and the pop that brings the
 * depth to half -- its own CAS made, its depth read afterwards sees it --
 * notifies, with the same fences as (a). Poppers have no such rule: an
 * item must not wait beside a sleeping worker.
 * queue_close stores closed, then bumps both epochs and wakes everyone;
 * a waiter that reads the new epoch (acquire) sees closed.
 *
 * Timeouts are deadlines on CLOCK_MONOTONIC, counted from the first failed
 * attempt (a call that succeeds at once reads no clock); FUTEX_WAIT gets
 * the remaining time (relative, measured on CLOCK_MONOTONIC by the kernel)
 * and every return (wake, EAGAIN, EINTR, timeout, spurious) goes round the
 * loop again, which retries the queue before looking at the clock.
 */
#include <limits.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

#define QUEUE_CACHE_LINE	64

#if defined(__SANITIZE_THREAD__)
#define QUEUE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define QUEUE_TSAN 1
#endif
#endif

/*
 * Attempts made (with a CPU pause between) before a blocking call announces
 * itself and sleeps: long enough to cover a producer in the middle of a push,
 * far too short to count as busy waiting.
 */
#ifndef QUEUE_SPINS
#define QUEUE_SPINS		32
#endif

struct queue_cell {
	_Atomic size_t	 seq;
	void		*item;
};

struct queue_event {
	_Atomic uint32_t epoch;		/* futex word */
	_Atomic uint32_t waiters;	/* announced (maybe sleeping) waiters */
	_Atomic uint32_t pending;	/* a wake-up is in flight */
#ifdef QUEUE_TSAN
	_Atomic uint32_t tsan_fence;	/* see queue_event_fence */
#endif
};

_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
    "futex word must be a plain 32-bit integer");

struct queue {
	/* Written once by queue_create (closed once by queue_close). */
	alignas(QUEUE_CACHE_LINE) struct queue_cell *cells;
	size_t			 mask;
	_Atomic int		 closed;

	/* Producers only. */
	alignas(QUEUE_CACHE_LINE) _Atomic size_t enqueue_pos;
	/* Consumers only. */
	alignas(QUEUE_CACHE_LINE) _Atomic size_t dequeue_pos;

	/* Poppers announce themselves here; pushers read waiters. */
	alignas(QUEUE_CACHE_LINE) struct queue_event not_empty;
	/* Pushers announce themselves here; poppers read waiters. */
	alignas(QUEUE_CACHE_LINE) struct queue_event not_full;
};

static void
queue_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static int64_t
queue_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
queue_futex_wait(_Atomic uint32_t *word, uint32_t expected,
    const struct timespec *timeout)
{
	/*
	 * Errors are all "go round again": EAGAIN (epoch moved on), EINTR,
	 * ETIMEDOUT. The caller re-checks the queue and its deadline.
	 */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected,
	    timeout, NULL, 0);
}

static void
queue_futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, n, NULL,
	    NULL, 0);
}

/*
 * The seq_cst fence of the eventcount. ThreadSanitizer does not model
 * standalone fences (gcc refuses them under -Werror=tsan), so a TSan build
 * uses an acq_rel RMW on a word of the eventcount instead: RMWs on one word
 * are totally ordered and the later one synchronises with the earlier, which
 * gives the same store-buffering guarantee. The item hand-off, which is what
 * TSan checks, does not depend on either.
 */
static void
queue_event_fence(struct queue_event *ev)
{
#ifdef QUEUE_TSAN
	atomic_fetch_add_explicit(&ev->tsan_fence, 0, memory_order_acq_rel);
#elif defined(__x86_64__)
	/*
	 * What gcc emits for atomic_thread_fence(memory_order_seq_cst): any
	 * locked instruction is a full barrier on x86, and the "memory"
	 * clobber a full compiler barrier. clang emits MFENCE instead, which
	 * cost us 3-4x throughput on AMD EPYC (bench/queue).
	 */
	(void)ev;
	__asm__ __volatile__("lock orq $0, (%%rsp)" ::: "memory", "cc");
#else
	(void)ev;
	atomic_thread_fence(memory_order_seq_cst);
#endif
}

/*
 * Takes over the duty of a wake-up in flight (see DESIGN): clears pending,
 * then fences so that the caller's next look at the queue sees every push
 * whose notifier saw pending set and skipped its wake-up.
 */
static void
queue_event_take_pending(struct queue_event *ev)
{
	if (atomic_load_explicit(&ev->pending, memory_order_relaxed) == 0)
		return;
	atomic_store_explicit(&ev->pending, 0, memory_order_relaxed);
	queue_event_fence(ev);
}

/* Announces a waiter; returns the epoch to pass to queue_event_wait. */
static uint32_t
queue_event_prepare(struct queue_event *ev)
{
	uint32_t	epoch;

	atomic_fetch_add_explicit(&ev->waiters, 1, memory_order_relaxed);
	/* Orders the announcement before the caller's re-check (see DESIGN). */
	queue_event_fence(ev);
	/*
	 * Acquire: if we see a notifier's bump we also see its push/pop and
	 * the pending flag it set before the bump.
	 */
	epoch = atomic_load_explicit(&ev->epoch, memory_order_acquire);
	/* Nobody may go to sleep while a wake-up is marked in flight. */
	queue_event_take_pending(ev);
	return epoch;
}

static void
queue_event_cancel(struct queue_event *ev)
{
	atomic_fetch_sub_explicit(&ev->waiters, 1, memory_order_relaxed);
}

/* Sleeps unless the epoch moved past epoch; timeout NULL is forever. */
static void
queue_event_wait(struct queue_event *ev, uint32_t epoch,
    const struct timespec *timeout)
{
	queue_futex_wait(&ev->epoch, epoch, timeout);
	atomic_fetch_sub_explicit(&ev->waiters, 1, memory_order_relaxed);
	/* We may be the thread that wake-up was for: take its duty. */
	queue_event_take_pending(ev);
}

/*
 * Called after a successful push or pop: whether anyone waits on ev. The
 * fence orders our cell seq store before the read of waiters: it pairs
 * with the fences in queue_event_prepare and queue_event_take_pending (see
 * DESIGN). With nobody waiting this fence and one load are the whole cost
 * of the blocking layer.
 */
static int
queue_event_waited(struct queue_event *ev)
{
	queue_event_fence(ev);
	return atomic_load_explicit(&ev->waiters, memory_order_relaxed) != 0;
}

/* Wakes one waiter of ev, unless a wake-up is already in flight. */
static void
queue_event_wake(struct queue_event *ev)
{
	/*
	 * A woken thread has not run yet: it will see our push when it
	 * clears pending, so skip the system call.
	 */
	if (atomic_load_explicit(&ev->pending, memory_order_relaxed) != 0)
		return;
	if (atomic_exchange_explicit(&ev->pending, 1,
	    memory_order_relaxed) != 0)
		return;
	/* Release: whoever reads the new epoch also sees pending set. */
	atomic_fetch_add_explicit(&ev->epoch, 1, memory_order_release);
	queue_futex_wake(&ev->epoch, 1);
}

/* Called after a successful push or pop: wakes one waiter, if any. */
static void
queue_event_notify(struct queue_event *ev)
{
	if (queue_event_waited(ev))
		queue_event_wake(ev);
}

static void
queue_event_broadcast(struct queue_event *ev)
{
	atomic_fetch_add_explicit(&ev->epoch, 1, memory_order_release);
	queue_futex_wake(&ev->epoch, INT_MAX);
}

/*
 * Returns a queue with room for capacity items, or NULL if capacity is not
 * a power of two >= 2. Aborts on out of memory. The caller owns the queue and
 * frees it with queue_destroy. Any thread.
 */
struct queue *
queue_create(size_t capacity)
{
	struct queue	*q;
	size_t		 i;

	if (capacity < 2 || (capacity & (capacity - 1)) != 0)
		return NULL;
	if (capacity > SIZE_MAX / sizeof *q->cells)
		return NULL;

	/* sizeof *q is a multiple of its alignment, as aligned_alloc wants. */
	q = aligned_alloc(alignof(struct queue), sizeof *q);
	if (q == NULL) {
		fprintf(stderr, "sipeatd: out of memory allocating queue\n");
		abort();
	}
	q->cells = aligned_alloc(QUEUE_CACHE_LINE,
	    ((capacity * sizeof *q->cells + QUEUE_CACHE_LINE - 1) /
	    QUEUE_CACHE_LINE) * QUEUE_CACHE_LINE);
	if (q->cells == NULL) {
		fprintf(stderr, "sipeatd: out of memory allocating queue\n");
		abort();
	}
	for (i = 0; i < capacity; i++) {
		atomic_init(&q->cells[i].seq, i);
		q->cells[i].item = NULL;
	}
	q->mask = capacity - 1;
	atomic_init(&q->closed, 0);
	atomic_init(&q->enqueue_pos, 0);
	atomic_init(&q->dequeue_pos, 0);
	atomic_init(&q->not_empty.epoch, 0);
	atomic_init(&q->not_empty.waiters, 0);
	atomic_init(&q->not_empty.pending, 0);
	atomic_init(&q->not_full.epoch, 0);
	atomic_init(&q->not_full.waiters, 0);
	atomic_init(&q->not_full.pending, 0);
#ifdef QUEUE_TSAN
	atomic_init(&q->not_empty.tsan_fence, 0);
	atomic_init(&q->not_full.tsan_fence, 0);
#endif
	return q;
}

/*
 * Frees the ring. Items still queued are not freed: the caller drains them
 * first. No thread may use or wait on q any longer. NULL is ignored.
 */
void
queue_destroy(struct queue *q)
{
	if (q == NULL)
		return;
	free(q->cells);
	free(q);
}

/* Returns the capacity given to queue_create. Any thread. */
size_t
queue_capacity(const struct queue *q)
{
	return q->mask + 1;
}

/*
 * Returns the number of queued items (claimed positions), exact when nothing
 * runs concurrently, otherwise an approximation in [0, capacity]. Any thread.
 */
size_t
queue_depth(const struct queue *q)
{
	size_t	deq, enq;

	/*
	 * dequeue_pos never passes enqueue_pos, and both only grow: reading
	 * dequeue_pos first keeps the difference from going negative.
	 */
	deq = atomic_load_explicit(&q->dequeue_pos, memory_order_relaxed);
	enq = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
	if (enq - deq > q->mask + 1)
		return q->mask + 1;
	return enq - deq;
}

/* The ring operations proper, without the wake-up. */
static int
queue_ring_push(struct queue *q, void *item)
{
	struct queue_cell	*cell;
	size_t			 pos, seq;
	intptr_t		 dif;

	pos = atomic_load_explicit(&q->enqueue_pos, memory_order_relaxed);
	for (;;) {
		cell = &q->cells[pos & q->mask];
		/* Acquire: the last consumer's read of cell->item is done. */
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)pos;
		if (dif == 0) {
			/* Relaxed: the CAS only decides who owns pos. */
			if (atomic_compare_exchange_weak_explicit(
			    &q->enqueue_pos, &pos, pos + 1,
			    memory_order_relaxed, memory_order_relaxed))
				break;
			/* pos now holds the current value: retry with it. */
		} else if (dif < 0) {
			/* The cell still holds last lap's item: full. */
			return -1;
		} else {
			/* Another producer took pos: catch up. */
			pos = atomic_load_explicit(&q->enqueue_pos,
			    memory_order_relaxed);
		}
	}
	cell->item = item;
	/* Release: publishes the item to the consumer that acquires seq. */
	atomic_store_explicit(&cell->seq, pos + 1, memory_order_release);
	return 0;
}

static int
queue_ring_pop(struct queue *q, void **item)
{
	struct queue_cell	*cell;
	size_t			 pos, seq;
	intptr_t		 dif;

	pos = atomic_load_explicit(&q->dequeue_pos, memory_order_relaxed);
	for (;;) {
		cell = &q->cells[pos & q->mask];
		/* Acquire: pairs with the producer's release of seq. */
		seq = atomic_load_explicit(&cell->seq, memory_order_acquire);
		dif = (intptr_t)seq - (intptr_t)(pos + 1);
		if (dif == 0) {
			if (atomic_compare_exchange_weak_explicit(
			    &q->dequeue_pos, &pos, pos + 1,
			    memory_order_relaxed, memory_order_relaxed))
				break;
		} else if (dif < 0) {
			/* Not yet published (or never pushed): empty. */
			return -1;
		} else {
			pos = atomic_load_explicit(&q->dequeue_pos,
			    memory_order_relaxed);
		}
	}
	*item = cell->item;
	/* Release: our read of the item is done before the next lap's write. */
	atomic_store_explicit(&cell->seq, pos + q->mask + 1,
	    memory_order_release);
	return 0;
}

/*
 * Pushes item (non-NULL; ownership passes to whoever pops it). Returns 0, or
 * -1 if the queue is full (item stays the caller's). Never blocks and does
 * not look at the closed flag. Wakes one sleeping popper if there is one.
 * Any thread.
 */
int
queue_try_push(struct queue *q, void *item)
{
	if (queue_ring_push(q, item) != 0)
		return -1;
	queue_event_notify(&q->not_empty);
	return 0;
}

/*
 * Pops the oldest item into *item (ownership passes to the caller). Returns
 * 0, or -1 if the queue is empty (*item untouched). Never blocks. Wakes one
 * sleeping pusher if there is one and the queue is now at most half full.
 * Any thread.
 */
int
queue_try_pop(struct queue *q, void **item)
{
	if (queue_ring_pop(q, item) != 0)
		return -1;
	/*
	 * Hysteresis (see DESIGN): a pusher blocked on a full queue is woken
	 * once the queue is down to half, not at the first free slot. The
	 * depth is read only when someone waits: enqueue_pos is the
	 * producer's hot line.
	 */
	if (queue_event_waited(&q->not_full) &&
	    queue_depth(q) <= (q->mask + 1) / 2)
		queue_event_wake(&q->not_full);
	return 0;
}

/* One attempt of the blocking operation: push item, or pop into *item. */
static int
queue_attempt(struct queue *q, int push, void **item)
{
	if (push)
		return queue_try_push(q, *item);
	return queue_try_pop(q, item);
}

/*
 * The blocking loop shared by queue_push_wait and queue_pop_wait. For a push
 * *item is the item to push; for a pop it receives the item.
 */
static int
queue_wait(struct queue *q, int push, void **item, int timeout_ms)
{
	struct queue_event	*ev = push ? &q->not_full : &q->not_empty;
	struct timespec		 ts, *tsp = NULL;
	int64_t			 deadline = 0, left;
	uint32_t		 epoch;
	int			 closed, spins = 0, prepared = 0;

	for (;;) {
		/*
		 * Read closed before trying: a pop that fails after seeing
		 * closed saw the queue closed and empty, as promised.
		 */
		closed = atomic_load_explicit(&q->closed, memory_order_acquire);
		if (push && closed)
			return -1;
		if (queue_attempt(q, push, item) == 0)
			break;
		if (closed || timeout_ms == 0)
			return -1;
		/*
		 * The clock is read only once an attempt failed: most calls
		 * succeed at once, and a clock read costs more than the
		 * push (clock_gettime was 1.7% of a worker's samples).
		 */
		if (timeout_ms > 0 && deadline == 0)
			deadline = queue_now_ns() + (int64_t)timeout_ms * 1000000;
		if (spins < QUEUE_SPINS) {
			spins++;
			queue_cpu_relax();
			continue;
		}
		if (timeout_ms > 0) {
			left = deadline - queue_now_ns();
			if (left <= 0)
				return -1;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}

		epoch = queue_event_prepare(ev);
		prepared = 1;
		/* Acquire: pairs with the release bump in queue_close. */
		closed = atomic_load_explicit(&q->closed, memory_order_acquire);
		if (push && closed) {
			queue_event_cancel(ev);
			return -1;
		}
		if (queue_attempt(q, push, item) == 0) {
			queue_event_cancel(ev);
			break;
		}
		if (closed) {
			queue_event_cancel(ev);
			return -1;
		}
		queue_event_wait(ev, epoch, tsp);
	}

	/*
	 * A wake-up is for one item (or slot), and clearing pending made us
	 * answer for pushes that skipped their wake-up. If more is left, pass
	 * it on so sleepers do not idle beside work.
	 */
	if (prepared) {
		if (push ? queue_depth(q) < queue_capacity(q) :
		    queue_depth(q) > 0)
			queue_event_notify(ev);
	}
	return 0;
}

/*
 * Pushes item, sleeping while the queue is full -- once asleep, until pops
 * bring it down to half full (DESIGN (d)). timeout_ms < 0 waits
 * forever, 0 does not wait. Returns 0 when pushed (ownership passes to the
 * popper), -1 on timeout or if the queue is or becomes closed (item stays
 * the caller's). Any thread.
 */
int
queue_push_wait(struct queue *q, void *item, int timeout_ms)
{
	return queue_wait(q, 1, &item, timeout_ms);
}

/*
 * Pops the oldest item into *item, sleeping while the queue is empty.
 * timeout_ms < 0 waits forever, 0 does not wait. Returns 0 with an item
 * (the caller owns it), or -1 on timeout or once the queue is closed and
 * empty. Items pushed before close are still returned. Any thread.
 */
int
queue_pop_wait(struct queue *q, void **item, int timeout_ms)
{
	return queue_wait(q, 0, item, timeout_ms);
}

/*
 * Marks the queue closed and wakes every sleeper: blocked and later pushes
 * fail, pops fail once the queue is empty. Idempotent. Any thread.
 */
void
queue_close(struct queue *q)
{
	/*
	 * The store is sequenced before the bumps (release RMWs): a waiter
	 * that reads the new epoch sees closed; one that read the old epoch
	 * is either woken or fails its FUTEX_WAIT compare.
	 */
	atomic_store_explicit(&q->closed, 1, memory_order_seq_cst);
	queue_event_broadcast(&q->not_empty);
	queue_event_broadcast(&q->not_full);
}

/* Returns 1 once queue_close was called, else 0. Any thread. */
int
queue_closed(const struct queue *q)
{
	return atomic_load_explicit(&q->closed, memory_order_acquire);
}
