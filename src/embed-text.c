/*
 * embed-text.c -- the strings of a Discord embed: every one is cleaned
 * and cut here before it is laid out (embed.c).
 *
 * Every string that reaches an embed passes through embed_text(), which
 * also replaces invalid UTF-8 and control characters other than tab and
 * newline with U+FFFD: Discord rejects a payload with invalid UTF-8,
 * json-c would copy the bad bytes through, and a NUL must not cut a value
 * short (strings are taken with their json-c length, never strlen()).
 *
 * Lengths are UTF-16 code units (SPEC section 4), as JavaScript's
 * .length, discord.js and most validators count them: a character above
 * U+FFFF ("😀") is two, "⚠️" is two (U+26A0 U+FE0F). That count is never
 * below the code points Discord itself counts, so both accept the embed.
 * Cuts fall between characters, never inside a UTF-8 sequence or a
 * surrogate pair; a cut string ends with "…" and has the limit, or one
 * unit less when the last character kept would have been a pair.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed.h"
#include "embed-int.h"
#include "utf8.h"
#include "util.h"

/*
 * Whether cp is shown as U+FFFD: an ill-formed byte, or a control
 * character (C0, DEL, C1) other than tab and newline (SPEC section 2).
 * A NUL would end the text for many readers; the others are invisible or
 * rewrite the display.
 */
static int
text_replaced(uint32_t cp)
{
	if (cp == UTF8_INVALID)
		return 1;
	if (cp < 0x20)
		return cp != '\t' && cp != '\n';
	return cp >= 0x7f && cp <= 0x9f;
}

/*
 * Newly allocated copy of s (len bytes, NULs allowed; caller frees) with
 * at most max UTF-16 units. When s is longer, the longest prefix of at
 * most max - 1 units is kept and "…" (one unit) added, so a cut never
 * splits a UTF-8 sequence or a surrogate pair and the result has max
 * units, or max - 1 when a pair did not fit. Ill-formed bytes and control
 * characters other than tab and newline become U+FFFD (one each), so the
 * result is valid UTF-8 without a NUL. Empty s gives "—" (max 0 gives "").
 * Any thread.
 */
char *
embed_text(const char *s, size_t len, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, step, u, units, o, cut;
	uint32_t		 cp;
	char			*out;

	if (max == 0)
		return xstrdup("");
	if (len == 0)
		return xstrdup(EMBED_EMPTY);

	/* Fast path: printable ASCII that fits, as most text is. */
	for (n = 0; n < len && n <= max && p[n] >= 0x20 && p[n] < 0x7f; n++)
		;
	if (n == len && n <= max)
		return xstrndup(s, len);

	/*
	 * Every unit written takes at most 3 bytes (U+FFFD for one byte; a
	 * pair is 4 bytes for 2 units), and "…" 3 more.
	 */
	n = len < max ? len : max;
	out = xmalloc(3 * n + sizeof EMBED_ELLIPSIS);
	units = o = cut = 0;
	for (i = 0; i < len; i += step) {
		step = utf8_decode(s + i, len - i, &cp);
		if (text_replaced(cp))
			cp = UTF8_REPLACEMENT;
		u = utf8_cp_units16(cp);
		if (units + u > max) {
			/* Too long: back to max - 1 units, then "…". */
			memcpy(out + cut, EMBED_ELLIPSIS, sizeof EMBED_ELLIPSIS);
			return out;
		}
		if (cp == UTF8_REPLACEMENT) {
			memcpy(out + o, UTF8_REPLACEMENT_STR, 3);
			o += 3;
		} else {
			memcpy(out + o, s + i, step);
			o += step;
		}
		units += u;
		if (units <= max - 1)
			cut = o;
	}
	out[o] = '\0';
	return out;
}

/* Like embed_text(), but whitespace-only text also becomes "—". */
char *
embed_clean_n(const char *s, size_t len, size_t max)
{
	size_t i;

	if (s == NULL)
		len = 0;
	for (i = 0; i < len && isspace((unsigned char)s[i]); i++)
		;
	if (i == len)
		len = 0;
	return embed_text(len != 0 ? s : "", len, max);
}

