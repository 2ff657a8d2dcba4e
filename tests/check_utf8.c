/*
 * check_utf8.c -- tests for utf8.c (issue 9 item 13): strict validation,
 * decoding, lengths in code points and in UTF-16 units (checked against
 * what JavaScript's .length gives for the same text), and cuts that never
 * split a UTF-8 sequence or a surrogate pair, with a NUL inside the text
 * counted like any other character.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define EMOJI	"\xf0\x9f\x98\x80"	/* U+1F600: 4 bytes, 1 cp, 2 UTF-16 units */
#define CJK	"\xe6\xbc\xa2"		/* U+6F22: 3 bytes, 1 unit */
#define E_ACUTE	"\xc3\xa9"		/* U+00E9: 2 bytes, 1 unit */
#define WARN	"\xe2\x9a\xa0\xef\xb8\x8f"	/* "⚠️": U+26A0 U+FE0F */
#define FAMILY	"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"
					/* 👨‍👩‍👧: 5 cps, 8 UTF-16 units */

/* Both lengths of a NUL-free literal. */
#define LEN(s)		utf8_len((s), strlen(s))
#define LEN16(s)	utf8_len16((s), strlen(s))

START_TEST(test_valid)
{
	static const char *const good[] = {
		"", "abc", E_ACUTE CJK EMOJI, "\xf4\x8f\xbf\xbf", "\xef\xbf\xbd",
		"\xed\x9f\xbf", "\xee\x80\x80", FAMILY,
		"0123456789abcdef0123456789abcdef" EMOJI "0123456789",
	};
	static const char *const bad[] = {
		"\xff", "\xfe", "\x80", "\xbf",
		"\xc0\xaf", "\xc1\xbf", "\xc0\x80",		/* overlong */
		"\xe0\x80\xaf", "\xe0\x9f\xbf",
		"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf",		/* surrogates */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80",	/* > U+10FFFF */
		"\xe2\x82", "\xf0\x9f\x98", "\xc3",		/* truncated */
		"abcdefgh\xe2\x82" "abcdefgh",
		"\xc3\x28", "\xe2\x28\xa1",
	};
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(utf8_valid(good[i], strlen(good[i])), "good %zu", i);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(!utf8_valid(bad[i], strlen(bad[i])), "bad %zu", i);
	/* A NUL is a character; the length given decides, not the NUL. */
	ck_assert(utf8_valid("a\0b", 3));
	ck_assert(!utf8_valid("a\0\xff", 3));
	ck_assert(utf8_valid("\xe2\x82\xac", 3));
	ck_assert(!utf8_valid("\xe2\x82\xac", 2));
}
END_TEST

START_TEST(test_decode_encode)
{
	uint32_t cp;
	char buf[4];
	uint32_t cps[] = { 0, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xfffd, 0xffff,
	    0x10000, 0x1f600, 0x10ffff };
	size_t i, n;

	ck_assert_uint_eq(utf8_decode("", 0, &cp), 0);
	ck_assert_uint_eq(utf8_decode(EMOJI, 4, &cp), 4);
	ck_assert_uint_eq(cp, 0x1f600);
	ck_assert_uint_eq(utf8_decode(EMOJI, 3, &cp), 1);	/* truncated */
	ck_assert_uint_eq(cp, UTF8_INVALID);
	ck_assert_uint_eq(utf8_decode("\xed\xa0\x80", 3, &cp), 1);
	ck_assert_uint_eq(cp, UTF8_INVALID);
	ck_assert_uint_eq(utf8_decode("\0x", 2, &cp), 1);
	ck_assert_uint_eq(cp, 0);
	for (i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		n = utf8_encode(buf, cps[i]);
		ck_assert_uint_eq(utf8_decode(buf, n, &cp), n);
		ck_assert_uint_eq(cp, cps[i]);
	}
	/* Not a scalar value: written as U+FFFD. */
	ck_assert_uint_eq(utf8_encode(buf, 0xd800), 3);
	ck_assert_int_eq(memcmp(buf, UTF8_REPLACEMENT_STR, 3), 0);
	ck_assert_uint_eq(utf8_encode(buf, UTF8_INVALID), 3);
	ck_assert_int_eq(memcmp(buf, UTF8_REPLACEMENT_STR, 3), 0);
}
END_TEST

START_TEST(test_len)
{
	ck_assert_uint_eq(LEN(""), 0);
	ck_assert_uint_eq(LEN("abc"), 3);
	ck_assert_uint_eq(LEN(E_ACUTE CJK EMOJI), 3);
	ck_assert_uint_eq(LEN(WARN), 2);
	ck_assert_uint_eq(LEN(FAMILY), 5);
	/* Each ill-formed byte is one U+FFFD. */
	ck_assert_uint_eq(LEN("\xff\xfe"), 2);
	ck_assert_uint_eq(LEN("\xe2\x82" "a"), 3);
	ck_assert_uint_eq(LEN("\xc0\xaf"), 2);
	ck_assert_uint_eq(LEN("\xe0\x80\xaf"), 3);
	ck_assert_uint_eq(LEN("\xf0\x80\x80\xaf"), 4);
	ck_assert_uint_eq(LEN("\xed\xa0\x80"), 3);
	ck_assert_uint_eq(LEN("\xf4\x90\x80\x80"), 4);
	ck_assert_uint_eq(LEN("\xf4\x8f\xbf\xbf"), 1);
	ck_assert_uint_eq(utf8_len("a\0b", 3), 3);
}
END_TEST

/*
 * UTF-16 units, as JavaScript's .length: "😀".length == 2,
 * "👨‍👩‍👧".length == 8, "⚠️".length == 2, "é".length == 1.
 */
