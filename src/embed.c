/*
 * embed.c -- Discord embeds for processed events and digests (SPEC section
 * 4), and the webhook payload around them.
 *
 * Design: an embed is first laid out as plain strings (title, description,
 * footer, and a list of name/value fields), then every Discord limit is
 * applied to those strings, and only then is the output made, so the
 * character count returned is exactly what it holds. An event's embed
 * (embed_build_json(), the workers' hot path) and a synthetic one
 * (embed_write(): digests, grouped failures, --test-discord) share the
 * layout, the limits and the writer: compact JSON written straight from
 * the layout into one growing buffer, no json-c tree built, serialized
 * and freed per embed. The writer escapes '"', '\\', the short escapes
 * \b \f \n \r \t and other bytes below 0x20 as \u00xx (lowercase); '/'
 * and non-ASCII go as they are (a cleaned string has no control
 * character but tab and newline anyway). tests/check_embed.c parses its
 * output with json-c as an oracle.
 *
 * The strings of an embed (embed_text(), the cleaning and the UTF-16
 * counts) are embed-text.c's; an event's data as named fields (flattening,
 * humanized names) is embed-fields.c's; embed-int.h joins the three.
 *
 * Field count rule (at most 25): the data fields come first in document
 * order, then "Error" (failures only), then "Event ID"; those tail fields
 * are always kept. With D data fields and T tail fields (1 or 2), when
 * D + T > 25 the first 24 - T data fields are shown, then one field named
 * "…" with value "… and N more fields" (N = D - (24 - T), the data fields
 * not shown), then the tail: 25 fields in all.
 *
 * Total rule (at most 6000 over title, description, field names and
 * values, footer text): the longest field values are shortened first, all
 * to one common cap (the largest that fits), so one long value does not
 * wipe out the short ones; if values of one unit each still do not
 * fit, field names get the same treatment, then the description, then the
 * title.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "embed.h"
#include "embed-int.h"
#include "utf8.h"
#include "util.h"

#define EMBED_USERNAME_MAX	80	/* Discord's webhook username limit */

struct layout {
	struct estr	 title;
	struct estr	 description;	/* s NULL: none */
	struct estr	 footer;	/* s NULL: none */
	struct field	 fields[EMBED_MAX_FIELDS];
	size_t		 nfields;
	struct earena	 arena;		/* every string not borrowed */
};

/*
 * The layout's size as Discord counts it: title, description, footer
 * text, field names and values, in UTF-16 units (SPEC section 4).
 */
static size_t
layout_chars(const struct layout *l)
{
	size_t i, n = 0;

	n += l->title.units + l->description.units + l->footer.units;
	for (i = 0; i < l->nfields; i++)
		n += l->fields[i].name.units + l->fields[i].value.units;
	return n;
}

/*
 * Shortens the strings *s[0..n) to one common cap, the largest that
 * takes at least excess UTF-16 units off them (never below one unit). A
 * string cut to the cap may hold one unit less (a surrogate pair is never
 * split), which only removes more. Returns how many units were removed.
 */
static size_t
shrink_common(struct earena *a, struct estr *s[], size_t n, size_t excess)
{
	size_t	 lens[2 * EMBED_MAX_FIELDS + 2], i, lo, hi, cap, cut, removed;

	if (n == 0)
		return 0;
	hi = 1;
	for (i = 0; i < n; i++) {
		lens[i] = s[i]->units;
		if (lens[i] > hi)
			hi = lens[i];
	}
	/* Largest cap in [1, hi] whose removal is >= excess; else 1. */
	lo = 1;
	cap = 1;
	while (lo <= hi) {
		size_t mid = lo + (hi - lo) / 2;

		cut = 0;
		for (i = 0; i < n; i++)
			cut += lens[i] > mid ? lens[i] - mid : 0;
		if (cut >= excess) {
			cap = mid;
			lo = mid + 1;
		} else
			hi = mid - 1;
	}
	removed = 0;
	for (i = 0; i < n; i++) {
		if (lens[i] <= cap)
			continue;
		embed_estr_take(a, s[i], embed_text(s[i]->s, s[i]->len, cap));
		removed += lens[i] - s[i]->units;
	}
	return removed;
}

