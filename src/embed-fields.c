/*
 * embed-fields.c -- an event's data as the named fields of its embed: the
 * members in document order, nested objects flattened with their names
 * joined ("Location Address"), keys humanized ("machineId" -> "Machine
 * ID"), scalars written as json-c writes them. Only the first fields
 * that can be shown are made; the rest are counted (embed.c folds them
 * into "… and N more fields").
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "embed-int.h"
#include "util.h"

/*
 * Whether word w (n bytes) is written in capitals: id, url, api, uuid,
 * ip, in any case (ASCII only, as strncasecmp() in the C locale).
 */
static int
humanize_upper(const char *w, size_t n)
{
	char	l[4];
	size_t	i;

	if (n < 2 || n > 4)
		return 0;
	for (i = 0; i < n; i++)
		l[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + ('a' - 'A') :
		    w[i]);
	switch (n) {
	case 2:
		return (l[0] == 'i' && l[1] == 'd') || (l[0] == 'i' && l[1] == 'p');
	case 3:
		return memcmp(l, "url", 3) == 0 || memcmp(l, "api", 3) == 0;
	default:
		return memcmp(l, "uuid", 4) == 0;
	}
}

/* Appends word w (n bytes) to out at *len, a space first unless at 0. */
static void
humanize_word(char *out, size_t *len, const char *w, size_t n)
{
	size_t	i;
	char	*o;

	if (n == 0)
		return;
	o = out + *len;
	if (*len != 0)
		*o++ = ' ';
	if (humanize_upper(w, n)) {
		for (i = 0; i < n; i++)
			o[i] = (char)toupper((unsigned char)w[i]);
	} else {
		o[0] = (char)toupper((unsigned char)w[0]);
		memcpy(o + 1, w + 1, n - 1);
	}
	*len = (size_t)(o + n - out);
}

/*
 * Writes the humanized key (n bytes, NUL-terminated) to out, which has
 * room for 2 * n + 1 bytes, and returns its length (see embed_humanize()).
 */
static size_t
humanize_into(char *out, const char *key, size_t n)
{
	size_t		 i, start, len = 0;
	const char	*s = key;
	int		 sep, boundary;

#define IS_UP(c) ((c) >= 'A' && (c) <= 'Z')
#define IS_LO(c) ((c) >= 'a' && (c) <= 'z')
#define IS_DIG(c) ((c) >= '0' && (c) <= '9')
#define IS_SEP(c) ((c) == '_' || (c) == '-' || (c) == ' ' || (c) == '.')
	start = 0;
	for (i = 0; i <= n; i++) {
		sep = i == n || IS_SEP(s[i]);
		boundary = 0;
		if (!sep && i > start) {
			/* "machineId", "line2Text": lower or digit, then upper. */
			if (IS_UP(s[i]) && (IS_LO(s[i - 1]) || IS_DIG(s[i - 1])))
				boundary = 1;
			/*
			 * "HTTPServer": the last capital of a run starts the
			 * next word, unless it is a plural "s" ("IDs").
			 */
			if (IS_UP(s[i]) && IS_UP(s[i - 1]) && IS_LO(s[i + 1]) &&
			    !(s[i + 1] == 's' && !IS_LO(s[i + 2])))
				boundary = 1;
		}
		if (sep || boundary) {
			humanize_word(out, &len, s + start, i - start);
			start = sep ? i + 1 : i;
		}
	}
#undef IS_UP
#undef IS_LO
#undef IS_DIG
#undef IS_SEP
	out[len] = '\0';
	return len;
}

/*
 * humanize_into() with a per-thread memo: an event type's keys repeat in
 * every event. Direct-mapped on the length and the end bytes; a miss
 * humanizes and takes the slot.
 */
#define HUMANIZE_SLOTS	64
#define HUMANIZE_KEY	32
struct humanize_memo {
	size_t	n;		/* 0: empty */
	size_t	hlen;
	char	key[HUMANIZE_KEY];
	char	h[2 * HUMANIZE_KEY];
};

static size_t
humanize_memo(char *out, const char *key, size_t n)
{
	static _Thread_local struct humanize_memo	 memo[HUMANIZE_SLOTS];
	struct humanize_memo				*m;
	size_t						 hlen;

	if (n == 0 || n >= HUMANIZE_KEY)
		return humanize_into(out, key, n);
	m = &memo[(n * 31 + (unsigned char)key[0] +
	    (unsigned char)key[n - 1] * 7) % HUMANIZE_SLOTS];
	if (m->n == n && memcmp(m->key, key, n) == 0) {
		memcpy(out, m->h, m->hlen + 1);
		return m->hlen;
	}
	hlen = humanize_into(out, key, n);	/* at most 2n bytes */
	memcpy(m->key, key, n);
	memcpy(m->h, out, hlen + 1);
	m->n = n;
	m->hlen = hlen;
	return hlen;
}

/*
 * "companyName" -> "Company Name", "machineId" -> "Machine ID",
 * "machine_id" -> "Machine ID", "HTTPServer" -> "HTTP Server",
 * "machineIDs" -> "Machine IDs", "address2" -> "Address2". Words split at
 * "_", "-", " ", "." and at case changes; each gets a capital first
 * letter, the rest is kept; id, url, api, uuid and ip are written in
 * capitals. Only ASCII letters change. Newly allocated; caller frees.
 * Any thread.
 */
