/*
 * embed.c -- Discord embeds for processed events and digests (SPEC section
 * 4), and the webhook payload around them.
 *
 * Design: an embed is first laid out as plain strings (title, description,
 * footer, and a list of name/value fields), then every Discord limit is
 * applied to those strings, and only then is the output made, so the
 * character count returned is exactly what it holds. The output is either
 * a json-c object (embed_build(), for callers that edit or inspect it) or,
 * on the workers' hot path, compact JSON written straight from the layout
 * into one growing buffer (embed_build_json()): no json-c tree is built,
 * serialized and freed per event. Both give the same bytes: the writer
 * escapes strings exactly as json-c does with the flags used here ('"',
 * '\\', the short escapes \b \f \n \r \t, other bytes below 0x20 as
 * \u00xx, lowercase; '/' and non-ASCII as they are), and a differential
 * test in tests/check_embed.c holds them to it.
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

#define EMBED_COLOR_DIGEST	5793266	/* Discord blurple: neither good nor bad */
#define EMBED_INLINE_BELOW	40	/* values shorter than this sit side by side */
#define EMBED_USERNAME_MAX	80	/* Discord's webhook username limit */

struct layout {
	char		*title;
	char		*description;	/* NULL: none */
	char		*footer;	/* NULL: none */
	struct field	 fields[EMBED_MAX_FIELDS];
	size_t		 nfields;
};

/* Discord's count of a layout string: UTF-16 units. */
static size_t
units(const char *s)
{
	return utf8_len16(s, strlen(s));
}

/*
 * The layout's size as Discord counts it: title, description, footer
 * text, field names and values, in UTF-16 units (SPEC section 4).
 */
static size_t
layout_chars(const struct layout *l)
{
	size_t i, n = 0;

	n += units(l->title);
	if (l->description != NULL)
		n += units(l->description);
	if (l->footer != NULL)
		n += units(l->footer);
	for (i = 0; i < l->nfields; i++)
		n += units(l->fields[i].name) + units(l->fields[i].value);
	return n;
}

/*
 * Shortens the strings *s[0..n) to one common cap, the largest that
 * takes at least excess UTF-16 units off them (never below one unit). A
 * string cut to the cap may hold one unit less (a surrogate pair is never
 * split), which only removes more. Returns how many units were removed.
 */
static size_t
shrink_common(char **s[], size_t n, size_t excess)
{
	size_t	 lens[2 * EMBED_MAX_FIELDS + 2], i, lo, hi, cap, cut, removed;
	char	*t;

	if (n == 0)
		return 0;
	hi = 1;
	for (i = 0; i < n; i++) {
		lens[i] = units(*s[i]);
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
		t = embed_text(*s[i], strlen(*s[i]), cap);
		free(*s[i]);
		*s[i] = t;
		removed += lens[i] - units(t);
	}
	return removed;
}

/* Applies EMBED_MAX_TOTAL (see the file comment); returns the count. */
static size_t
layout_fit(struct layout *l)
{
	char	**s[EMBED_MAX_FIELDS + 1];
	size_t	  chars, i, step;

	for (step = 0; step < 4; step++) {
		chars = layout_chars(l);
		if (chars <= EMBED_MAX_TOTAL)
			return chars;
		switch (step) {
		case 0:
			for (i = 0; i < l->nfields; i++)
				s[i] = &l->fields[i].value;
			shrink_common(s, l->nfields, chars - EMBED_MAX_TOTAL);
			break;
		case 1:
			for (i = 0; i < l->nfields; i++)
				s[i] = &l->fields[i].name;
			shrink_common(s, l->nfields, chars - EMBED_MAX_TOTAL);
			break;
		case 2:
			if (l->description != NULL) {
				s[0] = &l->description;
				shrink_common(s, 1, chars - EMBED_MAX_TOTAL);
			}
			break;
		case 3:
			s[0] = &l->title;
			shrink_common(s, 1, chars - EMBED_MAX_TOTAL);
			break;
		}
	}
	return layout_chars(l);
}

/* Frees the strings of a layout. */
static void
layout_free(struct layout *l)
{
	size_t i;

	for (i = 0; i < l->nfields; i++) {
		free(l->fields[i].name);
		free(l->fields[i].value);
	}
	free(l->title);
	free(l->description);
	free(l->footer);
}

