/*
 * event-fast.c -- the common case of event parsing without json-c's
 * tokener.
 *
 * Design: json_tokener_parse_ex() reads one character at a time through
 * a state machine, copies every string through a printbuf and sets up a
 * C locale (newlocale(), duplocale(), uselocale()) on each call: about
 * 11,000 instructions for a 300-byte event, half the cost of an event.
 * This reader takes plain JSON (RFC 8259 with no control character in a
 * string, no \u escape, no "-0", no exponent, integers of at most 18
 * digits, at most FAST_DEPTH levels) and builds the very tree json-c would build, with
 * json-c's own constructors: json_object_object_add() (a repeated key
 * replaces the value in place, as the tokener does), strings with their
 * length, integers as int64, other numbers as json_object_new_double_s()
 * with their text (json-c keeps a double's text, so "2.50" stays "2.50").
 * Keys are not copied one by one: they share one block that the event
 * frees after the tree (JSON_C_OBJECT_ADD_CONSTANT_KEY).
 * Anything else, valid or not, returns NULL and event.c hands the bytes
 * to json-c, whose verdict and error text stand: this is a shortcut,
 * never a second opinion. tests/check_event.c compares the two trees
 * over a corpus, edge cases included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

#define FAST_DEPTH	32	/* deeper: json-c decides (its limit is 64) */
#define FAST_STR_MAX	4096	/* longer escaped strings: json-c decides */

struct fast {
	const char	*p;
	const char	*end;
	int		 depth;
	char		*keys;	/* every key, NUL-terminated, one block */
	size_t		 nkeys;	/* bytes used in keys */
	size_t		 keysz;
	char		 tmp[FAST_STR_MAX];	/* decoded escaped strings, keys */
};

#define FAST_SEEN	16	/* keys of an object checked for repeats */

static json_object *fast_value(struct fast *f, int *ok);

/*
 * Notes the root's member key = v when event_parse() wants it: the last
 * of a repeated key wins, as the value json-c keeps.
 */
static void
fast_root_member(struct event_fast_root *r, const char *key, json_object *v)
{
	json_object	**slot;
	unsigned	  bit;

	switch (key[0]) {
	case 'i':
		slot = &r->id;
		bit = EVENT_FAST_ID;
		if (strcmp(key, "id") != 0)
			return;
		break;
	case 't':
		if (strcmp(key, "type") == 0) {
			slot = &r->type;
			bit = EVENT_FAST_TYPE;
		} else if (strcmp(key, "timestamp") == 0) {
			slot = &r->timestamp;
			bit = EVENT_FAST_TIMESTAMP;
		} else
			return;
		break;
	case 'd':
		slot = &r->data;
		bit = EVENT_FAST_DATA;
		if (strcmp(key, "data") != 0)
			return;
		break;
	default:
		return;
	}
	*slot = v;
	r->found |= bit;
}

/*
 * Whether any of the 8 bytes of w ends a plain run of a string: '"',
 * '\\' or below 0x20 (the "has a byte less than n" and "has a zero
 * byte" tests, exact for "any").
 */
static uint64_t
word_special(uint64_t w)
{
	const uint64_t	ones = UINT64_C(0x0101010101010101);
	const uint64_t	highs = UINT64_C(0x8080808080808080);
	uint64_t	q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
	    ((bs - ones) & ~bs)) & highs;
}

/*
 * Bytes of w (read from memory) before the first one word_special()
 * marks, m being its result (non-zero): the lowest mark is always a real
 * one (a false mark needs a borrow from a real one below it). Without
 * little-endian and a count-trailing-zeros builtin: 0, and the byte loop
 * does the rest.
 */
static size_t
word_skip(uint64_t m)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	(void)m;
	return 0;
#endif
}

static void
fast_ws(struct fast *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' ||
	    *f->p == '\r' || *f->p == '\t'))
		f->p++;
}

static int fast_escaped(struct fast *, const char *, const char **, size_t *);

/*
 * A string after its opening quote: *s and *len point at its text, in
 * the input when it has no escape, else decoded into f->tmp. 0, or -1 to
 * leave it to json-c. Inline: nearly every string is plain, and the
 * call cost a third of the scan (callgrind).
 */
static inline int
fast_string(struct fast *f, const char **s, size_t *len)
{
	const char	*start = f->p;
	unsigned char	 c;

	/* Eight bytes at a time through the plain part, to its end. */
	while (f->end - f->p >= 8) {
		uint64_t w, m;

		memcpy(&w, f->p, sizeof w);
		m = word_special(w);
		if (m != 0) {
			f->p += word_skip(m);
			break;
		}
		f->p += sizeof w;
	}
	while (f->p < f->end) {
		c = (unsigned char)*f->p;
		if (c == '"') {
			*s = start;
			*len = (size_t)(f->p - start);
			f->p++;
			return 0;
		}
		if (c < 0x20 || c == '\\')
			break;
		f->p++;
	}
	return fast_escaped(f, start, s, len);
}