char *
embed_humanize(const char *key)
{
	size_t	 n = strlen(key);
	char	*out = xmalloc(2 * n + 1);

	humanize_into(out, key, n);
	return out;
}

/*
 * The text of a scalar as the embed shows it, as json-c writes it with
 * EMBED_JSON_FLAGS, and its length in *len; num (at least 24 bytes) holds
 * what is written here. A string's length is json-c's, never strlen():
 * "before\u0000after" is 12 bytes with a NUL inside, all shown (SPEC
 * section 2). Integers and booleans are written here (json-c would
 * allocate and cache a buffer inside each object); other types go
 * through json-c.
 */
static const char *
value_text(json_object *v, enum json_type t, char *num, size_t numsz,
    size_t *len)
{
	const char	*s;
	int64_t		 i;

	switch (t) {
	case json_type_string:
		*len = (size_t)json_object_get_string_len(v);
		return json_object_get_string(v);
	case json_type_boolean:
		s = json_object_get_boolean(v) ? "true" : "false";
		*len = strlen(s);
		return s;
	case json_type_int:
		/*
		 * json-c keeps values above INT64_MAX as unsigned; get_int64
		 * clamps those to INT64_MAX, so that one is left to json-c.
		 */
		i = json_object_get_int64(v);
		if (i != INT64_MAX && numsz > 20) {
			*len = embed_fmt_i64(num, i);
			return num;
		}
		break;
	default:
		break;
	}
	s = json_object_to_json_string_ext(v, EMBED_JSON_FLAGS);
	*len = strlen(s);
	return s;
}

/*
 * Adds one field named name (in the arena) with v's text; t is v's type
 * (json_type_null for NULL), asked once by the caller.
 */
static void
collect_add(struct earena *a, struct collect *c, const char *name,
    size_t nlen, json_object *v, enum json_type t)
{
	const char	*text;
	char		 num[32];
	size_t		 len = 0;
	int		 stable = 1;
	struct field	*f;

	c->total++;
	if (c->kept == c->max)
		return;
	if (t == json_type_null)
		text = "";
	else if (t == json_type_array && json_object_array_length(v) == 0)
		text = "";	/* empty values are "—" (SPEC section 4) */
	else if (t == json_type_object && json_object_object_length(v) == 0)
		text = "";
	else {
		text = value_text(v, t, num, sizeof num, &len);
		/* Only a json-c string is sure to outlive the layout. */
		stable = t == json_type_string || t == json_type_boolean;
	}
	f = &c->fields[c->kept];
	embed_estr(a, &f->name, name, nlen, EMBED_MAX_FIELD_NAME, 1);
	embed_estr(a, &f->value, text, len, EMBED_MAX_FIELD_VALUE, stable);
	f->inline_below = EMBED_INLINE_BELOW;
	c->kept++;
}

/*
 * Whether embed_flatten() descends into v (of type t) rather than showing
 * it whole.
 */
static int
flatten_into(json_object *v, enum json_type t, int depth)
{
	return t == json_type_object && json_object_object_length(v) > 0 &&
	    depth < EMBED_FLATTEN_MAX;
}

/* The fields embed_flatten() would add for obj, counted only. */
static size_t
flatten_count(json_object *obj, int depth)
{
	size_t n = 0;

	json_object_object_foreach(obj, key, v) {
		(void)key;
		if (flatten_into(v, json_object_get_type(v), depth))
			n += flatten_count(v, depth + 1);
		else
			n++;
	}
	return n;
}

/*
 * Adds one field per member of obj in document order; a nested non-empty
 * object adds its members with the names joined ("Location Address").
 * prefix (plen bytes) is the joined name so far, NULL at the top. Names
 * are made in the arena a.
 */
void
embed_flatten(struct earena *a, struct collect *c, json_object *obj,
    const char *prefix, size_t plen, int depth)
{
	char		*name;
	size_t		 klen, hlen, len;
	enum json_type	 t;

	json_object_object_foreach(obj, key, v) {
		/* NULL (JSON null) is json_type_null. */
		t = json_object_get_type(v);
		if (c->kept == c->max) {
			/* Nothing more is shown: only the count matters. */
			c->total += flatten_into(v, t, depth) ?
			    flatten_count(v, depth + 1) : 1;
			continue;
		}
		klen = strlen(key);
		if (prefix != NULL) {
			name = earena_alloc(a, plen + 1 + 2 * klen + 1);
			memcpy(name, prefix, plen);
			hlen = humanize_memo(name + plen + 1, key, klen);
			if (hlen != 0) {
				name[plen] = ' ';
				len = plen + 1 + hlen;
			} else {
				name[plen] = '\0';
				len = plen;
			}
		} else {
			name = earena_alloc(a, 2 * klen + 1);
			len = humanize_memo(name, key, klen);
		}
		if (flatten_into(v, t, depth))
			embed_flatten(a, c, v, name, len, depth + 1);
		else
			collect_add(a, c, name, len, v, t);
	}
}
