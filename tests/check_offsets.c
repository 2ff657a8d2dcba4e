/*
 * check_offsets.c -- tests for the per-partition completion tracker.
 *
 * Fixed sequences pin exact watermark values (contiguous offsets, gaps,
 * invalid calls, reset); two randomized tests compare the tracker after
 * every offsets_done() with a naive reference computed from scratch. The
 * random seed is printed on failure; set OFFSETS_SEED to replay it.
 *
 * The hot loops test with if () + ck_abort_msg() rather than ck_assert_*:
 * each passing ck_assert records a mark point through Check's IPC, which
 * would dominate a test making a million comparisons.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "offsets.h"
#include "util.h"

/* Seed from OFFSETS_SEED, else from time and pid. */
static unsigned int
test_seed(void)
{
	const char	*s;

	s = getenv("OFFSETS_SEED");
	if (s != NULL)
		return (unsigned int)strtoul(s, NULL, 10);
	return (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16);
}

/*
 * Naive reference over n tracked offsets (increasing) and their done flags:
 * one past the largest offset o such that every tracked offset <= o is done,
 * -1 if none; *pending is the number not done.
 */
static int64_t
ref_committable(const int64_t *offs, const unsigned char *done, size_t n,
    size_t *pending)
{
	int64_t	 c = -1;
	size_t	 i, p = 0;

	for (i = 0; i < n && done[i]; i++)
		c = offs[i] + 1;
	for (i = 0; i < n; i++)
		p += !done[i];
	*pending = p;
	return c;
}

START_TEST(test_empty)
{
	struct offsets	*o = offsets_create();

	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_uint_eq(offsets_pending(o), 0);
	ck_assert_int_eq(offsets_done(o, 0), -1);
	ck_assert_int_eq(offsets_done(o, 5), -1);
	ck_assert_int_eq(offsets_committable(o), -1);
	offsets_destroy(o);
	offsets_destroy(NULL);
}
END_TEST

START_TEST(test_contiguous)
{
	struct offsets	*o = offsets_create();
	int64_t		 i;

	for (i = 0; i < 5; i++)
		ck_assert_int_eq(offsets_track(o, i), 0);
	ck_assert_uint_eq(offsets_pending(o), 5);

	ck_assert_int_eq(offsets_done(o, 1), 0);
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_uint_eq(offsets_pending(o), 4);

	ck_assert_int_eq(offsets_done(o, 0), 1);
	ck_assert_int_eq(offsets_committable(o), 2);
	ck_assert_uint_eq(offsets_pending(o), 3);

	ck_assert_int_eq(offsets_done(o, 3), 0);
	ck_assert_int_eq(offsets_committable(o), 2);

	ck_assert_int_eq(offsets_done(o, 2), 1);
	ck_assert_int_eq(offsets_committable(o), 4);
	ck_assert_uint_eq(offsets_pending(o), 1);

	ck_assert_int_eq(offsets_done(o, 4), 1);
	ck_assert_int_eq(offsets_committable(o), 5);
	ck_assert_uint_eq(offsets_pending(o), 0);

	/* Tracking more after a full drain continues from the watermark. */
	ck_assert_int_eq(offsets_track(o, 5), 0);
	ck_assert_int_eq(offsets_committable(o), 5);
	ck_assert_uint_eq(offsets_pending(o), 1);
	ck_assert_int_eq(offsets_done(o, 5), 1);
	ck_assert_int_eq(offsets_committable(o), 6);
	offsets_destroy(o);
}
END_TEST

START_TEST(test_start_high)
{
	struct offsets	*o = offsets_create();

	/* A partition assigned at offset 1000000: nothing below is awaited. */
	ck_assert_int_eq(offsets_track(o, 1000000), 0);
	ck_assert_int_eq(offsets_track(o, 1000001), 0);
	ck_assert_int_eq(offsets_done(o, 1000001), 0);
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_int_eq(offsets_done(o, 1000000), 1);
	ck_assert_int_eq(offsets_committable(o), 1000002);
	offsets_destroy(o);
}
END_TEST