/* Applies EMBED_MAX_TOTAL (see the file comment); returns the count. */
static size_t
layout_fit(struct layout *l)
{
	struct estr	*s[EMBED_MAX_FIELDS + 1];
	size_t		 chars, i, step;

	for (step = 0; step < 4; step++) {
		chars = layout_chars(l);
		if (chars <= EMBED_MAX_TOTAL)
			return chars;
		switch (step) {
		case 0:
			for (i = 0; i < l->nfields; i++)
				s[i] = &l->fields[i].value;
			shrink_common(&l->arena, s, l->nfields,
			    chars - EMBED_MAX_TOTAL);
			break;
		case 1:
			for (i = 0; i < l->nfields; i++)
				s[i] = &l->fields[i].name;
			shrink_common(&l->arena, s, l->nfields,
			    chars - EMBED_MAX_TOTAL);
			break;
		case 2:
			if (l->description.s != NULL) {
				s[0] = &l->description;
				shrink_common(&l->arena, s, 1,
				    chars - EMBED_MAX_TOTAL);
			}
			break;
		case 3:
			s[0] = &l->title;
			shrink_common(&l->arena, s, 1, chars - EMBED_MAX_TOTAL);
			break;
		}
	}
	return layout_chars(l);
}

/* An empty layout, its arena ready. */
static void
layout_init(struct layout *l)
{
	/* Fields are read only below nfields: not 2 kB of zeros each. */
	memset(&l->title, 0, sizeof l->title);
	memset(&l->description, 0, sizeof l->description);
	memset(&l->footer, 0, sizeof l->footer);
	l->nfields = 0;
	earena_init(&l->arena);
}

/* Frees the strings of a layout. */
static void
layout_free(struct layout *l)
{
	earena_free(&l->arena);
}

/* Whether a field sits beside others (its value once cut to fit). */
static int
field_inline(const struct field *f)
{
	return f->value.cps < f->inline_below;
}

/* A growing output buffer for the JSON writer, always NUL-terminated. */
struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void jbuf_grow(struct jbuf *b, size_t n);

/* Makes room for n more bytes and the NUL. */
static inline void
jbuf_reserve(struct jbuf *b, size_t n)
{
	if (b->len + n + 1 > b->cap)
		jbuf_grow(b, n);
}

static void
jbuf_grow(struct jbuf *b, size_t n)
{
	size_t cap;

	cap = b->cap != 0 ? b->cap : 256;
	while (b->len + n + 1 > cap)
		cap *= 2;
	/* The first block by malloc: jemalloc's realloc(NULL) costs more. */
	b->p = b->p != NULL ? xrealloc(b->p, cap) : xmalloc(cap);
	b->cap = cap;
}

static inline void
jbuf_add(struct jbuf *b, const char *s, size_t n)
{
	jbuf_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

#define JBUF_LIT(b, lit) jbuf_add((b), (lit), sizeof (lit) - 1)

/*
 * Whether any byte of the 8 in w needs escaping: below 0x20, '"' or '\\'
 * (the classic "has a zero byte" and "has a byte less than n" tests,
 * exact for "any").
 */
static int
word_needs_escape(uint64_t w)
{
	const uint64_t	ones = UINT64_C(0x0101010101010101);
	const uint64_t	highs = UINT64_C(0x8080808080808080);
	uint64_t	q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
	    ((bs - ones) & ~bs)) & highs ? 1 : 0;
}

/*
 * Appends s as a JSON string, escaped as json-c's json_escape_str() does
 * with JSON_C_TO_STRING_NOSLASHESCAPE: '"' and '\\' and the control
 * characters with a short form get it, the other bytes below 0x20 become
 * \u00xx (lowercase hex), everything else (DEL, '/', UTF-8) is copied.
 * Clean runs are copied eight bytes at a time.
 */
