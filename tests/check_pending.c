/*
 * check_pending.c -- tests for the consumer's pending list.
 *
 * The push callbacks stand in for the queue and the worker behind it: the
 * "worker" callback gives the job back to a completion stack the moment
 * it takes it (job_complete(), which reuses the job's link), as a worker
 * that ran the job does. The list must not follow that link.
 */
#include <stddef.h>

#include <check.h>

#include "pending.h"

#define NJOBS	4

static struct job *jobs[NJOBS];

static void
setup(void)
{
	for (int i = 0; i < NJOBS; i++)
		jobs[i] = job_create(NULL, NULL, 0, ORDERING_NONE);
}

static void
teardown(void)
{
	for (int i = 0; i < NJOBS; i++)
		job_free(jobs[i]);
}

/* A full queue: takes nothing. */
static int
push_refuse(void *arg, struct job *job)
{
	(void)arg;
	(void)job;
	return -1;
}

/*
 * A queue whose worker runs the job at once and gives it back to a
 * completion stack (arg) before the push returns.
 */
static int
push_then_complete(void *arg, struct job *job)
{
	job_complete(arg, job, 1);
	return 0;
}

START_TEST(test_fifo)
{
	struct pending pl = { 0 };

	ck_assert_ptr_null(pending_take(&pl));
	for (int i = 0; i < 3; i++)
		pending_append(&pl, jobs[i]);
	ck_assert_uint_eq(pl.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_eq(pending_take(&pl), jobs[i]);
	ck_assert_ptr_null(pending_take(&pl));
	ck_assert_ptr_null(pl.tail);
	ck_assert_uint_eq(pl.n, 0);
	/* Usable again after it ran empty. */
	pending_append(&pl, jobs[1]);
	ck_assert_ptr_eq(pl.head, jobs[1]);
	ck_assert_ptr_eq(pl.tail, jobs[1]);
}
END_TEST

START_TEST(test_refused_push_keeps_the_list)
{
	struct pending pl = { 0 };

	ck_assert_int_eq(pending_push_head(&pl, push_refuse, NULL), -1);
	pending_append(&pl, jobs[0]);
	pending_append(&pl, jobs[1]);
	ck_assert_int_eq(pending_push_head(&pl, push_refuse, NULL), -1);
	ck_assert_ptr_eq(pl.head, jobs[0]);
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
	struct job_stack done = { NULL };
	struct job *finished = job_create(NULL, NULL, 0, ORDERING_NONE);
	struct job *got;
	int n = 0;

	job_complete(&done, finished, 1);	/* an earlier completion */
	for (int i = 0; i < NJOBS; i++)
		pending_append(&pl, jobs[i]);
	while (pending_push_head(&pl, push_then_complete, &done) == 0)
		ck_assert_int_lt(n++, NJOBS);
	ck_assert_int_eq(n, NJOBS);
	ck_assert_ptr_null(pl.head);
	ck_assert_ptr_null(pl.tail);
	ck_assert_uint_eq(pl.n, 0);
	/* Every job reached the stack once, in order, after the old one. */
	got = job_stack_take(&done);
	ck_assert_ptr_eq(got, finished);
	for (int i = 0; i < NJOBS; i++) {
		got = job_next(got);
		ck_assert_ptr_eq(got, jobs[i]);
	}
	ck_assert_ptr_null(job_next(got));
	job_free(finished);
}
END_TEST

Suite *
suite_pending(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_refused_push_keeps_the_list);
	tcase_add_test(tc, test_successor_read_before_push);
	suite_add_tcase(s, tc);
	return s;
}
