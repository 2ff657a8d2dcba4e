/*
 * check_util.c -- tests for util.c's string helpers that run per event
 * (issue 11 item 3 took stdio off them): str_copy() cuts and terminates
 * like snprintf "%s", str_msgid() writes the fallback event id
 * "TOPIC/PARTITION/OFFSET" exactly as snprintf with PRId32/PRId64 did,
 * extremes and cuts included; xasprintf() through its per-thread buffer.
 */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

START_TEST(test_str_copy)
{
	char buf[8], ref[8];
	static const char *const src[] = { "", "a", "abcdefg", "abcdefgh",
	    "abcdefghijklmnop" };

	for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
		for (size_t size = 1; size <= sizeof buf; size++) {
			memset(buf, 'x', sizeof buf);
			memset(ref, 'x', sizeof ref);
			snprintf(ref, size, "%s", src[i]);
			ck_assert_ptr_eq(str_copy(buf, src[i], size), buf);
			ck_assert_mem_eq(buf, ref, sizeof buf);
		}
	}
	/* size 0 writes nothing. */
	memset(buf, 'x', sizeof buf);
	str_copy(buf, "abc", 0);
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

START_TEST(test_str_msgid)
{
	static const struct {
		const char	*topic;
		int32_t		 partition;
		int64_t		 offset;
	} c[] = {
		{ "sipeat.contact.events", 0, 0 },
		{ "t", 5, 1234567 },
		{ "", -1, -1 },
		{ "x", INT32_MAX, INT64_MAX },
		{ "y", INT32_MIN, INT64_MIN },
		{ "sipeat.request.events", 17, 9000000000000000000 },
	};
	char buf[256], ref[256];

	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		/* Every size, the cut ones too, against snprintf's text. */
		for (size_t size = 1; size <= 64; size++) {
			memset(buf, 'x', sizeof buf);
			memset(ref, 'x', sizeof ref);
			snprintf(ref, size, "%s/%" PRId32 "/%" PRId64,
			    c[i].topic, c[i].partition, c[i].offset);
			ck_assert_ptr_eq(str_msgid(buf, size, c[i].topic,
			    c[i].partition, c[i].offset), buf);
			ck_assert_mem_eq(buf, ref, sizeof buf);
		}
	}
	ck_assert_str_eq(str_msgid(buf, sizeof buf, "sipeat.machine.events",
	    3, 42), "sipeat.machine.events/3/42");
}
END_TEST

/* One xasprintf() of a text of len bytes (a run of 'x' and a tail). */
static void
check_fmt(size_t len)
{
	char *big = xmalloc(len + 1), *got;

	memset(big, 'x', len);
	big[len] = '\0';
	if (len >= 3)
		memcpy(big + len - 3, "end", 3);
	got = xasprintf("%.*s", (int)len, big);
	ck_assert_uint_eq(strlen(got), len);
	ck_assert_str_eq(got, big);
	free(got);
	got = xasprintf("<%s|%d>", big, (int)len);
	ck_assert_uint_eq(strlen(got), len + 3 + (size_t)snprintf(NULL, 0,
	    "%d", (int)len));
	ck_assert(strncmp(got + 1, big, len) == 0);
	free(got);
	free(big);
}

static void *
fmt_thread(void *arg)
{
	static const size_t lens[] = { 0, 1, 100, 8191, 8192, 8193, 20000,
	    300000, 5, 8191, 30000 };

	(void)arg;
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		check_fmt(lens[i]);
	return NULL;
}

/*
 * xasprintf() formats through a buffer kept per thread: texts shorter,
 * as long as and longer than it ever was (it grows, up to a bound),
 * on several threads at once, each its own.
 */
START_TEST(test_xasprintf)
{
	pthread_t t[3];
	char *s = xasprintf("%s-%d", "a", 7);

	ck_assert_str_eq(s, "a-7");
	free(s);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, fmt_thread, NULL), 0);
	fmt_thread(NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
}
END_TEST

Suite *
suite_util(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("strings");

	tcase_add_test(tc, test_str_copy);
	tcase_add_test(tc, test_str_msgid);
	tcase_add_test(tc, test_xasprintf);
	suite_add_tcase(s, tc);
	return s;
}
