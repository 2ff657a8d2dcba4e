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

#define EMBED_COLOR_DIGEST	5793266	/* Discord blurple: neither good nor bad */
#define EMBED_INLINE_BELOW	40	/* values shorter than this sit side by side */
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
	memset(l, 0, offsetof(struct layout, arena));
	earena_init(&l->arena);
}

/* Frees the strings of a layout. */
static void
layout_free(struct layout *l)
{
	earena_free(&l->arena);
}

/* Whether a field sits beside others: short values, never the error. */
static int
field_inline(const struct field *f)
{
	return !f->is_error && f->value.cps < EMBED_INLINE_BELOW;
}

static json_object *
estr_json(const struct estr *e)
{
	return json_object_new_string_len(e->s, (int)e->len);
}

/* Builds the json-c object from a fitted layout and frees the strings. */
static json_object *
layout_build(struct layout *l, int color, time_t t)
{
	json_object	*embed, *fields, *f, *footer;
	char		 ts[32];
	size_t		 i;

	embed = json_object_new_object();
	json_object_object_add(embed, "title", estr_json(&l->title));
	if (l->description.s != NULL)
		json_object_object_add(embed, "description",
		    estr_json(&l->description));
	json_object_object_add(embed, "color", json_object_new_int(color));
	fields = json_object_new_array();
	for (i = 0; i < l->nfields; i++) {
		f = json_object_new_object();
		json_object_object_add(f, "name", estr_json(&l->fields[i].name));
		json_object_object_add(f, "value",
		    estr_json(&l->fields[i].value));
		json_object_object_add(f, "inline",
		    json_object_new_boolean(field_inline(&l->fields[i])));
		json_object_array_add(fields, f);
	}
	json_object_object_add(embed, "fields", fields);
	if (l->footer.s != NULL) {
		footer = json_object_new_object();
		json_object_object_add(footer, "text", estr_json(&l->footer));
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
	b->p = xrealloc(b->p, cap);
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
	jbuf_add(&b, num, embed_fmt_i64(num, color));
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
	embed_timestamp(t, ts, sizeof ts);
	JBUF_LIT(&b, ",\"timestamp\":");
	jbuf_string(&b, ts, strlen(ts));
	JBUF_LIT(&b, "}");
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
 * Lays out one event embed (SPEC section 4) with every limit applied;
 * returns its Discord character count. layout_build() or layout_write()
 * frees l's strings.
 */
static size_t
layout_event(struct layout *l, const struct embed_event *in)
{
	struct field	 tail[2], fold[EMBED_MAX_FIELDS];
	struct collect	 c;
	struct earena	*a = &l->arena;
	const char	*type = in->type != NULL ? in->type : "invalid";
	const char	*verb = in->success ? "processed" : "failed";
	char		 more[64];
	size_t		 ntail = 0, keep, i, n;

	layout_init(l);
	embed_with_icon(a, &l->title, EMBED_MAX_TITLE, in->icon, type, " event ",
	    verb);
	embed_with_icon(a, &l->description, EMBED_MAX_DESC, in->icon,
	    in->title != NULL ? in->title : type, "", "");
	clean_str(a, &l->footer, in->success ? "✅ Successfully processed" :
	    "❌ Processing failed", EMBED_MAX_FOOTER, 1);

	/* in's strings outlive the layout: borrowed when clean. */
	if (!in->success) {
		clean_str(a, &tail[ntail].name, "Error", EMBED_MAX_FIELD_NAME, 1);
		clean_str(a, &tail[ntail].value, in->error,
		    EMBED_MAX_FIELD_VALUE, 1);
		tail[ntail].is_error = 1;
		ntail++;
	}
	clean_str(a, &tail[ntail].name, "Event ID", EMBED_MAX_FIELD_NAME, 1);
	clean_str(a, &tail[ntail].value, in->event_id, EMBED_MAX_FIELD_VALUE, 1);
	tail[ntail].is_error = 0;
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
	if (keep < c.total) {
		n = c.total - keep;
		clean_str(a, &l->fields[l->nfields].name, EMBED_ELLIPSIS,
		    EMBED_MAX_FIELD_NAME, 1);
		/* SPEC wording, even for one. */
		snprintf(more, sizeof more, "… and %zu more fields", n);
		clean_str(a, &l->fields[l->nfields].value, more,
		    EMBED_MAX_FIELD_VALUE, 0);
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
	char		 s[96];

	layout_init(&l);
	for (i = 0; i < nrows; i++)
		total += rows[i].processed + rows[i].failed;
	/* SPEC wording, even for one. */
	snprintf(s, sizeof s, "📊 %lu events processed", total);
	clean_str(&l.arena, &l.title, s, EMBED_MAX_TITLE, 0);

	keep = nrows <= EMBED_MAX_FIELDS ? nrows : EMBED_MAX_FIELDS - 1;
	for (i = 0; i < keep; i++) {
		clean_str(&l.arena, &l.fields[i].name, rows[i].type,
		    EMBED_MAX_FIELD_NAME, 0);
		snprintf(s, sizeof s, "%lu processed, %lu failed",
		    rows[i].processed, rows[i].failed);
		clean_str(&l.arena, &l.fields[i].value, s,
		    EMBED_MAX_FIELD_VALUE, 0);
		l.fields[i].is_error = 0;
	}
	l.nfields = keep;
	if (keep < nrows) {
		n = nrows - keep;
		clean_str(&l.arena, &l.fields[l.nfields].name, EMBED_ELLIPSIS,
		    EMBED_MAX_FIELD_NAME, 1);
		snprintf(s, sizeof s, "… and %zu more fields", n);
		clean_str(&l.arena, &l.fields[l.nfields].value, s,
		    EMBED_MAX_FIELD_VALUE, 0);
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

/*
 * The calling thread's last envelope (embed_payload() with no embeds) and
 * what it was made from; in fixed buffers, so that nothing is left on the
 * heap when the thread ends. Longer strings are not kept.
 */
#define PAYLOAD_KEEP	512
struct payload_cache {
	int	 set;
	int	 has_user, has_avatar;
	char	 user[PAYLOAD_KEEP];
	char	 avatar[PAYLOAD_KEEP];
	char	 empty[2 * PAYLOAD_KEEP + 128];
};

static int
payload_cache_same(const char *kept, int has, const char *s)
{
	return s == NULL ? !has : has && strcmp(kept, s) == 0;
}

/*
 * embed_payload(NULL, 0, ...), made once per thread and options: the
 * thread's kept copy (*own NULL), or a new string that *own also points
 * at for the caller to free.
 */
static const char *
payload_empty(const char *username, const char *avatar_url, char **own)
{
	static _Thread_local struct payload_cache pc;
	char	*empty;
	size_t	 len;

	if (pc.set && payload_cache_same(pc.user, pc.has_user, username) &&
	    payload_cache_same(pc.avatar, pc.has_avatar, avatar_url)) {
		*own = NULL;
		return pc.empty;
	}
	*own = empty = embed_payload(NULL, 0, username, avatar_url);
	len = strlen(empty);
	pc.set = 0;
	if ((username == NULL || strlen(username) < PAYLOAD_KEEP) &&
	    (avatar_url == NULL || strlen(avatar_url) < PAYLOAD_KEEP) &&
	    len < sizeof pc.empty) {
		pc.has_user = username != NULL;
		pc.has_avatar = avatar_url != NULL;
		if (username != NULL)
			memcpy(pc.user, username, strlen(username) + 1);
		if (avatar_url != NULL)
			memcpy(pc.avatar, avatar_url, strlen(avatar_url) + 1);
		memcpy(pc.empty, empty, len + 1);
		pc.set = 1;
	}
	return empty;
}

char *
embed_payload_json(const char *const *embeds, size_t n, const char *username,
    const char *avatar_url)
{
	const char *empty, *mark;
	char *own, *out;
	size_t head, tail, len, o;
	static const char slot[] = "\"embeds\":[]";

	/*
	 * The envelope comes from embed_payload() itself, so both forms are
	 * byte for byte the same; the embeds go between its brackets. It is
	 * the same for every payload of a webhook: the thread keeps it.
	 */
	empty = payload_empty(username, avatar_url, &own);
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
	free(own);
	return out;
}

char *
embed_to_json(json_object *embed)
{
	return xstrdup(json_object_to_json_string_ext(embed, EMBED_JSON_FLAGS));
}
