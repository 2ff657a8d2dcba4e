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

/*
 * Whether embed_text(s, len, max) would give s itself: not blank, no byte
 * or character it replaces, at most max UTF-16 units.
 */
static int
text_clean(const char *s, size_t len, size_t max)
{
	size_t		i, step, units = 0;
	uint32_t	cp;
	int		blank = 1;

	if (max == 0)
		return 0;
	for (i = 0; i < len; i += step) {
		if (s[i] > 0x20 && s[i] < 0x7f) {
			/* Printable ASCII, the common case, without decoding. */
			step = 1;
			blank = 0;
			if (++units > max)
				return 0;
			continue;
		}
		step = utf8_decode(s + i, len - i, &cp);
		if (text_replaced(cp))
			return 0;
		if (blank && !(cp < 0x80 && isspace((int)cp)))
			blank = 0;
		units += utf8_cp_units16(cp);
		if (units > max)
			return 0;
	}
	return !blank;
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

char *
embed_clean(const char *s, size_t max)
{
	return embed_clean_n(s, s != NULL ? strlen(s) : 0, max);
}

/*
 * embed_clean() for a string the caller gives up: s itself when
 * embed_clean() would return an equal copy, else the cleaned copy, s
 * freed.
 */
char *
embed_clean_take(char *s, size_t max)
{
	size_t	 len = strlen(s);
	char	*t;

	if (text_clean(s, len, max))
		return s;
	t = embed_clean_n(s, len, max);
	free(s);
	return t;
}

/*
 * RFC 3339 UTC time, "2026-11-26T15:37:17Z", into buf (at least 21 bytes;
 * a smaller buf gets "" or what fits). Any thread.
 */
void
embed_timestamp(time_t t, char *buf, size_t bufsize)
{
	/*
	 * Each thread's last second, formatted: every embed of that second
	 * reuses it (gmtime_r + strftime were 2% of an event's instructions).
	 */
	static _Thread_local time_t	last;
	static _Thread_local char	text[32];
	struct tm tm;

	if (bufsize == 0)
		return;
	buf[0] = '\0';
	if (text[0] == '\0' || t != last) {
		text[0] = '\0';
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
			text[0] = '\0';
			return;
		}
		last = t;
	}
	if (strlen(text) < bufsize)
		memcpy(buf, text, strlen(text) + 1);
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
