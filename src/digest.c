/*
 * digest.c -- the notifier's digest (successes per type) and overflow
 * (failures by Event ID); see digest.h.
 *
 * The overflow keeps its layout up to date as failures arrive, so that
 * overflow_add() knows at once whether an Event ID still fits, and
 * overflow_embed_json() replays the same rule: ids joined by ", " into
 * "Event IDs" fields of at most EMBED_MAX_FIELD_VALUE units, at most
 * EMBED_MAX_FIELDS - 1 of them (the last field is kept for "Not listed"),
 * and every field name and value together within EMBED_MAX_TOTAL -
 * OVERFLOW_RESERVE. Lengths are UTF-16 code units, never fewer than the
 * code points Discord counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "digest.h"
#include "embed.h"
#include "utf8.h"
#include "util.h"

#define OVERFLOW_FIELD		"Event IDs"
#define OVERFLOW_FIELD_UNITS	(sizeof OVERFLOW_FIELD - 1)	/* ASCII */
#define OVERFLOW_SEP		", "
#define OVERFLOW_SEP_UNITS	2
#define OVERFLOW_DESC		"Their own embeds did not fit in the notification queue."
#define OVERFLOW_FOOTER		"❌ Processing failed"
#define OVERFLOW_BUDGET		(EMBED_MAX_TOTAL - OVERFLOW_RESERVE)

void
digest_add(struct digest *d, const char *type, long processed)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strncmp(d->types[i], type, DIGEST_TYPE_MAX - 1) == 0)
			break;
	}
	if (i == d->n && d->n < DIGEST_ROWS - 1) {
		str_copy(d->types[i], type, sizeof d->types[i]);
		d->processed[i] = 0;
		d->n++;
	}
	if (i < d->n)
		d->processed[i] += (unsigned long)processed;
	else
		d->other += (unsigned long)processed;	/* no row of its own left */
	d->total += processed;
}

void
digest_merge(struct digest *d, const struct digest *src)
{
	for (size_t i = 0; i < src->n; i++)
		digest_add(d, src->types[i], (long)src->processed[i]);
	d->other += src->other;
	d->total += (long)src->other;
}

void
digest_reset(struct digest *d)
{
	d->n = 0;
	d->other = 0;
	d->total = 0;
}

/*
 * "📊 N events processed" (N = every event it counts; SPEC wording, even
 * for one), one field per row named by the type, "P processed, 0 failed"
 * (the digest folds successes only), in the order the types came.
 */
char *
digest_embed_json(const struct digest *d, time_t end, size_t *chars)
{
	struct embed_field f[DIGEST_ROWS];
	struct embed_spec es;
	char title[64], values[DIGEST_ROWS][48];
	unsigned long total = d->other;
	size_t n;

	memset(&es, 0, sizeof es);
	for (n = 0; n < d->n; n++)
		total += d->processed[n];
	snprintf(title, sizeof title, "📊 %lu events processed", total);
	es.title = title;
	es.color = EMBED_COLOR_DIGEST;
	es.timestamp = end;
	for (n = 0; n < d->n + (d->other > 0); n++) {
		f[n].name = n < d->n ? d->types[n] : DIGEST_OTHER;
		snprintf(values[n], sizeof values[n], "%lu processed, 0 failed",
		    n < d->n ? d->processed[n] : d->other);
		f[n].value = values[n];
		f[n].inl = EMBED_INLINE_AUTO;
	}
	es.fields = f;
	es.nfields = n;
	return embed_write(&es, chars);
}

/* id cut to at most OVERFLOW_ID_MAX units, valid UTF-8. Caller frees. */
static char *
overflow_id(const char *id)
{
	return embed_text(id, strlen(id), OVERFLOW_ID_MAX);
}

int
overflow_full(const struct overflow *o)
{
	/* One did not fit, or not even a one-unit id would. */
	if (o->closed || o->units + OVERFLOW_SEP_UNITS + 1 > OVERFLOW_BUDGET)
		return 1;
	return o->fields == EMBED_MAX_FIELDS - 1 &&
	    o->last + OVERFLOW_SEP_UNITS + 1 > EMBED_MAX_FIELD_VALUE;
}