static void
jbuf_string(struct jbuf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i = 0;
	unsigned char		 c;
	uint64_t		 w;
	char			*o;

	jbuf_reserve(b, len + 2);
	o = b->p + b->len;
	*o++ = '"';
	while (i < len) {
		while (len - i >= sizeof w) {
			memcpy(&w, s + i, sizeof w);
			if (word_needs_escape(w))
				break;
			memcpy(o, &w, sizeof w);
			o += sizeof w;
			i += sizeof w;
		}
		if (i == len)
			break;
		c = (unsigned char)s[i++];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		/* Room for the longest escape, the rest and the quote. */
		b->len = (size_t)(o - b->p);
		jbuf_reserve(b, 6 + (len - i) + 1);
		o = b->p + b->len;
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = (char)c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
			break;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

/* A layout string: copied when embed_estr() found nothing to escape. */
static void
jbuf_estr(struct jbuf *b, const struct estr *e)
{
	char *o;

	if (!e->plain) {
		jbuf_string(b, e->s, e->len);
		return;
	}
	jbuf_reserve(b, e->len + 2);
	o = b->p + b->len;
	*o++ = '"';
	memcpy(o, e->s, e->len);
	o += e->len;
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

#define JBUF_ESTR(b, e) jbuf_estr((b), &(e))

/*
 * Appends color in decimal. An embed has one of a few colors: each thread
 * keeps the text of the last one (embed_fmt_i64() divides per digit).
 */
static void
jbuf_color(struct jbuf *b, int color)
{
	static _Thread_local int	 last;
	static _Thread_local size_t	 lastlen;	/* 0: none yet */
	static _Thread_local char	 text[24];

	if (lastlen == 0 || color != last) {
		lastlen = embed_fmt_i64(text, color);
		last = color;
	}
	jbuf_add(b, text, lastlen);
}

/*
 * Writes a fitted layout as compact JSON, frees the strings and returns
 * the text (caller frees).
 */
static char *
layout_write(struct layout *l, int color, time_t t)
{
	struct jbuf	 b = { NULL, 0, 0 };
	char		 ts[32];
	size_t		 i, hint;

	/* One allocation in the common case: the strings plus the syntax. */
	hint = 160 + l->title.len + l->description.len + l->footer.len;
	for (i = 0; i < l->nfields; i++)
		hint += 48 + l->fields[i].name.len + l->fields[i].value.len;
	jbuf_reserve(&b, hint);

	JBUF_LIT(&b, "{\"title\":");
	JBUF_ESTR(&b, l->title);
	if (l->description.s != NULL) {
		JBUF_LIT(&b, ",\"description\":");
		JBUF_ESTR(&b, l->description);
	}
	JBUF_LIT(&b, ",\"color\":");
	jbuf_color(&b, color);
	JBUF_LIT(&b, ",\"fields\":[");
	for (i = 0; i < l->nfields; i++) {
		if (i > 0)
			JBUF_LIT(&b, ",");
		JBUF_LIT(&b, "{\"name\":");
		JBUF_ESTR(&b, l->fields[i].name);
		JBUF_LIT(&b, ",\"value\":");
		JBUF_ESTR(&b, l->fields[i].value);
		if (field_inline(&l->fields[i]))
			JBUF_LIT(&b, ",\"inline\":true}");
		else
			JBUF_LIT(&b, ",\"inline\":false}");
	}
	JBUF_LIT(&b, "]");
	if (l->footer.s != NULL) {
		JBUF_LIT(&b, ",\"footer\":{\"text\":");
		JBUF_ESTR(&b, l->footer);
		JBUF_LIT(&b, "}");
	}
	/* Digits, '-', ':', 'T' and 'Z': nothing to escape. */
	embed_timestamp(t, ts, sizeof ts);
	JBUF_LIT(&b, ",\"timestamp\":\"");
	jbuf_add(&b, ts, strlen(ts));
	JBUF_LIT(&b, "\"}");
	layout_free(l);
	return b.p;
}

/* Sets *e to s (a NUL-terminated string), cleaned for max. */
static void
clean_str(struct earena *a, struct estr *e, const char *s, size_t max,
    int stable)
{
	embed_estr(a, e, s, s != NULL ? strlen(s) : 0, max, stable);
}

/*
 * clean_str() for a constant string (stable, borrowed): the same for
 * every event, so each thread counts it once. *kept is the caller's
 * thread-local copy, kept->s NULL until made.
 */
static void
const_str(struct earena *a, struct estr *e, struct estr *kept, const char *s,
    size_t max)
{
	if (kept->s != s) {
		clean_str(a, e, s, max, 1);
		if (e->s != s)
			return;	/* not kept as it is (cannot happen) */
		*kept = *e;
	}
	*e = *kept;
}

/*
 * Appends the field that stands for n fields not shown: "…", "… and N
 * more fields" (SPEC wording, even for one).
 */
static void
layout_more(struct layout *l, size_t n)
{
	struct field	*f = &l->fields[l->nfields++];
	char		 more[64];

	clean_str(&l->arena, &f->name, EMBED_ELLIPSIS, EMBED_MAX_FIELD_NAME, 1);
	snprintf(more, sizeof more, "… and %zu more fields", n);
	clean_str(&l->arena, &f->value, more, EMBED_MAX_FIELD_VALUE, 0);
	f->inline_below = EMBED_INLINE_BELOW;
}

/*
 * Lays out one event embed (SPEC section 4) with every limit applied;
 * returns its Discord character count. layout_write() frees l's strings.
 */
static size_t
layout_event(struct layout *l, const struct embed_event *in)
{
	struct field	 tail[2], fold[EMBED_MAX_FIELDS];
	struct collect	 c;
	struct earena	*a = &l->arena;
	const char	*type = in->type != NULL ? in->type : "invalid";
	const char	*verb = in->success ? "processed" : "failed";
	size_t		 ntail = 0, keep, i;
	static _Thread_local struct estr kfoot[2], kerror, kid;

	layout_init(l);
	embed_with_icon(a, &l->title, EMBED_MAX_TITLE, in->icon, type, " event ",
	    verb);
	embed_with_icon(a, &l->description, EMBED_MAX_DESC, in->icon,
	    in->title != NULL ? in->title : type, "", "");
	const_str(a, &l->footer, &kfoot[in->success != 0], in->success ?
	    "✅ Successfully processed" : "❌ Processing failed",
	    EMBED_MAX_FOOTER);

	/* in's strings outlive the layout: borrowed when clean. */
	if (!in->success) {
		const_str(a, &tail[ntail].name, &kerror, "Error",
		    EMBED_MAX_FIELD_NAME);
		clean_str(a, &tail[ntail].value, in->error,
		    EMBED_MAX_FIELD_VALUE, 1);
		tail[ntail].inline_below = 0;	/* the error never sits inline */
		ntail++;
	}
	const_str(a, &tail[ntail].name, &kid, "Event ID", EMBED_MAX_FIELD_NAME);
	clean_str(a, &tail[ntail].value, in->event_id, EMBED_MAX_FIELD_VALUE, 1);
	tail[ntail].inline_below = EMBED_INLINE_BELOW;
	ntail++;

	memset(&c, 0, sizeof c);
	c.fields = fold;
	c.max = EMBED_MAX_FIELDS - ntail;
	if (in->data != NULL && json_object_is_type(in->data, json_type_object))
		embed_flatten(a, &c, in->data, NULL, 0, 0);

	if (c.total + ntail <= EMBED_MAX_FIELDS)
		keep = c.total;
	else
		keep = EMBED_MAX_FIELDS - 1 - ntail;
	for (i = 0; i < c.kept && i < keep; i++)
		l->fields[l->nfields++] = fold[i];
	if (keep < c.total)
		layout_more(l, c.total - keep);
	for (i = 0; i < ntail; i++)
		l->fields[l->nfields++] = tail[i];

	return layout_fit(l);
}

/*
 * Lays out a synthetic embed (struct embed_spec) under the same limits;
 * returns its Discord character count. The spec's strings outlive the
 * layout (it is written before embed_write() returns): borrowed when
 * clean.
 */
static size_t
layout_spec(struct layout *l, const struct embed_spec *in)
{
	struct earena	*a = &l->arena;
	size_t		 keep, i;

	layout_init(l);
	clean_str(a, &l->title, in->title, EMBED_MAX_TITLE, 1);
	if (in->description != NULL)
		clean_str(a, &l->description, in->description, EMBED_MAX_DESC, 1);
	if (in->footer != NULL)
		clean_str(a, &l->footer, in->footer, EMBED_MAX_FOOTER, 1);
	keep = in->nfields <= EMBED_MAX_FIELDS ? in->nfields :
	    EMBED_MAX_FIELDS - 1;
	for (i = 0; i < keep; i++) {
		struct field *f = &l->fields[l->nfields++];

		clean_str(a, &f->name, in->fields[i].name, EMBED_MAX_FIELD_NAME, 1);
		clean_str(a, &f->value, in->fields[i].value,
		    EMBED_MAX_FIELD_VALUE, 1);
		f->inline_below = EMBED_INLINE_CPS(in->fields[i].inl);
	}
	if (keep < in->nfields)
		layout_more(l, in->nfields - keep);
	return layout_fit(l);
}

char *
embed_build_json(const struct embed_event *in, size_t *chars)
{
	struct layout	l;
	size_t		n;

	n = layout_event(&l, in);
	if (chars != NULL)
		*chars = n;
	return layout_write(&l, in->success ? EMBED_COLOR_OK : EMBED_COLOR_FAIL,
	    in->finished);
}

char *
embed_write(const struct embed_spec *in, size_t *chars)
{
	struct layout	l;
	size_t		n;

	n = layout_spec(&l, in);
	if (chars != NULL)
		*chars = n;
	return layout_write(&l, in->color, in->timestamp);
}

/*
 * Writes "key":"s", cleaned and cut to max, then a comma: a member of the
 * payload envelope.
 */
static void
jbuf_member(struct jbuf *b, const char *key, const char *s, size_t max)
{
	char *t = embed_text(s, strlen(s), max);

	jbuf_add(b, key, strlen(key));
	jbuf_string(b, t, strlen(t));
	JBUF_LIT(b, ",");
	free(t);
}

#define PAYLOAD_TAIL	"\"allowed_mentions\":{\"parse\":[]}}"

/* "{", then username and avatar_url when set: the envelope's head. */
static void
payload_head(struct jbuf *b, const char *username, const char *avatar_url)
{
	JBUF_LIT(b, "{");
	if (username != NULL && *username != '\0')
		jbuf_member(b, "\"username\":", username, EMBED_USERNAME_MAX);
	if (avatar_url != NULL && *avatar_url != '\0')
		jbuf_member(b, "\"avatar_url\":", avatar_url, 2048);
}

/*
 * The calling thread's last envelope head ("{" and the members before
 * "embeds") and what it was made from; in fixed buffers, so that nothing
 * is left on the heap when the thread ends. Longer strings are not kept.
 */
#define PAYLOAD_KEEP	512
struct payload_cache {
	int	 set;
	int	 has_user, has_avatar;
	char	 user[PAYLOAD_KEEP];
	char	 avatar[PAYLOAD_KEEP];
	char	 head[2 * PAYLOAD_KEEP + 64];
	size_t	 headlen;
};

static int
payload_cache_same(const char *kept, int has, const char *s)
{
	return s == NULL ? !has : has && strcmp(kept, s) == 0;
}

/*
 * Appends the envelope head to b: the same for every payload of a
 * webhook, so each thread keeps the last one.
 */
static void
payload_head_cached(struct jbuf *b, const char *username,
    const char *avatar_url)
{
	static _Thread_local struct payload_cache pc;
	size_t	 start = b->len, len;

	if (pc.set && payload_cache_same(pc.user, pc.has_user, username) &&
	    payload_cache_same(pc.avatar, pc.has_avatar, avatar_url)) {
		jbuf_add(b, pc.head, pc.headlen);
		return;
	}
	payload_head(b, username, avatar_url);
	len = b->len - start;
	pc.set = 0;
	if ((username == NULL || strlen(username) < PAYLOAD_KEEP) &&
	    (avatar_url == NULL || strlen(avatar_url) < PAYLOAD_KEEP) &&
	    len < sizeof pc.head) {
		pc.has_user = username != NULL;
		pc.has_avatar = avatar_url != NULL;
		if (username != NULL)
			memcpy(pc.user, username, strlen(username) + 1);
		if (avatar_url != NULL)
			memcpy(pc.avatar, avatar_url, strlen(avatar_url) + 1);
		memcpy(pc.head, b->p + start, len);
		pc.headlen = len;
		pc.set = 1;
	}
}

char *
embed_payload_json_tail(const char *const *embeds, size_t n,
    const char *username, const char *avatar_url, const char *tail,
    size_t tlen)
{
	struct jbuf	b = { NULL, 0, 0 };
	size_t		lens[16], len = 64 + tlen, i, el;

	for (i = 0; i < n; i++) {
		el = strlen(embeds[i]);
		if (i < sizeof lens / sizeof lens[0])
			lens[i] = el;
		len += el + 1;
	}
	jbuf_reserve(&b, len);
	payload_head_cached(&b, username, avatar_url);
	JBUF_LIT(&b, "\"embeds\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			JBUF_LIT(&b, ",");
		jbuf_add(&b, embeds[i], i < sizeof lens / sizeof lens[0] ?
		    lens[i] : strlen(embeds[i]));
	}
	JBUF_LIT(&b, "],");
	jbuf_add(&b, tail, tlen);
	return b.p;
}

char *
embed_payload_json(const char *const *embeds, size_t n, const char *username,
    const char *avatar_url)
{
	return embed_payload_json_tail(embeds, n, username, avatar_url,
	    PAYLOAD_TAIL, sizeof PAYLOAD_TAIL - 1);
}

char *
embed_payload_text_tail(const char *content, const char *username,
    const char *avatar_url, const char *tail, size_t tlen)
{
	struct jbuf b = { NULL, 0, 0 };

	payload_head(&b, username, avatar_url);
	jbuf_member(&b, "\"content\":", content != NULL ? content : "",
	    EMBED_MAX_CONTENT);
	jbuf_add(&b, tail, tlen);
	return b.p;
}

char *
embed_payload_text(const char *content, const char *username,
    const char *avatar_url)
{
	return embed_payload_text_tail(content, username, avatar_url,
	    PAYLOAD_TAIL, sizeof PAYLOAD_TAIL - 1);
}
