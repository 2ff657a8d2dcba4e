/*
 * offsets.c -- per-partition completion tracker (see offsets.h).
 *
 * Design: a ring (circular array, capacity a power of two) of entries
 * {offset, done}, one per tracked offset that is unfinished or finished but
 * not yet part of the contiguous finished prefix. Entries are appended in
 * strictly increasing offset order, so the ring is sorted and offsets_done()
 * finds an entry by binary search in O(log n) whatever the gaps between
 * offsets (compaction, transaction markers). When the head entry is done,
 * it and every done entry behind it are popped and the watermark becomes the
 * last popped offset + 1: the watermark never waits on an offset that was
 * never received.
 *
 * Memory is proportional to the live window (oldest unfinished to newest
 * tracked): the ring doubles when full and halves while under a quarter
 * full, so track is amortized O(1) and a burst does not pin memory forever.
 *
 * Owned by one thread (the consumer thread); no locking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "offsets.h"
#include "util.h"

/*
 * Smallest ring. Also the size after a reset: a partition that was busy
 * before a rebalance gives its memory back.
 */
#define OFFSETS_MINCAP	64

struct offsets_entry {
	int64_t		 offset;
	int		 done;
};

struct offsets {
	struct offsets_entry	*ring;
	size_t			 cap;		/* power of two */
	size_t			 head;		/* index of the oldest entry */
	size_t			 count;		/* entries in the ring */
	size_t			 ndone;		/* of those, marked done */

	int			 have_last;
	int64_t			 last;		/* last offset tracked */
	int64_t			 committable;	/* -1: nothing finished yet */
};

static struct offsets_entry *
offsets_at(const struct offsets *o, size_t i)
{
	return &o->ring[(o->head + i) & (o->cap - 1)];
}

/* Moves the entries to a new ring of newcap slots, oldest first at index 0. */
static void
offsets_resize(struct offsets *o, size_t newcap)
{
	struct offsets_entry	*ring;
	size_t			 first;

	ring = xreallocarray(NULL, newcap, sizeof *ring);
	first = o->cap - o->head;
	if (first > o->count)
		first = o->count;
	memcpy(ring, o->ring + o->head, first * sizeof *ring);
	memcpy(ring + first, o->ring, (o->count - first) * sizeof *ring);
	free(o->ring);
	o->ring = ring;
	o->cap = newcap;
	o->head = 0;
}

/*
 * Returns a new, empty tracker (committable -1). Caller owns it and frees it
 * with offsets_destroy(). Never fails (aborts on out of memory).
 */
struct offsets *
offsets_create(void)
{
	struct offsets	*o;

	o = xcalloc(1, sizeof *o);
	o->cap = OFFSETS_MINCAP;
	o->ring = xreallocarray(NULL, o->cap, sizeof *o->ring);
	o->committable = -1;
	return o;
}

/* Frees o; NULL is allowed. */
void
offsets_destroy(struct offsets *o)
{
	if (o == NULL)
		return;
	free(o->ring);
	free(o);
}

/*
 * Forgets every tracked offset and the watermark (committable -1, any
 * offset may be tracked next), as after a partition is re-assigned.
 */
void
offsets_reset(struct offsets *o)
{
	if (o->cap != OFFSETS_MINCAP) {
		free(o->ring);
		o->cap = OFFSETS_MINCAP;
		o->ring = xreallocarray(NULL, o->cap, sizeof *o->ring);
	}
	o->head = 0;
	o->count = 0;
	o->ndone = 0;
	o->have_last = 0;
	o->last = 0;
	o->committable = -1;
}

/*
 * Records offset as received and unfinished. Returns 0, or -1 with nothing
 * recorded when offset is not greater than the last offset tracked since
 * creation or reset. Also -1 for a negative offset or INT64_MAX: Kafka never
 * hands those out, and the watermark (offset + 1, with -1 meaning "nothing")
 * could not represent them.
 */
int
offsets_track(struct offsets *o, int64_t offset)
{
	struct offsets_entry	*e;

	if (offset < 0 || offset == INT64_MAX)
		return -1;
	if (o->have_last && offset <= o->last)
		return -1;
	if (o->count == o->cap)
		offsets_resize(o, o->cap * 2);
	e = offsets_at(o, o->count);
	e->offset = offset;
	e->done = 0;
	o->count++;
	o->have_last = 1;
	o->last = offset;
	return 0;
}

/*
 * Marks a tracked, unfinished offset finished. Returns 1 when the watermark
 * advanced, 0 when it did not (an earlier offset is still unfinished), -1
 * when offset is not tracked, already finished, or never was tracked (a gap).
 */
int
offsets_done(struct offsets *o, int64_t offset)
{
	struct offsets_entry	*e;
	size_t			 lo, hi, mid, newcap;

	/* Find the first entry with entry offset >= offset. */
	lo = 0;
	hi = o->count;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (offsets_at(o, mid)->offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == o->count)
		return -1;
	e = offsets_at(o, lo);
	if (e->offset != offset || e->done)
		return -1;
	e->done = 1;
	o->ndone++;
	if (lo != 0)
		return 0;

	while (o->count > 0) {
		e = offsets_at(o, 0);
		if (!e->done)
			break;
		o->committable = e->offset + 1;
		o->head = (o->head + 1) & (o->cap - 1);
		o->count--;
		o->ndone--;
	}
	newcap = o->cap;
	while (newcap > OFFSETS_MINCAP && o->count < newcap / 4)
		newcap /= 2;
	if (newcap != o->cap)
		offsets_resize(o, newcap);
	return 1;
}

/*
 * Returns the offset to store: one past the last offset of the contiguous
 * finished prefix, or -1 when nothing finished since creation or reset.
 */
int64_t
offsets_committable(const struct offsets *o)
{
	return o->committable;
}

/* Returns the number of tracked offsets not yet finished. */
size_t
offsets_pending(const struct offsets *o)
{
	return o->count - o->ndone;
}