int
overflow_add(struct overflow *o, const char *id)
{
	size_t u;
	char *s;

	o->count++;
	if (id == NULL || *id == '\0' || overflow_full(o))
		goto unlisted;
	s = overflow_id(id);
	u = utf8_len16(s, strlen(s));
	if (o->fields > 0 &&
	    o->last + OVERFLOW_SEP_UNITS + u <= EMBED_MAX_FIELD_VALUE &&
	    o->units + OVERFLOW_SEP_UNITS + u <= OVERFLOW_BUDGET) {
		o->last += OVERFLOW_SEP_UNITS + u;
		o->units += OVERFLOW_SEP_UNITS + u;
	} else if (o->fields < EMBED_MAX_FIELDS - 1 &&
	    o->units + OVERFLOW_FIELD_UNITS + u <= OVERFLOW_BUDGET) {
		o->fields++;
		o->last = u;
		o->units += OVERFLOW_FIELD_UNITS + u;
	} else {
		free(s);
		o->closed = 1;
		goto unlisted;
	}
	if (o->nids == o->cap) {
		o->cap = o->cap == 0 ? 64 : o->cap * 2;
		o->ids = xreallocarray(o->ids, o->cap, sizeof o->ids[0]);
	}
	o->ids[o->nids++] = s;
	return 1;
unlisted:
	o->unlisted++;
	return 0;
}

void
overflow_merge(struct overflow *dst, struct overflow *src)
{
	long rest = src->count - (long)src->nids;

	if (src->count == 0)
		return;
	if (dst->count == 0 || src->since < dst->since)
		dst->since = src->since;
	for (size_t i = 0; i < src->nids; i++)
		overflow_add(dst, src->ids[i]);
	if (rest > 0) {
		/* Unlisted there: unlisted here, and list no more after them. */
		dst->count += rest;
		dst->unlisted += rest;
		dst->closed = 1;
	}
	overflow_reset(src);
}

void
overflow_reset(struct overflow *o)
{
	for (size_t i = 0; i < o->nids; i++)
		free(o->ids[i]);
	free(o->ids);
	memset(o, 0, sizeof *o);
}

/*
 * The red "❗ N more failures" embed. The ids are laid out as
 * overflow_add() counted them, so the writer never has to shorten them.
 */
char *
overflow_embed_json(const struct overflow *o, time_t end, size_t *chars)
{
	struct embed_field f[EMBED_MAX_FIELDS];
	struct embed_spec es;
	struct buf b = BUF_INIT;
	char *title, *values[EMBED_MAX_FIELDS], *s;
	size_t nf = 0, units = 0;

	memset(&es, 0, sizeof es);
	title = xasprintf("❗ %ld more failures", o->count);
	es.title = title;
	es.description = OVERFLOW_DESC;
	es.color = EMBED_COLOR_FAIL;
	es.footer = OVERFLOW_FOOTER;
	es.timestamp = end;

	for (size_t i = 0; i < o->nids; i++) {
		size_t len = strlen(o->ids[i]), u = utf8_len16(o->ids[i], len);

		if (b.len > 0 && units + OVERFLOW_SEP_UNITS + u > EMBED_MAX_FIELD_VALUE) {
			/* overflow_add() opened at most EMBED_MAX_FIELDS - 1. */
			if (nf == EMBED_MAX_FIELDS - 2)
				break;
			values[nf++] = buf_take(&b);
			units = 0;
		}
		if (b.len > 0) {
			buf_add(&b, OVERFLOW_SEP, OVERFLOW_SEP_UNITS);
			units += OVERFLOW_SEP_UNITS;
		}
		buf_add(&b, o->ids[i], len);
		units += u;
	}
	if (b.len > 0)
		values[nf++] = buf_take(&b);
	buf_free(&b);
	for (size_t i = 0; i < nf; i++) {
		f[i].name = OVERFLOW_FIELD;
		f[i].value = values[i];
		f[i].inl = EMBED_INLINE_NO;
	}
	if (o->unlisted > 0) {
		values[nf] = xasprintf("%ld more: their Event IDs did not fit here",
		    o->unlisted);
		f[nf].name = "Not listed";
		f[nf].value = values[nf];
		f[nf].inl = EMBED_INLINE_NO;
		nf++;
	}
	es.fields = f;
	es.nfields = nf;
	s = embed_write(&es, chars);
	for (size_t i = 0; i < nf; i++)
		free(values[i]);
	free(title);
	return s;
}