START_TEST(test_len16)
{
	char *s;
	size_t i;

	ck_assert_uint_eq(LEN16(""), 0);
	ck_assert_uint_eq(LEN16("abc"), 3);
	ck_assert_uint_eq(LEN16(EMOJI), 2);
	ck_assert_uint_eq(LEN16(E_ACUTE CJK EMOJI), 4);
	ck_assert_uint_eq(LEN16(WARN), 2);
	ck_assert_uint_eq(LEN16(FAMILY), 8);
	ck_assert_uint_eq(LEN16("\xf4\x8f\xbf\xbf"), 2);	/* U+10FFFF */
	ck_assert_uint_eq(LEN16("\xef\xbf\xbf"), 1);		/* U+FFFF */
	/* Ill-formed bytes: one U+FFFD (one unit) each, even 4-byte leads. */
	ck_assert_uint_eq(LEN16("\xf0\x9f\x98"), 3);
	ck_assert_uint_eq(LEN16("\xf4\x90\x80\x80"), 4);
	ck_assert_uint_eq(utf8_len16("a\0" EMOJI, 6), 4);
	/* The case: 1,024 emoji are 2,048 units, never 1,024. */
	s = malloc(4 * 1024 + 1);
	for (i = 0; i < 1024; i++)
		memcpy(s + 4 * i, EMOJI, 4);
	ck_assert_uint_eq(utf8_len(s, 4 * 1024), 1024);
	ck_assert_uint_eq(utf8_len16(s, 4 * 1024), 2048);
	free(s);
}
END_TEST

START_TEST(test_cut_codepoints)
{
	const char *s = "a" EMOJI CJK "b";
	size_t n;

	ck_assert_uint_eq(utf8_cut(s, strlen(s), 0, UTF8_CODEPOINTS, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(utf8_cut(s, strlen(s), 1, UTF8_CODEPOINTS, &n), 1);
	ck_assert_uint_eq(utf8_cut(s, strlen(s), 2, UTF8_CODEPOINTS, &n), 5);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(utf8_cut(s, strlen(s), 3, UTF8_CODEPOINTS, &n), 8);
	ck_assert_uint_eq(utf8_cut(s, strlen(s), 4, UTF8_CODEPOINTS, &n), 9);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(utf8_cut(s, strlen(s), 99, UTF8_CODEPOINTS, &n), 9);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(utf8_cut("ab\0cd", 5, 4, UTF8_CODEPOINTS, NULL), 4);
	/* Ill-formed bytes are single units, cut between. */
	ck_assert_uint_eq(utf8_cut("\xe2\x82x", 3, 1, UTF8_CODEPOINTS, NULL), 1);
}
END_TEST

START_TEST(test_cut_utf16_never_splits_pair)
{
	const char *s = "a" EMOJI "b";
	char buf[8 * 4 + 16];
	size_t n, i, len;

	/* "a😀b": 4 units; at 2 the pair does not fit and stays whole. */
	ck_assert_uint_eq(utf8_cut(s, 6, 1, UTF8_UTF16, &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(utf8_cut(s, 6, 2, UTF8_UTF16, &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(utf8_cut(s, 6, 3, UTF8_UTF16, &n), 5);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(utf8_cut(s, 6, 4, UTF8_UTF16, &n), 6);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(utf8_cut(EMOJI, 4, 1, UTF8_UTF16, &n), 0);
	ck_assert_uint_eq(n, 0);

	/* Every limit over a run of emoji ends on a sequence boundary. */
	for (i = 0; i < 8; i++)
		memcpy(buf + 4 * i, EMOJI, 4);
	for (i = 0; i <= 17; i++) {
		len = utf8_cut(buf, 32, i, UTF8_UTF16, &n);
		ck_assert_uint_eq(len % 4, 0);
		ck_assert_uint_eq(n, (i < 16 ? i : 16) / 2 * 2);
		ck_assert(utf8_valid(buf, len));
	}
	/* Past the ASCII fast path too. */
	memset(buf, 'x', 13);
	memcpy(buf + 13, EMOJI, 4);
	ck_assert_uint_eq(utf8_cut(buf, 17, 14, UTF8_UTF16, &n), 13);
	ck_assert_uint_eq(n, 13);
	ck_assert_uint_eq(utf8_cut(buf, 17, 15, UTF8_UTF16, &n), 17);
	ck_assert_uint_eq(n, 15);
	ck_assert_uint_eq(utf8_cut(buf, 17, 9, UTF8_UTF16, &n), 9);
}
END_TEST

START_TEST(test_cut_bytes)
{
	const char *s = "ab" CJK EMOJI;	/* 2 + 3 + 4 bytes */

	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 100), 9);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 9), 9);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 8), 5);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 5), 5);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 4), 2);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 2), 2);
	ck_assert_uint_eq(utf8_cut_bytes(s, 9, 0), 0);
	/* A run of stray continuation bytes: cut anywhere, each is one. */
	ck_assert_uint_eq(utf8_cut_bytes("\x80\x80\x80\x80", 4, 2), 2);
}
END_TEST

Suite *
suite_utf8(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("utf8");

	tcase_add_test(tc, test_valid);
	tcase_add_test(tc, test_decode_encode);
	tcase_add_test(tc, test_len);
	tcase_add_test(tc, test_len16);
	tcase_add_test(tc, test_cut_codepoints);
	tcase_add_test(tc, test_cut_utf16_never_splits_pair);
	tcase_add_test(tc, test_cut_bytes);
	suite_add_tcase(s, tc);
	return s;
}
