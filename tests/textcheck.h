/*
 * textcheck.h -- test oracles for Discord text, written independently of
 * src/utf8.c so that a test never checks the code with itself: strict
 * UTF-8 validation, UTF-16 length (what discord.js counts, SPEC section 4)
 * and the control-character rule of SPEC section 2. Header-only, because
 * both the Check suites and the libFuzzer targets (which do not link
 * tests/testlib.c) include it.
 *
 * Threads: pure; any.
 */
#ifndef SIPEAT_TEXTCHECK_H
#define SIPEAT_TEXTCHECK_H

#include <stddef.h>

/* Strict UTF-8: no overlongs, surrogates, truncation or > U+10FFFF. */
static inline int
text_utf8_strict(const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i = 0, n, k;
	unsigned long		 cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * UTF-16 units of valid UTF-8, as JavaScript's .length: one per byte that
 * is not a continuation byte, one more per 4-byte lead (a surrogate pair).
 */
static inline size_t
text_units16(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
		if ((unsigned char)*s >= 0xf0)
			n++;
	}
	return n;
}

/* Whether s has a C0 or C1 control character other than tab and newline. */
static inline int
text_has_control(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s != '\0'; s++) {
		if ((*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			return 1;
		if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return 1;
	}
	return 0;
}

#endif