/*
 * fast_string() from the first byte that is not plain: an escape is
 * decoded, with the whole string, into f->tmp; anything else is -1.
 */
static int
fast_escaped(struct fast *f, const char *start, const char **s, size_t *len)
{
	size_t		 n;
	unsigned char	 c;

	if (f->p >= f->end || (unsigned char)*f->p < 0x20)
		return -1;
	/* Escapes: decode the whole string into tmp. */
	if ((size_t)(f->p - start) >= sizeof f->tmp)
		return -1;
	n = (size_t)(f->p - start);
	memcpy(f->tmp, start, n);
	while (f->p < f->end) {
		c = (unsigned char)*f->p++;
		if (c == '"') {
			*s = f->tmp;
			*len = n;
			return 0;
		}
		if (c < 0x20 || n + 1 >= sizeof f->tmp)
			return -1;
		if (c == '\\') {
			if (f->p >= f->end)
				return -1;
			switch (*f->p++) {
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case '/':
				c = '/';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			default:
				return -1;	/* \u and anything else */
			}
		}
		f->tmp[n++] = (char)c;
	}
	return -1;
}

/*
 * The double strtod() gives for the plain decimal [start, end) ("-12.50":
 * digits, one '.', no exponent). Up to 15 significant digits and 22
 * decimals, the digits as an integer m and 10^k are exact doubles and
 * one IEEE division rounds m / 10^k correctly, as strtod does (Clinger's
 * fast path); anything longer goes to strtod(). strtod() cost 650
 * instructions per number (callgrind), this about 40.
 */
static double
fast_double(const char *start, const char *end)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
		1e21, 1e22
	};
	const char *p = start;
	char text[64];
	uint64_t m = 0;
	int neg = 0, digits = 0, frac = -1;
	size_t n;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end; p++) {
		if (*p == '.') {
			frac = 0;
			continue;
		}
		if (m != 0 || *p != '0')	/* leading zeros are not significant */
			digits++;
		m = m * 10 + (uint64_t)(*p - '0');
		if (frac >= 0)
			frac++;
		if (digits > 15)
			goto slow;
	}
	if (frac < 0)
		frac = 0;
	if (frac > 22)
		goto slow;
	return neg ? -((double)m / pow10[frac]) : (double)m / pow10[frac];
slow:
	n = (size_t)(end - start);
	if (n >= sizeof text)
		n = sizeof text - 1;	/* fast_number() allows no longer */
	memcpy(text, start, n);
	text[n] = '\0';
	return strtod(text, NULL);
}

/* A number in plain JSON form; NULL to leave it to json-c. */
static json_object *
fast_number(struct fast *f)
{
	const char	*start = f->p, *q = f->p;
	char		 text[64];
	int		 frac = 0, digits = 0;
	int64_t		 v = 0;
	size_t		 n;

	if (q < f->end && *q == '-')
		q++;
	if (q >= f->end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0') {
		q++;
		digits = 1;
		if (q < f->end && *q >= '0' && *q <= '9')
			return NULL;
	} else {
		/* 18 digits fit in an int64_t; the 19th is json-c's. */
		for (; q < f->end && *q >= '0' && *q <= '9'; q++) {
			if (++digits > 18)
				return NULL;
			v = v * 10 + (*q - '0');
		}
	}
	if (q < f->end && *q == '.') {
		frac = 1;
		q++;
		if (q >= f->end || *q < '0' || *q > '9')
			return NULL;
		while (q < f->end && *q >= '0' && *q <= '9')
			q++;
	}
	/* Exponents (1e400 overflows) are json-c's. */
	if (q < f->end && (*q == 'e' || *q == 'E'))
		return NULL;
	n = (size_t)(q - start);
	f->p = q;
	if (!frac) {
		if (*start == '-') {
			if (v == 0)
				return NULL;	/* "-0": json-c's own rules */
			v = -v;
		}
		return json_object_new_int64(v);
	}
	if (n >= sizeof text)
		return NULL;
	memcpy(text, start, n);
	text[n] = '\0';
	return json_object_new_double_s(fast_double(start, q), text);
}

