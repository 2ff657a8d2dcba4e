/*
 * offsets.h -- completion tracker for one partition. Events finish out of
 * order; the offset that may be stored is the highest one below which every
 * received event has finished ("contiguous watermark"). Offsets received are
 * strictly increasing but need not be contiguous (compaction, transaction
 * markers). Pure, single-threaded: owned by the consumer thread.
 *
 * Threads: the consumer thread only, every function.
 */
#ifndef SIPEAT_OFFSETS_H
#define SIPEAT_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

struct offsets;

struct offsets	*offsets_create(void);
void		 offsets_destroy(struct offsets *o);
/* Forgets everything (partition re-assigned). */
void		 offsets_reset(struct offsets *o);
/*
 * Records that offset was received and is now unfinished. Returns 0, or -1
 * (nothing recorded) when offset is not greater than the last one tracked.
 */
int		 offsets_track(struct offsets *o, int64_t offset);
/*
 * Marks a tracked offset finished. Returns 1 when the watermark advanced,
 * 0 when it did not, -1 when offset is not tracked (or already done).
 */
int		 offsets_done(struct offsets *o, int64_t offset);
/*
 * The offset to store/commit: one past the last offset of the contiguous
 * finished prefix; -1 when nothing has finished since the tracker started.
 */
int64_t		 offsets_committable(const struct offsets *o);
/* Tracked and not yet finished. */
size_t		 offsets_pending(const struct offsets *o);

#endif
