/*
 * utf8.h -- the one UTF-8 toolkit of sipeatd: strict validation (RFC
 * 3629), lengths in code points and in UTF-16 code units (what
 * JavaScript's .length, discord.js and Discord's validators count), and
 * cuts that never split a UTF-8 sequence or a surrogate pair.
 *
 * Every function takes an explicit byte length, so a NUL inside the text
 * (JSON's "\u0000") is a character like any other, never an end. An
 * ill-formed byte counts as one U+FFFD (one code point, one UTF-16 unit):
 * what the writers that clean text put in its place. Pure: any thread.
 *
 * Threads: any (pure functions).
 */
#ifndef SIPEAT_UTF8_H
#define SIPEAT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define UTF8_REPLACEMENT	0xfffdu		/* U+FFFD REPLACEMENT CHARACTER */
#define UTF8_REPLACEMENT_STR	"\xef\xbf\xbd"
#define UTF8_INVALID		0x110000u	/* decoded from an ill-formed byte */

/* What a length or a cut counts. */
enum utf8_unit {
	UTF8_CODEPOINTS,	/* Unicode scalar values */
	UTF8_UTF16,		/* UTF-16 code units: 2 above U+FFFF, else 1 */
};

/* UTF-16 code units of code point cp (UTF8_INVALID counts as U+FFFD). */
static inline size_t
utf8_cp_units16(uint32_t cp)
{
	return cp > 0xffffu && cp != UTF8_INVALID ? 2 : 1;
}

/*
 * Decodes the code point at s (len > 0 bytes available). Returns the bytes
 * it takes (1 to 4) and stores it in *cp; an ill-formed or truncated
 * sequence gives 1 byte and *cp UTF8_INVALID (no overlong forms, no
 * surrogates, nothing above U+10FFFF). len 0 returns 0.
 */
size_t		 utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Writes cp (a scalar value; anything else as U+FFFD) to out, 1-4 bytes. */
size_t		 utf8_encode(char *out, uint32_t cp);
/* 1 if s (len bytes) is well-formed UTF-8, else 0. */
int		 utf8_valid(const char *s, size_t len);
/* Code points in s (len bytes). */
size_t		 utf8_len(const char *s, size_t len);
/* UTF-16 code units in s (len bytes); never fewer than utf8_len(). */
size_t		 utf8_len16(const char *s, size_t len);
/*
 * Bytes of the longest prefix of s (len bytes) that holds at most max
 * units (code points or UTF-16 units), ending on a character boundary: a
 * 4-byte sequence (a surrogate pair in UTF-16) that would pass max is
 * left out whole. *count (if not NULL) gets the units of that prefix.
 */
size_t		 utf8_cut(const char *s, size_t len, size_t max,
		     enum utf8_unit unit, size_t *count);
/*
 * Bytes of the longest prefix of s (len bytes) of at most max bytes that
 * does not end inside a UTF-8 sequence (for fixed-size buffers).
 */
size_t		 utf8_cut_bytes(const char *s, size_t len, size_t max);

#endif