/*
 * A key after its opening quote, copied NUL-terminated into f->keys, or
 * NULL to leave the document to json-c. The keys go into one block that
 * the event frees after the tree (JSON_C_OBJECT_ADD_CONSTANT_KEY): no
 * strdup and free per key. A key takes klen + 1 bytes of a block of the
 * input's size, and at least klen + 3 of the input.
 */
static char *
fast_key(struct fast *f)
{
	const char	*k;
	char		*key;
	size_t		 klen;

	/*
	 * No NUL can be in k: fast_string() leaves raw control bytes and
	 * \u escapes (\u0000) to json-c.
	 */
	if (fast_string(f, &k, &klen) == -1)
		return NULL;
	if (f->keys == NULL) {
		f->keysz = (size_t)(f->end - f->p) + klen + 3;
		f->keys = malloc(f->keysz);
		if (f->keys == NULL)
			return NULL;
	}
	if (f->nkeys + klen + 1 > f->keysz)
		return NULL;
	key = f->keys + f->nkeys;
	memcpy(key, k, klen);
	key[klen] = '\0';
	f->nkeys += klen + 1;
	return key;
}

/*
 * One member, "key": value, from its opening quote on; -1 when it is not
 * one the fast path takes.
 */
static int
fast_member(struct fast *f, char **key, json_object **v)
{
	int	 ok;

	if (f->p >= f->end || *f->p != '"')
		return -1;
	f->p++;
	if ((*key = fast_key(f)) == NULL)
		return -1;
	fast_ws(f);
	if (f->p >= f->end || *f->p != ':')
		return -1;
	f->p++;
	*v = fast_value(f, &ok);
	return ok ? 0 : -1;
}

/*
 * After a member or an element: 1 past a ',', 0 past close (the end of
 * the object or array), -1 on anything else.
 */
static int
fast_next(struct fast *f, char close)
{
	fast_ws(f);
	if (f->p < f->end && *f->p == ',') {
		f->p++;
		fast_ws(f);
		return 1;
	}
	if (f->p < f->end && *f->p == close) {
		f->p++;
		return 0;
	}
	return -1;
}

/* An object after its '{'; NULL to leave it to json-c. */
static json_object *
fast_object(struct fast *f)
{
	json_object	*o, *v;
	const char	*seen[FAST_SEEN];
	char		*key;
	size_t		 nseen = 0, i;
	int		 more, opts;

	o = json_object_new_object();
	fast_ws(f);
	if (f->p < f->end && *f->p == '}') {
		f->p++;
		return o;
	}
	for (;;) {
		if (fast_member(f, &key, &v) == -1)
			goto fail;
		/*
		 * A key that is new in this object spares json-c its
		 * lookup; a repeated one (or past FAST_SEEN keys) takes
		 * json-c's way, which replaces the value in place.
		 */
		opts = JSON_C_OBJECT_ADD_CONSTANT_KEY;
		if (nseen < FAST_SEEN) {
			for (i = 0; i < nseen && (seen[i][0] != key[0] ||
			    strcmp(seen[i], key) != 0); i++)
				;
			if (i == nseen) {
				opts |= JSON_C_OBJECT_ADD_KEY_IS_NEW;
				seen[nseen++] = key;
			}
		}
		json_object_object_add_ex(o, key, v, opts);
		if ((more = fast_next(f, '}')) == 1)
			continue;
		if (more == 0)
			return o;
		goto fail;
	}
fail:
	json_object_put(o);
	return NULL;
}

/* An array after its '['; NULL to leave it to json-c. */
static json_object *
fast_array(struct fast *f)
{
	json_object	*a, *v;
	int		 ok, more;

	a = json_object_new_array();
	fast_ws(f);
	if (f->p < f->end && *f->p == ']') {
		f->p++;
		return a;
	}
	for (;;) {
		v = fast_value(f, &ok);
		if (!ok)
			goto fail;
		json_object_array_add(a, v);
		if ((more = fast_next(f, ']')) == 1)
			continue;
		if (more == 0)
			return a;
		goto fail;
	}
fail:
	json_object_put(a);
	return NULL;
}

/* Whether the input continues with the literal word (and moves past it). */
static int
fast_word(struct fast *f, const char *word, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, word, n) != 0)
		return 0;
	f->p += n;
	return 1;
}

/*
 * One value after optional whitespace. *ok is 1 with the value (NULL is
 * JSON null), 0 to leave the document to json-c.
 */
