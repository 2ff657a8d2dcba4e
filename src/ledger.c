/*
 * ledger.c -- the consumer's completion and generation accounting (see
 * ledger.h). Partitions are few (tens); a linear search behind a one-entry
 * cache is enough, as messages come in runs of one partition.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "util.h"

void
ledger_free(struct ledger *l)
{
	for (size_t i = 0; i < l->nparts; i++) {
		offsets_destroy(l->parts[i]->tracker);
		free(l->parts[i]->topic);
		free(l->parts[i]);
	}
	free(l->parts);
	memset(l, 0, sizeof *l);
}

struct partition *
ledger_part(struct ledger *l, const char *topic, int32_t partition)
{
	struct partition *p = l->last;

	if (p != NULL && p->partition == partition && strcmp(p->topic, topic) == 0)
		return p;
	for (size_t i = 0; i < l->nparts; i++) {
		p = l->parts[i];
		if (p->partition == partition && strcmp(p->topic, topic) == 0)
			return l->last = p;
	}
	p = xcalloc(1, sizeof *p);
	p->topic = xstrdup(topic);
	p->partition = partition;
	p->tracker = offsets_create();
	l->parts = xreallocarray(l->parts, l->nparts + 1, sizeof *l->parts);
	l->parts[l->nparts++] = p;
	return l->last = p;
}

void
ledger_assign(struct partition *p)
{
	p->gen++;
	p->assigned = 1;
	p->eof = 0;
	p->dirty = 0;
	offsets_reset(p->tracker);
}

void
ledger_unassign(struct partition *p)
{
	p->assigned = 0;
	p->eof = 0;
}

int
ledger_receive(struct ledger *l, struct partition *p, int64_t offset)
{
	if (!p->assigned || offsets_track(p->tracker, offset) != 0)
		return -1;
	p->eof = 0;
	p->inflight++;
	l->inflight++;
	return 0;
}

int
ledger_complete(struct ledger *l, struct partition *p, uint32_t gen,
    int64_t offset, int finished)
{
	l->inflight--;
	p->inflight--;
	l->unfinished += !finished;
	if (finished && p->assigned && gen == p->gen &&
	    offsets_done(p->tracker, offset) == 1)
		return p->dirty = 1;
	return 0;
}

int64_t
ledger_take_store(struct partition *p)
{
	int64_t off;

	if (!p->dirty)
		return -1;
	p->dirty = 0;
	off = offsets_committable(p->tracker);
	return p->assigned && off >= 0 ? off : -1;
}
