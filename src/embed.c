/*
 * embed.c -- Discord embeds for processed events and digests (SPEC section
 * 4), and the webhook payload around them.
 *
 * Design: an embed is first laid out as plain strings (title, description,
 * footer, and a list of name/value fields), then every Discord limit is
 * applied to those strings, and only then is the json-c object built, so
 * the character count returned is exactly what the object holds.
 *
 * Every string that reaches an embed passes through utf8_truncate(), which
 * also replaces invalid UTF-8 with U+FFFD: Discord rejects a payload with
 * invalid UTF-8, and json-c would copy the bad bytes through.
 *
 * Lengths are Unicode code points, as Discord counts them (SPEC section 4);
 * "⚠️" is two (U+26A0 U+FE0F). Cuts fall between code points, never inside
 * a UTF-8 sequence; a cut string ends with "…" and has exactly the limit.
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
 * wipe out the short ones; if values of one code point each still do not
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
#include "util.h"

#define EMBED_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define EMBED_COLOR_DIGEST	5793266	/* Discord blurple: neither good nor bad */
#define EMBED_INLINE_BELOW	40	/* values shorter than this sit side by side */
#define EMBED_FLATTEN_MAX	32	/* deeper objects are shown as JSON */
#define EMBED_EMPTY		"—"
#define EMBED_ELLIPSIS		"…"
#define EMBED_USERNAME_MAX	80	/* Discord's webhook username limit */

struct field {
	char	*name;
	char	*value;
	int	 is_error;
};

struct layout {
	char		*title;
	char		*description;	/* NULL: none */
	char		*footer;	/* NULL: none */
	struct field	 fields[EMBED_MAX_FIELDS];
	size_t		 nfields;
};

/*
 * Decodes one code point at s. Returns the bytes it takes (1 to 4) and
 * sets *valid; an ill-formed byte is consumed alone with *valid 0 (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_step(const unsigned char *s, int *valid)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	*valid = 1;
	if (s[0] < 0x80)
		return 1;
	*valid = 0;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;
	if (s[0] < 0xe0)
		need = 2;
	else if (s[0] < 0xf0) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	}
	/* A NUL terminator fails these range tests, so no overrun. */
	if (s[1] < lo || s[1] > hi)
		return 1;
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 1;
	}
	*valid = 1;
	return need;
}

/*
 * Code points in s; each byte of an ill-formed sequence counts one (as
 * the U+FFFD that utf8_truncate() puts in its place). Any thread.
 */
size_t
utf8_len(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0;
	int			 valid;

	while (*p != '\0') {
		p += utf8_step(p, &valid);
		n++;
	}
	return n;
}

/*
 * Newly allocated copy of s (caller frees) with at most max code points.
 * When s is longer, the first max - 1 code points are kept and "…" is
 * added, so the result has exactly max. Ill-formed UTF-8 becomes U+FFFD,
 * one per byte, so the result is always valid UTF-8. Empty s gives "—"
 * (max 0 gives ""). Any thread.
 */
char *
utf8_truncate(const char *s, size_t max)
{
	const unsigned char	*p;
	size_t			 n, keep, size, step, total;
	char			*out, *o;
	int			 valid;

	if (max == 0)
		return xstrdup("");
	if (*s == '\0')
		return xstrdup(EMBED_EMPTY);

	/* Pass 1: count up to max + 1 code points and the output size. */
	total = 0;
	for (p = (const unsigned char *)s; *p != '\0' && total <= max; total++)
		p += utf8_step(p, &valid);
	keep = total > max ? max - 1 : total;

	size = 1 + (total > max ? sizeof EMBED_ELLIPSIS : 0);
	p = (const unsigned char *)s;
	for (n = 0; n < keep; n++) {
		step = utf8_step(p, &valid);
		size += valid ? step : 3;
		p += step;
	}

	/* Pass 2: copy, replacing ill-formed bytes. */
	out = o = xmalloc(size);
	p = (const unsigned char *)s;
	for (n = 0; n < keep; n++) {
		step = utf8_step(p, &valid);
		if (valid) {
			memcpy(o, p, step);
			o += step;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
		}
		p += step;
	}
	if (total > max) {
		memcpy(o, EMBED_ELLIPSIS, sizeof EMBED_ELLIPSIS - 1);
		o += sizeof EMBED_ELLIPSIS - 1;
	}
	*o = '\0';
	return out;
}

