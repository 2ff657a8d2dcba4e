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
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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

/* UTF-16 units of a NUL-terminated string (Discord's count). */
static size_t
u16(const char *s)
{
	return utf8_len16(s, strlen(s));
}

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

char *
digest_embed_json(const struct digest *d, time_t end, size_t *chars)
{
	struct embed_digest_row rows[DIGEST_ROWS];
	json_object *embed;
	size_t n;
	char *s;

	memset(rows, 0, sizeof rows);
	for (n = 0; n < d->n; n++) {
		rows[n].type = d->types[n];
		rows[n].processed = d->processed[n];
	}
	if (d->other > 0) {
		rows[n].type = DIGEST_OTHER;
		rows[n].processed = d->other;
		n++;
	}
	embed = embed_digest(rows, n, end, chars);
	s = embed_to_json(embed);
	json_object_put(embed);
	return s;
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
	u = u16(s);
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

static void
add_field(json_object *fields, const char *name, const char *value)
{
	json_object *f = json_object_new_object();

	json_object_object_add(f, "name", json_object_new_string(name));
	json_object_object_add(f, "value", json_object_new_string(value));
	json_object_object_add(f, "inline", json_object_new_boolean(0));
	json_object_array_add(fields, f);
}

char *
overflow_embed_json(const struct overflow *o, time_t end, size_t *chars)
{
	json_object *embed, *fields, *footer;
	char *title, *value, *s, ts[32];
	size_t n, len = 0, units = 0, vsize;

	embed = json_object_new_object();
	title = xasprintf("❗ %ld more failures", o->count);
	json_object_object_add(embed, "title", json_object_new_string(title));
	json_object_object_add(embed, "description",
	    json_object_new_string(OVERFLOW_DESC));
	json_object_object_add(embed, "color",
	    json_object_new_int(EMBED_COLOR_FAIL));
	n = u16(title) + u16(OVERFLOW_DESC) +
	    u16(OVERFLOW_FOOTER);
	free(title);

	fields = json_object_new_array();
	vsize = 4 * EMBED_MAX_FIELD_VALUE + 1;	/* UTF-8: 4 bytes a unit at most */
	value = xmalloc(vsize);
	for (size_t i = 0; i < o->nids; i++) {
		size_t u = u16(o->ids[i]), b = strlen(o->ids[i]);

		if (len > 0 && units + OVERFLOW_SEP_UNITS + u > EMBED_MAX_FIELD_VALUE) {
			add_field(fields, OVERFLOW_FIELD, value);
			n += OVERFLOW_FIELD_UNITS + units;
			len = units = 0;
		}
		if (len > 0) {
			memcpy(value + len, OVERFLOW_SEP, OVERFLOW_SEP_UNITS);
			len += OVERFLOW_SEP_UNITS;
			units += OVERFLOW_SEP_UNITS;
		}
		memcpy(value + len, o->ids[i], b);
		len += b;
		units += u;
		value[len] = '\0';
	}
	if (len > 0) {
		add_field(fields, OVERFLOW_FIELD, value);
		n += OVERFLOW_FIELD_UNITS + units;
	}
	free(value);
	if (o->unlisted > 0) {
		s = xasprintf("%ld more: their Event IDs did not fit here",
		    o->unlisted);
		add_field(fields, "Not listed", s);
		n += u16("Not listed") + u16(s);
		free(s);
	}
	json_object_object_add(embed, "fields", fields);
	footer = json_object_new_object();
	json_object_object_add(footer, "text",
	    json_object_new_string(OVERFLOW_FOOTER));
	json_object_object_add(embed, "footer", footer);
	embed_timestamp(end, ts, sizeof ts);
	json_object_object_add(embed, "timestamp", json_object_new_string(ts));
	s = embed_to_json(embed);
	json_object_put(embed);
	if (chars != NULL)
		*chars = n;
	return s;
}
