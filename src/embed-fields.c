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

/* Words written in capitals rather than capitalised. */
static const char *const humanize_upper[] = {
	"id", "url", "api", "uuid", "ip",
};

/* Appends word w (n bytes) to out at *len, a space first unless at 0. */
static void
humanize_word(char *out, size_t *len, const char *w, size_t n)
{
	size_t	i, j;
	char	*o;

	if (n == 0)
		return;
	o = out + *len;
	if (*len != 0)
		*o++ = ' ';
	for (j = 0; j < sizeof humanize_upper / sizeof humanize_upper[0]; j++) {
		if (strlen(humanize_upper[j]) == n &&
		    strncasecmp(humanize_upper[j], w, n) == 0)
			break;
	}
	for (i = 0; i < n; i++) {
		if (j < sizeof humanize_upper / sizeof humanize_upper[0])
			o[i] = (char)toupper((unsigned char)w[i]);
		else if (i == 0)
			o[i] = (char)toupper((unsigned char)w[i]);
		else
			o[i] = w[i];
	}
	*len = (size_t)(o + n - out);
}

/*
 * Writes the humanized key (n bytes, NUL-terminated) to out, which has
 * room for 2 * n + 1 bytes, and returns its length (see embed_humanize()).
 */
static size_t	humanize_work(char *out, const char *key, size_t n);

#define HUMANIZE_SLOTS		128	/* per thread, direct-mapped */
#define HUMANIZE_KEY_MAX	32	/* longer keys are not cached */

static size_t
humanize_into(char *out, const char *key, size_t n)
{
	/*
	 * The same few keys come with every event of a type: each thread
	 * keeps the last HUMANIZE_SLOTS results (humanizing was ~2k
	 * instructions of a work W event, callgrind). A slot is chosen by an
	 * FNV-1a hash and checked byte for byte.
	 */
	static _Thread_local struct {
		size_t	n, len;
		char	key[HUMANIZE_KEY_MAX];
		char	out[2 * HUMANIZE_KEY_MAX + 1];
	} slot[HUMANIZE_SLOTS];
	uint32_t h = 2166136261u;
	size_t i, len;

	if (n == 0 || n > HUMANIZE_KEY_MAX)
		return humanize_work(out, key, n);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	i = h % HUMANIZE_SLOTS;
	if (slot[i].n == n && memcmp(slot[i].key, key, n) == 0) {
		memcpy(out, slot[i].out, slot[i].len + 1);
		return slot[i].len;
	}
	len = humanize_work(out, key, n);
	slot[i].n = n;
	slot[i].len = len;
	memcpy(slot[i].key, key, n);
	memcpy(slot[i].out, out, len + 1);
	return len;
}

static size_t
humanize_work(char *out, const char *key, size_t n)
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
value_text(json_object *v, char *num, size_t numsz, size_t *len)
{
	const char	*s;
	int64_t		 i;

	switch (json_object_get_type(v)) {
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

/* Adds one field; takes name (newly allocated, replaced or kept). */
static void
collect_add(struct collect *c, char *name, json_object *v)
{
	const char	*text;
	char		 num[32];
	size_t		 len = 0;

	c->total++;
	if (c->kept == c->max) {
		free(name);
		return;
	}
	if (v == NULL || json_object_is_type(v, json_type_null))
		text = "";
	else if (json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0)
		text = "";	/* empty values are "—" (SPEC section 4) */
	else if (json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 0)
		text = "";
	else
		text = value_text(v, num, sizeof num, &len);
	c->fields[c->kept].name = embed_clean_take(name, EMBED_MAX_FIELD_NAME);
	c->fields[c->kept].value = embed_clean_n(text, len,
	    EMBED_MAX_FIELD_VALUE);
	c->fields[c->kept].is_error = 0;
	c->kept++;
}

/* Whether embed_flatten() descends into v rather than showing it whole. */
static int
flatten_into(json_object *v, int depth)
{
	return v != NULL && json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) > 0 && depth < EMBED_FLATTEN_MAX;
}

/* The fields embed_flatten() would add for obj, counted only. */
static size_t
flatten_count(json_object *obj, int depth)
{
	size_t n = 0;

	json_object_object_foreach(obj, key, v) {
		(void)key;
		if (flatten_into(v, depth))
			n += flatten_count(v, depth + 1);
		else
			n++;
	}
	return n;
}

/*
 * Adds one field per member of obj in document order; a nested non-empty
 * object adds its members with the names joined ("Location Address").
 * prefix (plen bytes) is the joined name so far, NULL at the top.
 */
void
embed_flatten(struct collect *c, json_object *obj, const char *prefix,
    size_t plen, int depth)
{
	char	*name;
	size_t	 klen, hlen, len;

	json_object_object_foreach(obj, key, v) {
		if (c->kept == c->max) {
			/* Nothing more is shown: only the count matters. */
			c->total += flatten_into(v, depth) ?
			    flatten_count(v, depth + 1) : 1;
			continue;
		}
		klen = strlen(key);
		if (prefix != NULL) {
			name = xmalloc(plen + 1 + 2 * klen + 1);
			memcpy(name, prefix, plen);
			hlen = humanize_into(name + plen + 1, key, klen);
			if (hlen != 0) {
				name[plen] = ' ';
				len = plen + 1 + hlen;
			} else {
				name[plen] = '\0';
				len = plen;
			}
		} else {
			name = xmalloc(2 * klen + 1);
			len = humanize_into(name, key, klen);
		}
		if (flatten_into(v, depth)) {
			embed_flatten(c, v, name, len, depth + 1);
			free(name);
		} else
			collect_add(c, name, v);
	}
}