START_TEST(test_gaps)
{
	struct offsets	*o = offsets_create();

	ck_assert_int_eq(offsets_track(o, 10), 0);
	ck_assert_int_eq(offsets_track(o, 11), 0);
	ck_assert_int_eq(offsets_track(o, 15), 0);
	ck_assert_int_eq(offsets_track(o, 20), 0);
	ck_assert_uint_eq(offsets_pending(o), 4);

	ck_assert_int_eq(offsets_done(o, 15), 0);
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_int_eq(offsets_done(o, 10), 1);
	ck_assert_int_eq(offsets_committable(o), 11);
	/* 11 done: 15 was already done, 12..14 were never received. */
	ck_assert_int_eq(offsets_done(o, 11), 1);
	ck_assert_int_eq(offsets_committable(o), 16);
	ck_assert_uint_eq(offsets_pending(o), 1);

	/* Offsets in a gap were never tracked. */
	ck_assert_int_eq(offsets_done(o, 12), -1);
	ck_assert_int_eq(offsets_done(o, 19), -1);
	ck_assert_int_eq(offsets_committable(o), 16);

	ck_assert_int_eq(offsets_done(o, 20), 1);
	ck_assert_int_eq(offsets_committable(o), 21);
	ck_assert_uint_eq(offsets_pending(o), 0);
	offsets_destroy(o);
}
END_TEST

START_TEST(test_invalid)
{
	struct offsets	*o = offsets_create();

	ck_assert_int_eq(offsets_track(o, 5), 0);
	ck_assert_int_eq(offsets_track(o, 5), -1);
	ck_assert_int_eq(offsets_track(o, 4), -1);
	ck_assert_int_eq(offsets_track(o, 7), 0);
	ck_assert_int_eq(offsets_track(o, 6), -1);
	ck_assert_int_eq(offsets_track(o, -1), -1);
	ck_assert_int_eq(offsets_track(o, INT64_MAX), -1);
	ck_assert_uint_eq(offsets_pending(o), 2);

	/* Untracked: below the first, in a gap, above the last. */
	ck_assert_int_eq(offsets_done(o, 4), -1);
	ck_assert_int_eq(offsets_done(o, 6), -1);
	ck_assert_int_eq(offsets_done(o, 8), -1);
	ck_assert_int_eq(offsets_done(o, INT64_MIN), -1);
	ck_assert_int_eq(offsets_done(o, INT64_MAX), -1);

	/* Duplicate while still in the window, then after it was popped. */
	ck_assert_int_eq(offsets_done(o, 7), 0);
	ck_assert_int_eq(offsets_done(o, 7), -1);
	ck_assert_uint_eq(offsets_pending(o), 1);
	ck_assert_int_eq(offsets_done(o, 5), 1);
	ck_assert_int_eq(offsets_committable(o), 8);
	ck_assert_int_eq(offsets_done(o, 5), -1);
	ck_assert_int_eq(offsets_done(o, 7), -1);
	ck_assert_uint_eq(offsets_pending(o), 0);

	/* The last offset is remembered after everything was popped. */
	ck_assert_int_eq(offsets_track(o, 7), -1);
	ck_assert_int_eq(offsets_track(o, 3), -1);
	ck_assert_int_eq(offsets_committable(o), 8);
	ck_assert_int_eq(offsets_track(o, 8), 0);
	offsets_destroy(o);
}
END_TEST

START_TEST(test_reset)
{
	struct offsets	*o = offsets_create();
	int64_t		 i;

	for (i = 100; i < 3000; i++)
		ck_assert_int_eq(offsets_track(o, i), 0);
	ck_assert_int_eq(offsets_done(o, 100), 1);
	ck_assert_int_eq(offsets_committable(o), 101);

	offsets_reset(o);
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_uint_eq(offsets_pending(o), 0);
	ck_assert_int_eq(offsets_done(o, 101), -1);

	/* Re-assigned from the start of the partition. */
	ck_assert_int_eq(offsets_track(o, 0), 0);
	ck_assert_int_eq(offsets_track(o, 51), 0);
	ck_assert_uint_eq(offsets_pending(o), 2);
	ck_assert_int_eq(offsets_done(o, 51), 0);
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_int_eq(offsets_done(o, 0), 1);
	ck_assert_int_eq(offsets_committable(o), 52);
	offsets_destroy(o);
}
END_TEST