/* Whether a field sits beside others: short values, never the error. */
static int
field_inline(const struct field *f)
{
	return !f->is_error &&
	    utf8_len(f->value, strlen(f->value)) < EMBED_INLINE_BELOW;
}

/* Builds the json-c object from a fitted layout and frees the strings. */
static json_object *
layout_build(struct layout *l, int color, time_t t)
{
	json_object	*embed, *fields, *f, *footer;
	char		 ts[32];
	size_t		 i;

	embed = json_object_new_object();
	json_object_object_add(embed, "title", json_object_new_string(l->title));
	if (l->description != NULL)
		json_object_object_add(embed, "description",
		    json_object_new_string(l->description));
	json_object_object_add(embed, "color", json_object_new_int(color));
	fields = json_object_new_array();
	for (i = 0; i < l->nfields; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "name",
		    json_object_new_string(l->fields[i].name));
		json_object_object_add(f, "value",
		    json_object_new_string(l->fields[i].value));
		json_object_object_add(f, "inline",
		    json_object_new_boolean(field_inline(&l->fields[i])));
		json_object_array_add(fields, f);
	}
	json_object_object_add(embed, "fields", fields);
	if (l->footer != NULL) {
		footer = json_object_new_object();
		json_object_object_add(footer, "text",
		    json_object_new_string(l->footer));
		json_object_object_add(embed, "footer", footer);
	}
	embed_timestamp(t, ts, sizeof ts);
	json_object_object_add(embed, "timestamp", json_object_new_string(ts));
	layout_free(l);
	return embed;
}

