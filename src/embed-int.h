/*
 * embed-int.h -- what the three parts of the embed builder share, and
 * nothing outside them includes: embed.c (layout, limits, output,
 * digests, payloads), embed-text.c (the strings: cleaning, cutting,
 * counting) and embed-fields.c (an event's data as named fields).
 *
 * Threads: any; pure, as embed.h: every function works on the caller's
 * data only.
 */
#ifndef SIPEAT_EMBED_INT_H
#define SIPEAT_EMBED_INT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "embed.h"

#define EMBED_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define EMBED_FLATTEN_MAX	32	/* deeper objects are shown as JSON */
#define EMBED_EMPTY		"—"
#define EMBED_ELLIPSIS		"…"

struct field {
	char	*name;
	char	*value;
	int	 is_error;
};

/* Collects fields while flattening data; counts all, keeps the first max. */
struct collect {
	struct field	*fields;
	size_t		 max;
	size_t		 kept;
	size_t		 total;
};

/* embed-text.c */
/* Like embed_text(), but whitespace-only (or NULL) text also becomes "—". */
char	*embed_clean_n(const char *s, size_t len, size_t max);
char	*embed_clean(const char *s, size_t max);
/*
 * embed_clean() for a string the caller gives up: s itself when
 * embed_clean() would return an equal copy, else the cleaned copy, s freed.
 */
char	*embed_clean_take(char *s, size_t max);
/* v in decimal, as printf's "%" PRId64 writes it; buf of 21 bytes or more. */
size_t	 embed_fmt_i64(char *buf, int64_t v);

/* embed-fields.c */
/*
 * Adds one field per member of obj in document order; a nested non-empty
 * object adds its members with the names joined ("Location Address").
 * prefix (plen bytes) is the joined name so far, NULL at the top.
 */
void	 embed_flatten(struct collect *c, json_object *obj, const char *prefix,
	     size_t plen, int depth);

#endif