/*
 * A slow head holds the watermark while the window grows past several ring
 * sizes, then the window drains at once and slides on (wraparound, shrink).
 */
START_TEST(test_slow_head)
{
	struct offsets	*o = offsets_create();
	int64_t		 i;

	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(offsets_track(o, i * 3), 0);
	for (i = 1; i < 10000; i++) {
		if (offsets_done(o, i * 3) != 0)
			ck_abort_msg("done %jd did not return 0",
			    (intmax_t)(i * 3));
	}
	ck_assert_int_eq(offsets_committable(o), -1);
	ck_assert_uint_eq(offsets_pending(o), 1);
	ck_assert_int_eq(offsets_done(o, 0), 1);
	ck_assert_int_eq(offsets_committable(o), 9999 * 3 + 1);
	ck_assert_uint_eq(offsets_pending(o), 0);

	/* Sliding window of 100 across many ring laps. */
	for (i = 30000; i < 30100; i++)
		ck_assert_int_eq(offsets_track(o, i), 0);
	for (i = 30100; i < 100000; i++) {
		if (offsets_track(o, i) != 0)
			ck_abort_msg("track %jd failed", (intmax_t)i);
		if (offsets_done(o, i - 100) != 1)
			ck_abort_msg("done %jd did not advance",
			    (intmax_t)(i - 100));
		if (offsets_committable(o) != i - 99)
			ck_abort_msg("committable %jd after done %jd",
			    (intmax_t)offsets_committable(o),
			    (intmax_t)(i - 100));
	}
	ck_assert_uint_eq(offsets_pending(o), 100);
	offsets_destroy(o);
}
END_TEST

/*
 * The brief's randomized test: 200 rounds; each tracks 1..5000 offsets with
 * random gaps and finishes them in random order, checking the tracker
 * against the naive reference after every offsets_done().
 */