/*
 * RFC 3339 UTC time, "2026-11-26T15:37:17Z", into buf (at least 21 bytes;
 * a smaller buf gets "" or what fits). Any thread. Every embed of a
 * second has the same text: each thread keeps its last one, which saves
 * gmtime_r() and strftime() (about 1,400 instructions) per event.
 */
void
embed_timestamp(time_t t, char *buf, size_t bufsize)
{
	static _Thread_local time_t	last_t;
	static _Thread_local size_t	last_len;	/* 0: none yet */
	static _Thread_local char	last[32];
	struct tm			tm;
	size_t				len;

	if (bufsize == 0)
		return;
	if (last_len != 0 && t == last_t && last_len < bufsize) {
		memcpy(buf, last, last_len + 1);
		return;
	}
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return;
	if (strftime(buf, bufsize, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		buf[0] = '\0';
		return;
	}
	len = strlen(buf);
	if (len < sizeof last) {
		memcpy(last, buf, len + 1);
		last_len = len;
		last_t = t;
	}
}

/* A chunk beyond an arena's first: the text follows the header. */
struct earena_chunk {
	struct earena_chunk	*next;
	size_t			 size;
};

void
earena_init(struct earena *a)
{
	a->p = a->first;
	a->left = sizeof a->first;
	a->more = NULL;
}

void
earena_free(struct earena *a)
{
	struct earena_chunk *c, *next;

	for (c = a->more; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	earena_init(a);
}

char *
earena_alloc(struct earena *a, size_t n)
{
	struct earena_chunk	*c;
	size_t			 size;
	char			*p;

	if (n > a->left) {
		size = n > EARENA_FIRST ? n : EARENA_FIRST;
		c = xmalloc(sizeof *c + size);
		c->next = a->more;
		c->size = size;
		a->more = c;
		a->p = (char *)(c + 1);
		a->left = size;
	}
	p = a->p;
	a->p += n;
	a->left -= n;
	return p;
}

char *
earena_strndup(struct earena *a, const char *s, size_t len)
{
	char *p = earena_alloc(a, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Code points and UTF-16 units of valid UTF-8 (what embed_text() gives). */
static void
estr_count(struct estr *e)
{
	const unsigned char	*p = (const unsigned char *)e->s;
	size_t			 i, cps = 0, pairs = 0;

	for (i = 0; i < e->len; i++) {
		cps += (p[i] & 0xc0) != 0x80;
		pairs += p[i] >= 0xf0;
	}
	e->cps = cps;
	e->units = cps + pairs;
	e->plain = 0;	/* unknown: the writer escapes */
}

void
embed_estr_take(struct earena *a, struct estr *e, char *t)
{
	e->len = strlen(t);
	e->s = earena_strndup(a, t, e->len);
	free(t);
	estr_count(e);
}

/*
 * Whether any of the 8 bytes of w is outside printable ASCII (below 0x20,
 * DEL, 0x80 and up) or needs a JSON escape ('"', '\\'): the classic "has
 * a byte less than n" and "has a zero byte" tests, exact for "any".
 */
static inline int
word_special(uint64_t w)
{
	const uint64_t	ones = UINT64_C(0x0101010101010101);
	const uint64_t	highs = UINT64_C(0x8080808080808080);
	uint64_t	del = w ^ (ones * 0x7f), q = w ^ (ones * '"');
	uint64_t	bs = w ^ (ones * '\\');

	return ((w | ((w - ones * 0x20) & ~w) | ((del - ones) & ~del) |
	    ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs) != 0;
}

/*
 * embed_clean_n() without a copy for the common case: one pass checks
 * that s is not blank, holds no byte or character embed_text() would
 * replace and fits in max, counting as it goes; anything else goes the
 * slow way (embed_clean_n(), copied into the arena). Plain printable
 * ASCII, most text, is checked 8 bytes at a time.
 */
void
embed_estr(struct earena *a, struct estr *e, const char *s, size_t len,
    size_t max, int stable)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, units = 0, cps = 0, step;
	uint32_t		 cp;
	uint64_t		 w;
	int			 plain = 1;

	if (s == NULL)
		len = 0;
	/* Blank (empty or only spaces: other white space is not fast). */
	for (i = 0; i < len && p[i] == ' '; i++)
		;
	if (i == len)
		goto slow;
	for (i = 0; len - i >= sizeof w; i += sizeof w) {
		memcpy(&w, p + i, sizeof w);
		if (word_special(w))
			goto bytes;
	}
	/*
	 * The bytes the 8-byte steps left; word_special() asks "any", so a
	 * byte seen twice changes nothing, and the unused high bytes of a
	 * short string are 'a'.
	 */
	if (i < len && word_special(load_tail64(p, len) |
	    (len < 4 ? UINT64_C(0x6161616161000000) : 0)))
		goto bytes;
	if (len > max)
		goto slow;
	units = cps = len;
	goto done;
bytes:
	for (i = 0; i < len; ) {
		if (len - i >= sizeof w) {
			memcpy(&w, p + i, sizeof w);
			if (!word_special(w)) {
				i += sizeof w;
				units += sizeof w;
				cps += sizeof w;
				continue;
			}
		}
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			if (p[i] == '"' || p[i] == '\\')
				plain = 0;
			i++;
			units++;
			cps++;
			continue;
		}
		if (p[i] < 0x80)
			goto slow;	/* a control character or DEL */
		step = utf8_decode(s + i, len - i, &cp);
		if (text_replaced(cp))
			goto slow;
		units += utf8_cp_units16(cp);
		cps++;
		i += step;
	}
	if (units > max)
		goto slow;
done:
	e->s = stable ? s : earena_strndup(a, s, len);
	e->len = len;
	e->units = units;
	e->cps = cps;
	e->plain = plain;
	return;
slow:
	embed_estr_take(a, e, embed_clean_n(s, len, max));
}

/* v in decimal, as printf's "%" PRId64 writes it; buf of 21 bytes or more. */
size_t
embed_fmt_i64(char *buf, int64_t v)
{
	char		 tmp[20];
	uint64_t	 u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t		 n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		buf[len++] = '-';
	while (n > 0)
		buf[len++] = tmp[--n];
	buf[len] = '\0';
	return len;
}

/*
 * Titles and descriptions repeat (one per handler and outcome): each
 * thread remembers the sizes embed_estr() found for the last few clean
 * ones, which saves decoding their icons for every event.
 */
#define ICON_KEEP	8
#define ICON_KEEP_LEN	128

struct icon_kept {
	size_t	 len;	/* 0: empty slot */
	size_t	 max;
	size_t	 units;
	size_t	 cps;
	int	 plain;
	char	 s[ICON_KEEP_LEN];
};

/* embed_estr(a, e, s, len, max, 1) for s in the arena, remembered. */
static void
icon_estr(struct earena *a, struct estr *e, const char *s, size_t len,
    size_t max)
{
	static _Thread_local struct icon_kept	kept[ICON_KEEP];
	static _Thread_local unsigned		next;
	struct icon_kept			*k;
	size_t					 i;

	for (i = 0; i < ICON_KEEP; i++) {
		k = &kept[i];
		if (k->len == len && k->max == max && memcmp(k->s, s, len) == 0) {
			e->s = s;
			e->len = len;
			e->units = k->units;
			e->cps = k->cps;
			e->plain = k->plain;
			return;
		}
	}
	embed_estr(a, e, s, len, max, 1);
	/* Only text kept as it was (e->s == s) is remembered. */
	if (e->s != s || len == 0 || len >= ICON_KEEP_LEN)
		return;
	k = &kept[next++ % ICON_KEEP];
	memcpy(k->s, s, len);
	k->len = len;
	k->max = max;
	k->units = e->units;
	k->cps = e->cps;
	k->plain = e->plain;
}

/*
 * Sets *e to "<icon> <a><b><c>", or just "<a><b><c>" without an icon,
 * cleaned for max (the title and description of every event: no printf).
 */
void
embed_with_icon(struct earena *ar, struct estr *e, size_t max,
    const char *icon, const char *a, const char *b, const char *c)
{
	size_t	 ni, na = strlen(a), nb = strlen(b), nc = strlen(c);
	char	*out, *o;

	if (icon == NULL)
		icon = "";
	ni = strlen(icon);
	out = o = earena_alloc(ar, ni + 1 + na + nb + nc + 1);
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
	icon_estr(ar, e, out, (size_t)(o + nc - out), max);
}
