/*
 * check_job.c -- tests for the job (job.h): the gate key each ordering
 * gives, the key gate's node and back, and the completion stack handing
 * jobs back oldest first with their finished flag and without their
 * message.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "job.h"

/* Stand-ins for two partitions: only their addresses count. */
static int part_a, part_b;
#define PART(x)	((struct partition *)(void *)&(x))

START_TEST(test_partition_key)
{
	struct job *j1 = job_create(NULL, PART(part_a), 3, ORDERING_PARTITION);
	struct job *j2 = job_create(NULL, PART(part_a), 3, ORDERING_PARTITION);
	struct job *j3 = job_create(NULL, PART(part_b), 3, ORDERING_PARTITION);
	const void *k1, *k2, *k3;
	size_t l1, l2, l3;

	k1 = job_key(j1, &l1);
	k2 = job_key(j2, &l2);
	k3 = job_key(j3, &l3);
	ck_assert_ptr_nonnull(k1);
	ck_assert_uint_eq(l1, sizeof(struct partition *));
	ck_assert_uint_eq(l2, l1);
	ck_assert_uint_eq(l3, l1);
	/* Same partition, same key bytes; another partition, other bytes. */
	ck_assert_mem_eq(k1, k2, l1);
	ck_assert_int_ne(memcmp(k1, k3, l1), 0);
	ck_assert_ptr_eq(job_partition(j1), PART(part_a));
	ck_assert_uint_eq(job_gen(j1), 3);
	job_free(j1);
	job_free(j2);
	job_free(j3);
}
END_TEST

START_TEST(test_no_key)
{
	struct job *j1 = job_create(NULL, PART(part_a), 0, ORDERING_NONE);
	/* No message key (here: no message): no order to keep. */
	struct job *j2 = job_create(NULL, PART(part_a), 0, ORDERING_KEY);
	size_t len = 99;

	ck_assert_ptr_null(job_key(j1, &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(job_key(j2, &len));
	ck_assert_ptr_null(job_message(j1));
	job_free(j1);
	job_free(j2);
}
END_TEST

START_TEST(test_gate_node)
{
	struct job *job = job_create(NULL, NULL, 0, ORDERING_NONE);
	struct keygate_node *node = job_gate(job);

	ck_assert_ptr_nonnull(node);
	ck_assert_ptr_eq(job_from_gate(node), job);
	job_free(job);
}
END_TEST

START_TEST(test_stack_oldest_first)
{
	struct job_stack done = { NULL };
	struct job *jobs[5], *got;

	ck_assert_ptr_null(job_stack_take(&done));
	for (int i = 0; i < 5; i++) {
		jobs[i] = job_create(NULL, NULL, 0, ORDERING_NONE);
		job_complete(&done, jobs[i], i % 2);
	}
	got = job_stack_take(&done);
	for (int i = 0; i < 5; i++) {
		ck_assert_ptr_eq(got, jobs[i]);
		ck_assert_int_eq(job_finished(got), i % 2);
		ck_assert_ptr_null(job_message(got));
		got = job_next(got);
	}
	ck_assert_ptr_null(got);
	ck_assert_ptr_null(job_stack_take(&done));
	for (int i = 0; i < 5; i++)
		job_free(jobs[i]);
}
END_TEST

/*
 * Threaded: four workers complete STACK_JOBS jobs each while the consumer
 * takes concurrently. Every job comes back exactly once, each worker's in
 * the order it completed them (gen is the worker's sequence number, the
 * partition stands for the worker). Under TSan (make check-tsan) a
 * hand-off without release/acquire is also a reported race.
 */
#define STACK_WORKERS	4
#define STACK_JOBS	50000

static int stack_part[STACK_WORKERS];

struct stack_worker {
	struct job_stack	*done;
	int			 id;
	_Atomic int		*finished;	/* workers done pushing */
};

static void *
stack_worker_main(void *arg)
{
	struct stack_worker *w = arg;

	for (uint32_t i = 0; i < STACK_JOBS; i++) {
		struct job *job = job_create(NULL, PART(stack_part[w->id]), i,
		    ORDERING_NONE);

		job_complete(w->done, job, (int)(i & 1));
	}
	atomic_fetch_add(w->finished, 1);
	return NULL;
}

START_TEST(test_stack_threads)
{
	struct job_stack done = { NULL };
	struct stack_worker w[STACK_WORKERS];
	pthread_t t[STACK_WORKERS];
	_Atomic int finished = 0;
	uint32_t next[STACK_WORKERS] = { 0 };
	size_t got = 0, bad = 0;
	int last = 0;

	for (int i = 0; i < STACK_WORKERS; i++) {
		w[i].done = &done;
		w[i].id = i;
		w[i].finished = &finished;
		ck_assert_int_eq(pthread_create(&t[i], NULL, stack_worker_main,
		    &w[i]), 0);
	}
	while (!last) {
		struct job *job;

		/* One more take after the last worker is done. */
		last = atomic_load(&finished) == STACK_WORKERS;
		job = job_stack_take(&done);
		while (job != NULL) {
			struct job *nx = job_next(job);
			int id = (int)((int *)(void *)job_partition(job) -
			    stack_part);

			if (id < 0 || id >= STACK_WORKERS ||
			    job_gen(job) != next[id] ||
			    job_finished(job) != (int)(job_gen(job) & 1))
				bad++;
			else
				next[id]++;
			got++;
			job_free(job);
			job = nx;
		}
	}
	for (int i = 0; i < STACK_WORKERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(got, (size_t)STACK_WORKERS * STACK_JOBS);
	for (int i = 0; i < STACK_WORKERS; i++)
		ck_assert_uint_eq(next[i], STACK_JOBS);
}
END_TEST

Suite *
suite_job(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_partition_key);
	tcase_add_test(tc, test_no_key);
	tcase_add_test(tc, test_gate_node);
	tcase_add_test(tc, test_stack_oldest_first);
	tcase_add_test(tc, test_stack_threads);
	suite_add_tcase(s, tc);
	return s;
}