static json_object *
fast_value(struct fast *f, int *ok)
{
	json_object	*v = NULL;
	const char	*s;
	size_t		 len;

	*ok = 0;
	fast_ws(f);
	if (f->p >= f->end)
		return NULL;
	switch (*f->p) {
	case '{':
	case '[':
		if (++f->depth > FAST_DEPTH)
			return NULL;
		v = *f->p++ == '{' ? fast_object(f) : fast_array(f);
		f->depth--;
		break;
	case '"':
		f->p++;
		if (fast_string(f, &s, &len) == -1)
			return NULL;
		v = json_object_new_string_len(s, (int)len);
		break;
	case 't':
		if (fast_word(f, "true", 4))
			v = json_object_new_boolean(1);
		break;
	case 'f':
		if (fast_word(f, "false", 5))
			v = json_object_new_boolean(0);
		break;
	case 'n':
		if (fast_word(f, "null", 4)) {
			*ok = 1;
			return NULL;
		}
		break;
	default:
		v = fast_number(f);
		break;
	}
	*ok = v != NULL;
	return v;
}

/* Drops n members' values. */
static void
members_put(struct event_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_object_put(m[i].v);
}

/*
 * Starts f over the len bytes at buf, depth deep: 1 when, past any white
 * space, a '{' opens a document, else 0 (json-c decides).
 */
static int
fast_start(struct fast *f, const char *buf, size_t len, int depth)
{
	f->p = buf;
	f->end = buf + len;
	f->depth = depth;
	f->keys = NULL;
	f->nkeys = f->keysz = 0;
	fast_ws(f);
	return f->p < f->end && *f->p == '{';
}

/* Whether only white space follows the document. */
static int
fast_at_end(struct fast *f)
{
	fast_ws(f);
	return f->p == f->end;
}

/*
 * The envelope's members after its '{' (see event_fast_parse_members()):
 * 1, 0 or -1 as it returns; on 0 and -1 *n is 0 and nothing is kept.
 */
static int
fast_members(struct fast *f, struct event_member *m, size_t *n,
    struct event_fast_root *r)
{
	json_object	*v;
	char		*key;
	size_t		 i;
	int		 more, rc = 0;

	*n = 0;
	fast_ws(f);
	if (f->p < f->end && *f->p == '}')
		return -1;	/* no member: not an envelope, the tree says why */
	for (;;) {
		if (fast_member(f, &key, &v) == -1)
			goto fail;
		/* A repeated key keeps its place and takes the last value. */
		for (i = 0; i < *n && (m[i].key[0] != key[0] ||
		    strcmp(m[i].key, key) != 0); i++)
			;
		if (i < *n) {
			json_object_put(m[i].v);
			m[i].v = v;
		} else if (*n == EVENT_MEMBERS) {
			json_object_put(v);
			rc = -1;
			goto fail;
		} else {
			m[*n].key = key;
			m[(*n)++].v = v;
		}
		fast_root_member(r, key, v);
		if ((more = fast_next(f, '}')) == 1)
			continue;
		if (more == 0)
			return 1;
		goto fail;
	}
fail:
	members_put(m, *n);
	*n = 0;
	return rc;
}

/*
 * The envelope at buf as members, without a root object (event.h). The
 * caller has checked the bytes (no NUL, valid UTF-8). *keys as for
 * event_fast_parse(): free it after the members' values. Any thread.
 */
int
event_fast_parse_members(const char *buf, size_t len, char **keys,
    struct event_member *m, size_t *n, struct event_fast_root *r)
{
	struct fast	 f;
	int		 rc;

	*keys = NULL;
	*n = 0;
	memset(r, 0, sizeof *r);
	/* Depth 1: inside the root, as fast_value() counts. */
	if (!fast_start(&f, buf, len, 1))
		return 0;
	f.p++;
	rc = fast_members(&f, m, n, r);
	if (rc == 1) {
		if (fast_at_end(&f)) {
			*keys = f.keys;
			return 1;
		}
		members_put(m, *n);
		*n = 0;
		rc = 0;
	}
	free(f.keys);
	memset(r, 0, sizeof *r);
	return rc;
}

/*
 * The tree json-c would give for the len bytes at buf when they are a
 * plain JSON object (see the file comment), else NULL: then only json-c
 * may say whether and why they are invalid. The caller has checked the
 * bytes (no NUL, valid UTF-8). The tree's keys are in *keys, which the
 * caller frees after json_object_put() of the root (and which no part
 * of the tree may outlive); NULL when there are none. Any thread.
 */
json_object *
event_fast_parse(const char *buf, size_t len, char **keys)
{
	struct fast	 f;
	json_object	*root;
	int		 ok;

	*keys = NULL;
	if (!fast_start(&f, buf, len, 0))
		return NULL;
	root = fast_value(&f, &ok);
	if (root != NULL && fast_at_end(&f)) {
		*keys = f.keys;
		return root;
	}
	json_object_put(root);
	free(f.keys);
	return NULL;
}
