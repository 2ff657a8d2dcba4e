/*
 * embed-int.h -- what the three parts of the embed builder share, and
 * nothing outside them includes: embed.c (layout, limits, the JSON
 * writer, payloads), embed-text.c (the strings: cleaning, cutting,
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

/* How json-c writes a data value that is no scalar (an array) as a field's text. */
#define EMBED_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define EMBED_FLATTEN_MAX	32	/* deeper objects are shown as JSON */
#define EMBED_EMPTY		"—"
#define EMBED_ELLIPSIS		"…"

/*
 * A laid-out string: cleaned (embed_text() rules: valid UTF-8, no NUL, no
 * replaced control character, within its limit), with its sizes counted
 * once. s is NUL-terminated and either borrowed (a constant, the event's
 * json-c tree) or in the layout's arena: nothing in a layout is freed
 * one by one.
 */
struct estr {
	const char	*s;
	size_t		 len;	/* bytes */
	size_t		 units;	/* UTF-16 units, Discord's count */
	size_t		 cps;	/* code points */
	int		 plain;	/* 1: no byte JSON escapes ('"', '\\', controls) */
};

/*
 * Bump allocator for one layout: the first chunk is inside the struct
 * (an embed normally needs no malloc at all), more chunks come from
 * xmalloc() and go at earena_free().
 */
#define EARENA_FIRST	4096
struct earena_chunk;
struct earena {
	char			*p;
	size_t			 left;
	struct earena_chunk	*more;
	_Alignas(16) char	 first[EARENA_FIRST];
};

struct field {
	struct estr	 name;
	struct estr	 value;
	size_t		 inline_below;	/* inline when value.cps is below */
};

#define EMBED_INLINE_BELOW	40	/* short values sit side by side */
/* embed_inline as a field's inline_below: one compare when written. */
#define EMBED_INLINE_CPS(inl) ((inl) == EMBED_INLINE_AUTO ? \
	EMBED_INLINE_BELOW : (inl) == EMBED_INLINE_YES ? SIZE_MAX : 0)

/* Collects fields while flattening data; counts all, keeps the first max. */
struct collect {
	struct field	*fields;
	size_t		 max;
	size_t		 kept;
	size_t		 total;
};

/* embed-text.c */
void	 earena_init(struct earena *a);
void	 earena_free(struct earena *a);
/* n bytes (any alignment is fine for text) from a; never NULL. */
char	*earena_alloc(struct earena *a, size_t n);
/* A NUL-terminated copy of s (len bytes) in a. */
char	*earena_strndup(struct earena *a, const char *s, size_t len);
/*
 * Sets *e to embed_clean_n(s, len, max) with its sizes. When s is clean
 * already and stable (it outlives the layout, and s[len] is a NUL), e
 * borrows it; else the text is copied into a.
 */
void	 embed_estr(struct earena *a, struct estr *e, const char *s,
	     size_t len, size_t max, int stable);
/*
 * Sets *e to "<icon> <a><b><c>", or just "<a><b><c>" without an icon,
 * cleaned for max, made in a (the title and description of every event).
 */
void	 embed_with_icon(struct earena *ar, struct estr *e, size_t max,
	     const char *icon, const char *a, const char *b, const char *c);
/* Sets *e to t, a string already clean (malloc'd: copied into a, freed). */
void	 embed_estr_take(struct earena *a, struct estr *e, char *t);
/* Like embed_text(), but whitespace-only (or NULL) text also becomes "—". */
char	*embed_clean_n(const char *s, size_t len, size_t max);
/* v in decimal, as printf's "%" PRId64 writes it; buf of 21 bytes or more. */
size_t	 embed_fmt_i64(char *buf, int64_t v);

/* embed-fields.c */
/*
 * Adds one field per member of obj in document order; a nested non-empty
 * object adds its members with the names joined ("Location Address").
 * prefix (plen bytes) is the joined name so far, NULL at the top.
 */
void	 embed_flatten(struct earena *a, struct collect *c, json_object *obj,
	     const char *prefix, size_t plen, int depth);

#endif
