/*
 * utf8.c -- the UTF-8 toolkit of utf8.h.
 *
 * Design: one decoder (utf8_decode(), RFC 3629 table 3-7) under every
 * walk, so validation, both lengths and every cut agree on what a
 * character is; an ill-formed byte is always consumed alone and stands
 * for one U+FFFD. Text is mostly ASCII: the walks skip eight bytes at a
 * time while no byte has its high bit set, and decode only the rest.
 *
 * UTF-16 units: a code point above U+FFFF (always a 4-byte sequence) is a
 * surrogate pair, two units; everything else is one. Cutting at a number
 * of UTF-16 units therefore never splits a pair: a 4-byte sequence is kept
 * or dropped whole.
 */
#include <string.h>

#include "utf8.h"

#define HIGH_BITS	UINT64_C(0x8080808080808080)

/* Bytes of the ASCII run at the start of s (len bytes), eight at a time. */
static size_t
ascii_run(const unsigned char *s, size_t len)
{
	size_t		i = 0;
	uint64_t	w;

	while (len - i >= sizeof w) {
		memcpy(&w, s + i, sizeof w);
		if ((w & HIGH_BITS) != 0)
			break;
		i += sizeof w;
	}
	while (i < len && s[i] < 0x80)
		i++;
	return i;
}

size_t
utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char	*s = (const unsigned char *)str;
	unsigned char		 lo = 0x80, hi = 0xbf;
	size_t			 need, i;
	uint32_t		 c;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	*cp = UTF8_INVALID;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 1;	/* continuation, overlong lead, or beyond U+10FFFF */
	if (s[0] < 0xe0) {
		need = 2;
		c = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		need = 3;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else {
		need = 4;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	}
	if (len < need || s[1] < lo || s[1] > hi)
		return 1;
	c = (c << 6) | (s[1] & 0x3f);
	for (i = 2; i < need; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return need;
}

size_t
utf8_encode(char *out, uint32_t cp)
{
	unsigned char *o = (unsigned char *)out;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = UTF8_REPLACEMENT;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int
utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0;
	uint32_t		 cp;

	while (i < len) {
		i += ascii_run(s + i, len - i);
		if (i == len)
			break;
		i += utf8_decode(str + i, len - i, &cp);
		if (cp == UTF8_INVALID)
			return 0;
	}
	return 1;
}

/* Counts units of s (len bytes); see utf8_len() and utf8_len16(). */
static size_t
count(const char *str, size_t len, enum utf8_unit unit)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, n = 0, run;
	uint32_t		 cp;

	while (i < len) {
		run = ascii_run(s + i, len - i);
		i += run;
		n += run;
		if (i == len)
			break;
		i += utf8_decode(str + i, len - i, &cp);
		n += unit == UTF8_UTF16 ? utf8_cp_units16(cp) : 1;
	}
	return n;
}

size_t
utf8_len(const char *s, size_t len)
{
	return count(s, len, UTF8_CODEPOINTS);
}

size_t
utf8_len16(const char *s, size_t len)
{
	return count(s, len, UTF8_UTF16);
}

size_t
utf8_cut(const char *str, size_t len, size_t max, enum utf8_unit unit,
    size_t *countp)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, n = 0, run, step, u;
	uint32_t		 cp;

	while (i < len && n < max) {
		run = ascii_run(s + i, len - i < max - n ? len - i : max - n);
		i += run;
		n += run;
		if (i == len || n == max)
			break;
		step = utf8_decode(str + i, len - i, &cp);
		u = unit == UTF8_UTF16 ? utf8_cp_units16(cp) : 1;
		if (u > max - n)
			break;	/* a surrogate pair that does not fit whole */
		i += step;
		n += u;
	}
	if (countp != NULL)
		*countp = n;
	return i;
}

size_t
utf8_cut_bytes(const char *str, size_t len, size_t max)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, step;
	uint32_t		 cp;

	if (len <= max)
		return len;
	while (i < max) {
		i += ascii_run(s + i, max - i);
		if (i == max)
			break;
		step = utf8_decode(str + i, len - i, &cp);
		if (step > max - i)
			break;
		i += step;
	}
	return i;
}