/* Like utf8_truncate(), but whitespace-only text also becomes "—". */
static char *
clean(const char *s, size_t max)
{
	const char *p;

	if (s == NULL)
		s = "";
	for (p = s; *p != '\0' && isspace((unsigned char)*p); p++)
		;
	if (*p == '\0')
		s = "";
	return utf8_truncate(s, max);
}

/*
 * RFC 3339 UTC time, "2026-11-26T15:37:17Z", into buf (at least 21 bytes;
 * a smaller buf gets "" or what fits). Any thread.
 */
void
embed_timestamp(time_t t, char *buf, size_t bufsize)
{
	struct tm tm;

	if (bufsize == 0)
		return;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return;
	if (strftime(buf, bufsize, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
}

/* Words written in capitals rather than capitalised. */
static const char *const humanize_upper[] = {
	"id", "url", "api", "uuid", "ip",
};

static void
humanize_word(char **out, size_t *len, const char *w, size_t n)
{
	size_t	i, j;
	char	*o;

	if (n == 0)
		return;
	o = *out + *len;
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
	*len = (size_t)(o + n - *out);
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
	size_t		 n = strlen(key), i, start, len = 0;
	char		*out = xmalloc(2 * n + 1);
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
			humanize_word(&out, &len, s + start, i - start);
			start = sep ? i + 1 : i;
		}
	}
#undef IS_UP
#undef IS_LO
#undef IS_DIG
#undef IS_SEP
	out[len] = '\0';
	return out;
}

/* Collects fields while flattening data; counts all, keeps the first max. */
struct collect {
	struct field	*fields;
	size_t		 max;
	size_t		 kept;
	size_t		 total;
};

static void
collect_add(struct collect *c, const char *name, json_object *v)
{
	const char *text;

	c->total++;
	if (c->kept == c->max)
		return;
	if (v == NULL || json_object_is_type(v, json_type_null))
		text = "";
	else if (json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0)
		text = "";	/* empty values are "—" (SPEC section 4) */
	else if (json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 0)
		text = "";
	else if (json_object_is_type(v, json_type_string))
		text = json_object_get_string(v);
	else
		text = json_object_to_json_string_ext(v, EMBED_JSON_FLAGS);
	c->fields[c->kept].name = clean(name, EMBED_MAX_FIELD_NAME);
	c->fields[c->kept].value = clean(text, EMBED_MAX_FIELD_VALUE);
	c->fields[c->kept].is_error = 0;
	c->kept++;
}

/*
 * Adds one field per member of obj in document order; a nested non-empty
 * object adds its members with the names joined ("Location Address").
 */
static void
flatten(struct collect *c, json_object *obj, const char *prefix, int depth)
{
	char	*human, *name;

	json_object_object_foreach(obj, key, v) {
		human = embed_humanize(key);
		if (prefix != NULL && *human != '\0')
			name = xasprintf("%s %s", prefix, human);
		else if (prefix != NULL)
			name = xstrdup(prefix);
		else
			name = xstrdup(human);
		free(human);
		if (v != NULL && json_object_is_type(v, json_type_object) &&
		    json_object_object_length(v) > 0 && depth < EMBED_FLATTEN_MAX)
			flatten(c, v, name, depth + 1);
		else
			collect_add(c, name, v);
		free(name);
	}
}

static size_t
layout_chars(const struct layout *l)
{
	size_t i, n = 0;

	n += utf8_len(l->title);
	if (l->description != NULL)
		n += utf8_len(l->description);
	if (l->footer != NULL)
		n += utf8_len(l->footer);
	for (i = 0; i < l->nfields; i++)
		n += utf8_len(l->fields[i].name) + utf8_len(l->fields[i].value);
	return n;
}