START_TEST(test_random)
{
	unsigned int	 seed = test_seed();
	struct offsets	*o = offsets_create();
	int64_t		*offs, want, got, before, next;
	unsigned char	*done;
	size_t		*order, n, i, j, t, pending;
	int		 round, ret;

	srand(seed);
	offs = xreallocarray(NULL, 5000, sizeof *offs);
	done = xmalloc(5000);
	order = xreallocarray(NULL, 5000, sizeof *order);

	for (round = 0; round < 200; round++) {
		n = 1 + (size_t)rand() % 5000;
		/* Alternate between a fresh tracker and a reset one. */
		if (round % 2 == 0) {
			offsets_destroy(o);
			o = offsets_create();
		} else
			offsets_reset(o);

		next = rand() % 1000;
		for (i = 0; i < n; i++) {
			offs[i] = next;
			done[i] = 0;
			order[i] = i;
			if (offsets_track(o, next) != 0)
				ck_abort_msg("seed %u round %d: track %jd "
				    "failed", seed, round, (intmax_t)next);
			/* Mostly contiguous, sometimes a gap of up to 50. */
			next += (rand() % 4 == 0) ? 1 + rand() % 50 : 1;
		}
		if (offsets_pending(o) != n)
			ck_abort_msg("seed %u round %d: pending %zu, want %zu",
			    seed, round, offsets_pending(o), n);
		for (i = n - 1; i > 0; i--) {
			j = (size_t)rand() % (i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}

		for (i = 0; i < n; i++) {
			before = offsets_committable(o);
			ret = offsets_done(o, offs[order[i]]);
			done[order[i]] = 1;
			want = ref_committable(offs, done, n, &pending);
			got = offsets_committable(o);
			if (got != want)
				ck_abort_msg("seed %u round %d step %zu: "
				    "committable %jd, want %jd", seed, round, i,
				    (intmax_t)got, (intmax_t)want);
			if (offsets_pending(o) != pending)
				ck_abort_msg("seed %u round %d step %zu: "
				    "pending %zu, want %zu", seed, round, i,
				    offsets_pending(o), pending);
			if (ret != (got != before))
				ck_abort_msg("seed %u round %d step %zu: "
				    "done returned %d", seed, round, i, ret);
		}
		ck_assert_int_eq(offsets_committable(o), offs[n - 1] + 1);
		ck_assert_uint_eq(offsets_pending(o), 0);
	}
	free(order);
	free(done);
	free(offs);
	offsets_destroy(o);
}
END_TEST

/*
 * As the consumer thread uses it: receiving and finishing interleave, so
 * the window slides, wraps around the ring, grows and shrinks. Every
 * finished offset is checked against the naive reference.
 */
START_TEST(test_random_interleaved)
{
	enum { TOTAL = 20000 };
	unsigned int	 seed = test_seed();
	struct offsets	*o = offsets_create();
	int64_t		*offs, want, next = 0;
	unsigned char	*done;
	size_t		*live, nlive = 0, ntracked = 0, i, k, pending;
	int		 ret;

	srand(seed);
	offs = xreallocarray(NULL, TOTAL, sizeof *offs);
	done = xcalloc(TOTAL, 1);
	live = xreallocarray(NULL, TOTAL, sizeof *live);

	while (ntracked < TOTAL || nlive > 0) {
		/* Bursts of receiving, then of finishing, of varying size. */
		if (ntracked < TOTAL && (nlive == 0 || rand() % 3 != 0)) {
			k = 1 + (size_t)rand() % 200;
			while (k-- > 0 && ntracked < TOTAL) {
				next += (rand() % 5 == 0) ? 2 + rand() % 9 : 1;
				if (offsets_track(o, next) != 0)
					ck_abort_msg("seed %u: track %jd "
					    "failed", seed, (intmax_t)next);
				offs[ntracked] = next;
				live[nlive++] = ntracked++;
			}
			continue;
		}
		k = 1 + (size_t)rand() % 300;
		while (k-- > 0 && nlive > 0) {
			/* Finish mostly old events, sometimes any. */
			if (rand() % 2 == 0)
				i = (size_t)rand() % (nlive < 8 ? nlive : 8);
			else
				i = (size_t)rand() % nlive;
			ret = offsets_done(o, offs[live[i]]);
			if (ret == -1)
				ck_abort_msg("seed %u: done %jd returned -1",
				    seed, (intmax_t)offs[live[i]]);
			done[live[i]] = 1;
			live[i] = live[--nlive];
			/* Keep live[] oldest-first for the bias above. */
			for (; i + 1 < nlive && live[i] > live[i + 1]; i++) {
				size_t t = live[i];

				live[i] = live[i + 1];
				live[i + 1] = t;
			}
			want = ref_committable(offs, done, ntracked, &pending);
			if (offsets_committable(o) != want)
				ck_abort_msg("seed %u: committable %jd, "
				    "want %jd", seed,
				    (intmax_t)offsets_committable(o),
				    (intmax_t)want);
			if (offsets_pending(o) != pending)
				ck_abort_msg("seed %u: pending %zu, want %zu",
				    seed, offsets_pending(o), pending);
		}
	}
	ck_assert_int_eq(offsets_committable(o), next + 1);
	ck_assert_uint_eq(offsets_pending(o), 0);
	free(live);
	free(done);
	free(offs);
	offsets_destroy(o);
}
END_TEST

Suite *
suite_offsets(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("offsets");

	tc = tcase_create("fixed");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_contiguous);
	tcase_add_test(tc, test_start_high);
	tcase_add_test(tc, test_gaps);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_slow_head);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	/* The naive reference is O(n) per step; slow under sanitizers. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_random_interleaved);
	suite_add_tcase(s, tc);

	return s;
}
