/*
 * check_pending.c -- tests for the consumer's pending list.
 *
 * The push callbacks stand in for the queue and the worker behind it: the
 * "worker" callback reuses the job's next link the moment it takes the job,
 * as a worker that ran the job and pushed it onto the completion stack
 * does. The list must not follow that link.
 */
#include <stddef.h>

#include <check.h>

#include "pending.h"

/* A full queue: takes nothing. */
static int
push_refuse(void *arg, struct job *job)
{
	(void)arg;
	(void)job;
	return -1;
}

/*
 * A queue whose worker runs the job at once and links it into a
 * completion stack (arg) before the push returns.
 */
static int
push_then_complete(void *arg, struct job *job)
{
	struct job **done = arg;

	job->next = *done;
	*done = job;
	return 0;
}

START_TEST(test_fifo)
{
	struct pending pl = { 0 };
	struct job jobs[3] = { 0 };

	ck_assert_ptr_null(pending_take(&pl));
	for (int i = 0; i < 3; i++)
		pending_append(&pl, &jobs[i]);
	ck_assert_uint_eq(pl.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_eq(pending_take(&pl), &jobs[i]);
	ck_assert_ptr_null(pending_take(&pl));
	ck_assert_ptr_null(pl.tail);
	ck_assert_uint_eq(pl.n, 0);
	/* Usable again after it ran empty. */
	pending_append(&pl, &jobs[1]);
	ck_assert_ptr_eq(pl.head, &jobs[1]);
	ck_assert_ptr_eq(pl.tail, &jobs[1]);
}
END_TEST

START_TEST(test_refused_push_keeps_the_list)
{
	struct pending pl = { 0 };
	struct job jobs[2] = { 0 };

	ck_assert_int_eq(pending_push_head(&pl, push_refuse, NULL), -1);
	pending_append(&pl, &jobs[0]);
	pending_append(&pl, &jobs[1]);
	ck_assert_int_eq(pending_push_head(&pl, push_refuse, NULL), -1);
	ck_assert_ptr_eq(pl.head, &jobs[0]);
	ck_assert_uint_eq(pl.n, 2);
}
END_TEST

/*
 * The regression: the head's successor must be read before the push. A
 * list that read it after followed the completion stack's link: a
 * finished job was queued again (and run after it was freed) and the
 * jobs behind the head were lost.
 */
START_TEST(test_successor_read_before_push)
{
	struct pending pl = { 0 };
	struct job finished = { 0 }, jobs[4] = { 0 };
	struct job *done = &finished;	/* an earlier completion */
	struct job *got[4];
	int n = 0;

	for (int i = 0; i < 4; i++)
		pending_append(&pl, &jobs[i]);
	while (pending_push_head(&pl, push_then_complete, &done) == 0)
		ck_assert_int_lt(n++, 4);
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_null(pl.head);
	ck_assert_ptr_null(pl.tail);
	ck_assert_uint_eq(pl.n, 0);
	/* Every job reached the queue once, in order; the old one never. */
	for (int i = 0; i < 4; i++) {
		got[i] = done;
		done = done->next;
	}
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_eq(got[i], &jobs[3 - i]);
	ck_assert_ptr_eq(done, &finished);
}
END_TEST

Suite *
suite_pending(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_refused_push_keeps_the_list);
	tcase_add_test(tc, test_successor_read_before_push);
	suite_add_tcase(s, tc);
	return s;
}