/*
 * Shortens the strings *s[0..n) to one common cap, the largest that
 * takes at least excess code points off them (never below one code
 * point). Returns how many code points were removed.
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
		lens[i] = utf8_len(*s[i]);
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
		t = utf8_truncate(*s[i], cap);
		free(*s[i]);
		*s[i] = t;
		removed += lens[i] - cap;
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
		json_object_object_add(f, "inline", json_object_new_boolean(
		    !l->fields[i].is_error &&
		    utf8_len(l->fields[i].value) < EMBED_INLINE_BELOW));
		json_object_array_add(fields, f);
		free(l->fields[i].name);
		free(l->fields[i].value);
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
	free(l->title);
	free(l->description);
	free(l->footer);
	return embed;
}

/* "<icon> <text>", or just text without an icon. */
static char *
with_icon(const char *icon, const char *text)
{
	if (icon == NULL || *icon == '\0')
		return xstrdup(text);
	return xasprintf("%s %s", icon, text);
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
	struct layout	 l;
	struct field	 tail[2], fold[EMBED_MAX_FIELDS];
	struct collect	 c;
	const char	*type = in->type != NULL ? in->type : "invalid";
	char		*s;
	size_t		 ntail = 0, keep, i, n;

	memset(&l, 0, sizeof l);
	s = xasprintf("%s event %s", type, in->success ? "processed" : "failed");
	l.title = with_icon(in->icon, s);
	free(s);
	s = l.title;
	l.title = clean(s, EMBED_MAX_TITLE);
	free(s);
	s = with_icon(in->icon, in->title != NULL ? in->title : type);
	l.description = clean(s, EMBED_MAX_DESC);
	free(s);
	l.footer = clean(in->success ? "✅ Successfully processed" :
	    "❌ Processing failed", EMBED_MAX_FOOTER);

	if (!in->success) {
		tail[ntail].name = xstrdup("Error");
		tail[ntail].value = clean(in->error, EMBED_MAX_FIELD_VALUE);
		tail[ntail].is_error = 1;
		ntail++;
	}
	tail[ntail].name = xstrdup("Event ID");
	tail[ntail].value = clean(in->event_id, EMBED_MAX_FIELD_VALUE);
	tail[ntail].is_error = 0;
	ntail++;

	memset(&c, 0, sizeof c);
	c.fields = fold;
	c.max = EMBED_MAX_FIELDS - ntail;
	if (in->data != NULL && json_object_is_type(in->data, json_type_object))
		flatten(&c, in->data, NULL, 0);

	if (c.total + ntail <= EMBED_MAX_FIELDS)
		keep = c.total;
	else
		keep = EMBED_MAX_FIELDS - 1 - ntail;
	for (i = 0; i < c.kept; i++) {
		if (i < keep)
			l.fields[l.nfields++] = fold[i];
		else {
			free(fold[i].name);
			free(fold[i].value);
		}
	}
	if (keep < c.total) {
		n = c.total - keep;
		l.fields[l.nfields].name = xstrdup(EMBED_ELLIPSIS);
		/* SPEC wording, even for one. */
		l.fields[l.nfields].value = xasprintf("… and %zu more fields", n);
		l.fields[l.nfields].is_error = 0;
		l.nfields++;
	}
	for (i = 0; i < ntail; i++)
		l.fields[l.nfields++] = tail[i];

	n = layout_fit(&l);
	if (chars != NULL)
		*chars = n;
	return layout_build(&l, in->success ? EMBED_COLOR_OK : EMBED_COLOR_FAIL,
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
	l.title = clean(s, EMBED_MAX_TITLE);
	free(s);

	keep = nrows <= EMBED_MAX_FIELDS ? nrows : EMBED_MAX_FIELDS - 1;
	for (i = 0; i < keep; i++) {
		l.fields[i].name = clean(rows[i].type, EMBED_MAX_FIELD_NAME);
		s = xasprintf("%lu processed, %lu failed", rows[i].processed,
		    rows[i].failed);
		l.fields[i].value = clean(s, EMBED_MAX_FIELD_VALUE);
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
		s = utf8_truncate(username, EMBED_USERNAME_MAX);
		json_object_object_add(payload, "username",
		    json_object_new_string(s));
		free(s);
	}
	if (avatar_url != NULL && *avatar_url != '\0') {
		s = utf8_truncate(avatar_url, 2048);
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