/* A growing output buffer for the JSON writer, always NUL-terminated. */
struct jbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* Makes room for n more bytes and the NUL. */
static void
jbuf_reserve(struct jbuf *b, size_t n)
{
	size_t cap;

	if (b->len + n + 1 <= b->cap)
		return;
	cap = b->cap != 0 ? b->cap : 256;
	while (b->len + n + 1 > cap)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void
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
jbuf_string(struct jbuf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 len = strlen(s), i = 0;
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

/*
 * Writes a fitted layout as the compact JSON that layout_build() and
 * json-c would give, frees the strings and returns the text (caller
 * frees).
 */
static char *
layout_write(struct layout *l, int color, time_t t)
{
	struct jbuf	 b = { NULL, 0, 0 };
	char		 ts[32], num[24];
	size_t		 i, hint;

	/* One allocation in the common case: the strings plus the syntax. */
	hint = 160 + strlen(l->title);
	if (l->description != NULL)
		hint += strlen(l->description);
	if (l->footer != NULL)
		hint += strlen(l->footer);
	for (i = 0; i < l->nfields; i++)
		hint += 48 + strlen(l->fields[i].name) + strlen(l->fields[i].value);
	jbuf_reserve(&b, hint);

	JBUF_LIT(&b, "{\"title\":");
	jbuf_string(&b, l->title);
	if (l->description != NULL) {
		JBUF_LIT(&b, ",\"description\":");
		jbuf_string(&b, l->description);
	}
	JBUF_LIT(&b, ",\"color\":");
	jbuf_add(&b, num, embed_fmt_i64(num, color));
	JBUF_LIT(&b, ",\"fields\":[");
	for (i = 0; i < l->nfields; i++) {
		if (i > 0)
			JBUF_LIT(&b, ",");
		JBUF_LIT(&b, "{\"name\":");
		jbuf_string(&b, l->fields[i].name);
		JBUF_LIT(&b, ",\"value\":");
		jbuf_string(&b, l->fields[i].value);
		if (field_inline(&l->fields[i]))
			JBUF_LIT(&b, ",\"inline\":true}");
		else
			JBUF_LIT(&b, ",\"inline\":false}");
	}
	JBUF_LIT(&b, "]");
	if (l->footer != NULL) {
		JBUF_LIT(&b, ",\"footer\":{\"text\":");
		jbuf_string(&b, l->footer);
		JBUF_LIT(&b, "}");
	}
	embed_timestamp(t, ts, sizeof ts);
	JBUF_LIT(&b, ",\"timestamp\":");
	jbuf_string(&b, ts);
	JBUF_LIT(&b, "}");
	layout_free(l);
	return b.p;
}

/*
 * "<icon> <a><b><c>", or just "<a><b><c>" without an icon; newly
 * allocated (the title and description of every event: no printf).
 */
static char *
with_icon(const char *icon, const char *a, const char *b, const char *c)
{
	size_t	 ni, na = strlen(a), nb = strlen(b), nc = strlen(c);
	char	*out, *o;

	if (icon == NULL)
		icon = "";
	ni = strlen(icon);
	out = o = xmalloc(ni + 1 + na + nb + nc + 1);
	if (ni != 0) {
		memcpy(o, icon, ni);
		o += ni;
		*o++ = ' ';
	}
	memcpy(o, a, na);
	o += na;
	memcpy(o, b, nb);
	o += nb;
	memcpy(o, c, nc);
	o[nc] = '\0';
	return out;
}

/*
 * Lays out one event embed (SPEC section 4) with every limit applied;
 * returns its Discord character count. The strings in l are newly
 * allocated (layout_build() or layout_write() frees them).
 */
static size_t
layout_event(struct layout *l, const struct embed_event *in)
{
	struct field	 tail[2], fold[EMBED_MAX_FIELDS];
	struct collect	 c;
	const char	*type = in->type != NULL ? in->type : "invalid";
	const char	*verb = in->success ? "processed" : "failed";
	char		*s;
	size_t		 ntail = 0, keep, i, n;

	memset(l, 0, sizeof *l);
	s = with_icon(in->icon, type, " event ", verb);
	l->title = embed_clean_take(s, EMBED_MAX_TITLE);
	s = with_icon(in->icon, in->title != NULL ? in->title : type, "", "");
	l->description = embed_clean_take(s, EMBED_MAX_DESC);
	l->footer = embed_clean(in->success ? "✅ Successfully processed" :
	    "❌ Processing failed", EMBED_MAX_FOOTER);

	if (!in->success) {
		tail[ntail].name = xstrdup("Error");
		tail[ntail].value = embed_clean(in->error,
		    EMBED_MAX_FIELD_VALUE);
		tail[ntail].is_error = 1;
		ntail++;
	}
	tail[ntail].name = xstrdup("Event ID");
	tail[ntail].value = embed_clean(in->event_id, EMBED_MAX_FIELD_VALUE);
	tail[ntail].is_error = 0;
	ntail++;

	memset(&c, 0, sizeof c);
	c.fields = fold;
	c.max = EMBED_MAX_FIELDS - ntail;
	if (in->data != NULL && json_object_is_type(in->data, json_type_object))
		embed_flatten(&c, in->data, NULL, 0, 0);

	if (c.total + ntail <= EMBED_MAX_FIELDS)
		keep = c.total;
	else
		keep = EMBED_MAX_FIELDS - 1 - ntail;
	for (i = 0; i < c.kept; i++) {
		if (i < keep)
			l->fields[l->nfields++] = fold[i];
		else {
			free(fold[i].name);
			free(fold[i].value);
		}
	}
	if (keep < c.total) {
		n = c.total - keep;
		l->fields[l->nfields].name = xstrdup(EMBED_ELLIPSIS);
		/* SPEC wording, even for one. */
		l->fields[l->nfields].value = xasprintf("… and %zu more fields", n);
		l->fields[l->nfields].is_error = 0;
		l->nfields++;
	}
	for (i = 0; i < ntail; i++)
		l->fields[l->nfields++] = tail[i];

	return layout_fit(l);
}

/*
 * Builds one event embed (SPEC section 4) with every limit applied.
 * Returns a new object (caller owns; json_object_put() it) and stores its
 * Discord character count in *chars (if chars is not NULL). in->data is
 * read, never changed, but json-c caches serialisations inside it, so
 * only the event's owning thread may call this.
 */
json_object *
embed_build(const struct embed_event *in, size_t *chars)
{
	struct layout	l;
	size_t		n;

	n = layout_event(&l, in);
	if (chars != NULL)
		*chars = n;
	return layout_build(&l, in->success ? EMBED_COLOR_OK : EMBED_COLOR_FAIL,
	    in->finished);
}

/*
 * The same embed as embed_build() as compact JSON, byte for byte what
 * embed_to_json(embed_build(in, chars)) gives, written without a json-c
 * tree. Returns a newly allocated string (caller frees) and the Discord
 * character count in *chars (if not NULL). Same thread rule as
 * embed_build().
 */
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

/*
 * The overload digest: "📊 N events processed" (N = all processed and
 * failed events it counts), one field per row in the given order, name
 * the type, value "P processed, F failed"; more than 25 rows fold into
 * "… and N more fields" as in embed_build(). Returns a new object (caller
 * owns) and its character count in *chars. Any thread.
 */
json_object *
embed_digest(const struct embed_digest_row *rows, size_t nrows, time_t end,
    size_t *chars)
{
	struct layout	 l;
	unsigned long	 total = 0;
	size_t		 i, keep, n;
	char		*s;

	memset(&l, 0, sizeof l);
	for (i = 0; i < nrows; i++)
		total += rows[i].processed + rows[i].failed;
	/* SPEC wording, even for one. */
	s = xasprintf("📊 %lu events processed", total);
	l.title = embed_clean(s, EMBED_MAX_TITLE);
	free(s);

	keep = nrows <= EMBED_MAX_FIELDS ? nrows : EMBED_MAX_FIELDS - 1;
	for (i = 0; i < keep; i++) {
		l.fields[i].name = embed_clean(rows[i].type,
		    EMBED_MAX_FIELD_NAME);
		s = xasprintf("%lu processed, %lu failed", rows[i].processed,
		    rows[i].failed);
		l.fields[i].value = embed_clean(s, EMBED_MAX_FIELD_VALUE);
		free(s);
		l.fields[i].is_error = 0;
	}
	l.nfields = keep;
	if (keep < nrows) {
		n = nrows - keep;
		l.fields[l.nfields].name = xstrdup(EMBED_ELLIPSIS);
		l.fields[l.nfields].value = xasprintf("… and %zu more fields", n);
		l.fields[l.nfields].is_error = 0;
		l.nfields++;
	}
	n = layout_fit(&l);
	if (chars != NULL)
		*chars = n;
	return layout_build(&l, EMBED_COLOR_DIGEST, end);
}

/*
 * The webhook payload as compact JSON (caller frees): username (cut to
 * Discord's 80) and avatar_url only when not NULL or empty, the embeds
 * (borrowed: their reference counts go up and back down), and
 * "allowed_mentions": {"parse": []} so that no event can ping anyone.
 * Non-ASCII text is written as UTF-8, "/" unescaped. Notifier thread
 * (json-c reference counts are not atomic).
 */
char *
embed_payload(json_object *const *embeds, size_t n, const char *username,
    const char *avatar_url)
{
	json_object	*payload, *arr, *am;
	char		*s, *out;
	size_t		 i;

	payload = json_object_new_object();
	if (username != NULL && *username != '\0') {
		s = embed_text(username, strlen(username), EMBED_USERNAME_MAX);
		json_object_object_add(payload, "username",
		    json_object_new_string(s));
		free(s);
	}
	if (avatar_url != NULL && *avatar_url != '\0') {
		s = embed_text(avatar_url, strlen(avatar_url), 2048);
		json_object_object_add(payload, "avatar_url",
		    json_object_new_string(s));
		free(s);
	}
	arr = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(arr, json_object_get(embeds[i]));
	json_object_object_add(payload, "embeds", arr);
	am = json_object_new_object();
	json_object_object_add(am, "parse", json_object_new_array());
	json_object_object_add(payload, "allowed_mentions", am);
	out = xstrdup(json_object_to_json_string_ext(payload, EMBED_JSON_FLAGS));
	json_object_put(payload);
	return out;
}

char *
embed_payload_json(const char *const *embeds, size_t n, const char *username,
    const char *avatar_url)
{
	char *empty, *mark, *out;
	size_t head, tail, len, o;
	static const char slot[] = "\"embeds\":[]";

	/*
	 * The envelope comes from embed_payload() itself, so both forms are
	 * byte for byte the same; the embeds go between its brackets.
	 */
	empty = embed_payload(NULL, 0, username, avatar_url);
	mark = strstr(empty, slot);
	head = (size_t)(mark - empty) + sizeof slot - 2;	/* up to '[' */
	tail = strlen(empty) - head;				/* from ']' */
	len = head + tail;
	for (size_t i = 0; i < n; i++)
		len += strlen(embeds[i]) + 1;
	out = xmalloc(len + 1);
	memcpy(out, empty, head);
	o = head;
	for (size_t i = 0; i < n; i++) {
		size_t el = strlen(embeds[i]);

		if (i > 0)
			out[o++] = ',';
		memcpy(out + o, embeds[i], el);
		o += el;
	}
	memcpy(out + o, empty + head, tail);
	o += tail;
	out[o] = '\0';
	free(empty);
	return out;
}

char *
embed_to_json(json_object *embed)
{
	return xstrdup(json_object_to_json_string_ext(embed, EMBED_JSON_FLAGS));
}
