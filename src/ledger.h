/*
 * ledger.h -- the consumer's completion and generation accounting: every
 * partition ever assigned (kept until exit, so a late completion never
 * points at freed memory), its assignment generation, its offset tracker
 * (offsets.c) and how many of its events are in flight, and the in-flight
 * count over all partitions. Pure: no librdkafka, no threads, no I/O.
 *
 * Generations: every assignment of a partition bumps its generation and
 * resets its tracker. A job from an older generation (finished after its
 * partition was revoked) only lowers the in-flight counts; its offset
 * belongs to the new owner, which replays it.
 *
 * Threads: the consumer thread only, every function (struct partition is
 * also borrowed, read-only, by the jobs that point at it: job.h).
 */
#ifndef SIPEAT_LEDGER_H
#define SIPEAT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "offsets.h"

struct partition {
	char			*topic;
	int32_t			 partition;
	uint32_t		 gen;		/* bumped by every assignment */
	int			 assigned;
	int			 eof;		/* at the end since the last message */
	int			 dirty;		/* watermark moved, not yet stored */
	long			 inflight;	/* received, not yet completed */
	struct offsets		*tracker;
};

struct ledger {
	struct partition	**parts;
	size_t			 nparts;
	struct partition	*last;		/* lookup cache */
	long			 inflight;	/* over every partition */
	size_t			 unfinished;	/* completed without running to the end */
};

/* Frees every partition. The ledger is empty (zeroed) afterwards. */
void			 ledger_free(struct ledger *l);
/* The record of topic/partition, made (unassigned) on first use. */
struct partition	*ledger_part(struct ledger *l, const char *topic,
			     int32_t partition);
/* p is (again) ours: a new generation, a fresh tracker, not at its end. */
void			 ledger_assign(struct partition *p);
/* p is no longer ours: its completions no longer move its watermark. */
void			 ledger_unassign(struct partition *p);
/*
 * A message of p at offset arrived. Returns 0 when it is now in flight
 * (tracked, counted), -1 when it is not to be processed: p is not
 * assigned, or offset is not after the last one received.
 */
int			 ledger_receive(struct ledger *l, struct partition *p,
			     int64_t offset);
/*
 * A job of p came back: gen and offset as when received, finished 1 when
 * it ran to its end. Lowers the in-flight counts; marks the offset done
 * (p->dirty when the watermark moved) only when finished and gen is p's
 * current generation. Returns 1 when the watermark moved, else 0.
 */
int			 ledger_complete(struct ledger *l, struct partition *p,
			     uint32_t gen, int64_t offset, int finished);
/*
 * The offset to store for p when its watermark moved since the last call
 * and p is assigned, else -1. Clears p->dirty.
 */
int64_t			 ledger_take_store(struct partition *p);

#endif
