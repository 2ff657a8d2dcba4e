/*
 * check_queue.c -- unit tests for the bounded MPMC queue (src/queue.c):
 * capacity rules, full/empty, FIFO across many wrap-arounds, depth, the
 * blocking layer (timeouts, close, push_wait on a full queue) and threaded
 * stress runs checking that every item arrives exactly once and that a single
 * producer's items arrive in order. Meant to run under ThreadSanitizer too.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "queue.h"
#include "util.h"

#define ITEM(i)		((void *)(uintptr_t)(i))
#define VALUE(p)	((uintptr_t)(p))

START_TEST(test_create_rejects)
{
	static const size_t	 bad[] = { 0, 1, 3, 5, 6, 12, 1000, 1025 };
	static const size_t	 good[] = { 2, 4, 8, 1024, 65536 };
	struct queue		*q;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_ptr_null(queue_create(bad[i]));
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		q = queue_create(good[i]);
		ck_assert_ptr_nonnull(q);
		ck_assert_uint_eq(queue_capacity(q), good[i]);
		ck_assert_uint_eq(queue_depth(q), 0);
		ck_assert_int_eq(queue_closed(q), 0);
		queue_destroy(q);
	}
}
END_TEST

START_TEST(test_full_empty)
{
	struct queue	*q = queue_create(4);
	void		*item = ITEM(99);
	uintptr_t	 i;

	ck_assert_int_eq(queue_try_pop(q, &item), -1);
	ck_assert_ptr_eq(item, ITEM(99));
	for (i = 1; i <= 4; i++) {
		ck_assert_int_eq(queue_try_push(q, ITEM(i)), 0);
		ck_assert_uint_eq(queue_depth(q), i);
	}
	ck_assert_int_eq(queue_try_push(q, ITEM(5)), -1);
	ck_assert_uint_eq(queue_depth(q), 4);
	for (i = 1; i <= 4; i++) {
		ck_assert_int_eq(queue_try_pop(q, &item), 0);
		ck_assert_uint_eq(VALUE(item), i);
		ck_assert_uint_eq(queue_depth(q), 4 - i);
	}
	ck_assert_int_eq(queue_try_pop(q, &item), -1);
	ck_assert_uint_eq(queue_depth(q), 0);
	queue_destroy(q);
}
END_TEST

/*
 * The hot loops below test with if() and fail with ck_abort_msg: in fork
 * mode every passing ck_assert is a message to the parent, which would make
 * a million checks take seconds.
 */
#define FAIL_UNLESS(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond); \
} while (0)

START_TEST(test_wraparound_fifo)
{
	struct queue	*q = queue_create(4);
	void		*item;
	uintptr_t	 next_in = 1, next_out = 1;
	size_t		 round, k, batch;

	/* 100000 rounds of 1..4 items: the ring wraps about 62500 times. */
	for (round = 0; round < 100000; round++) {
		batch = 1 + round % 4;
		for (k = 0; k < batch; k++)
			FAIL_UNLESS(queue_try_push(q, ITEM(next_in++)) == 0);
		FAIL_UNLESS(queue_depth(q) == batch);
		if (batch == 4)
			FAIL_UNLESS(queue_try_push(q, ITEM(next_in)) == -1);
		for (k = 0; k < batch; k++) {
			FAIL_UNLESS(queue_try_pop(q, &item) == 0);
			FAIL_UNLESS(VALUE(item) == next_out);
			next_out++;
		}
		FAIL_UNLESS(queue_try_pop(q, &item) == -1);
	}
	ck_assert_uint_eq(next_out, next_in);
	ck_assert_uint_eq(next_out, 250001);

	/* Interleaved: keep 3 queued while pushing and popping one at a time. */
	for (k = 0; k < 3; k++)
		ck_assert_int_eq(queue_try_push(q, ITEM(next_in++)), 0);
	for (round = 0; round < 100000; round++) {
		FAIL_UNLESS(queue_try_push(q, ITEM(next_in++)) == 0);
		FAIL_UNLESS(queue_try_pop(q, &item) == 0);
		FAIL_UNLESS(VALUE(item) == next_out);
		next_out++;
		FAIL_UNLESS(queue_depth(q) == 3);
	}
	ck_assert_uint_eq(next_out, 350001);
	queue_destroy(q);
}
END_TEST

START_TEST(test_depth)
{
	struct queue	*q = queue_create(8);
	void		*item;

	ck_assert_uint_eq(queue_depth(q), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(1)), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(2)), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(3)), 0);
	ck_assert_uint_eq(queue_depth(q), 3);
	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(queue_depth(q), 2);
	ck_assert_int_eq(queue_push_wait(q, ITEM(4), 0), 0);
	ck_assert_uint_eq(queue_depth(q), 3);
	ck_assert_int_eq(queue_pop_wait(q, &item, 0), 0);
	ck_assert_uint_eq(VALUE(item), 2);
	ck_assert_uint_eq(queue_depth(q), 2);
	queue_destroy(q);
}
END_TEST

START_TEST(test_pop_wait_timeout)
{
	struct queue	*q = queue_create(4);
	void		*item = ITEM(7);
	int64_t		 start, elapsed;

	start = now_ms();
	ck_assert_int_eq(queue_pop_wait(q, &item, 0), -1);
	ck_assert_int_lt(now_ms() - start, 100);

	start = now_ms();
	ck_assert_int_eq(queue_pop_wait(q, &item, 300), -1);
	elapsed = now_ms() - start;
	ck_assert_int_ge(elapsed, 300);
	ck_assert_int_lt(elapsed, 300 + 500);
	ck_assert_ptr_eq(item, ITEM(7));
	queue_destroy(q);
}
END_TEST

START_TEST(test_push_wait_timeout)
{
	struct queue	*q = queue_create(2);
	void		*item;
	int64_t		 start, elapsed;

	ck_assert_int_eq(queue_try_push(q, ITEM(1)), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(2)), 0);
	start = now_ms();
	ck_assert_int_eq(queue_push_wait(q, ITEM(3), 250), -1);
	elapsed = now_ms() - start;
	ck_assert_int_ge(elapsed, 250);
	ck_assert_int_lt(elapsed, 250 + 500);
	ck_assert_uint_eq(queue_depth(q), 2);
	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(VALUE(item), 1);
	queue_destroy(q);
}
END_TEST

struct waiter {
	struct queue	*q;
	int		 push;		/* push_wait instead of pop_wait */
	void		*item;		/* pushed, or popped */
	int		 timeout_ms;
	int		 rc;
	_Atomic int	 done;
	int64_t		 returned_ms;
};

static void *
waiter_main(void *arg)
{
	struct waiter	*w = arg;
	int		 rc;

	if (w->push)
		rc = queue_push_wait(w->q, w->item, w->timeout_ms);
	else
		rc = queue_pop_wait(w->q, &w->item, w->timeout_ms);
	w->rc = rc;
	w->returned_ms = now_ms();
	atomic_store(&w->done, 1);
	return NULL;
}

static void
waiter_start(pthread_t *t, struct waiter *w, struct queue *q, int push,
    void *item, int timeout_ms)
{
	w->q = q;
	w->push = push;
	w->item = item;
	w->timeout_ms = timeout_ms;
	w->rc = 99;
	atomic_init(&w->done, 0);
	w->returned_ms = 0;
	ck_assert_int_eq(pthread_create(t, NULL, waiter_main, w), 0);
}

START_TEST(test_pop_wait_wakes_on_push)
{
	struct queue	*q = queue_create(4);
	struct waiter	 w;
	pthread_t	 t;
	int64_t		 pushed;

	waiter_start(&t, &w, q, 0, NULL, 10000);
	/* Give the popper time to fall asleep; not needed for correctness. */
	sleep_ms(150);
	ck_assert_int_eq(atomic_load(&w.done), 0);
	pushed = now_ms();
	ck_assert_int_eq(queue_try_push(q, ITEM(42)), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_uint_eq(VALUE(w.item), 42);
	/* Woken by the push, not by the 10 s timeout. */
	ck_assert_int_lt(w.returned_ms - pushed, 1000);
	queue_destroy(q);
}
END_TEST

START_TEST(test_close_wakes_popper)
{
	struct queue	*q = queue_create(4);
	struct waiter	 w;
	pthread_t	 t;
	void		*item;

	waiter_start(&t, &w, q, 0, NULL, -1);
	sleep_ms(150);
	ck_assert_int_eq(atomic_load(&w.done), 0);
	queue_close(q);
	ck_assert_int_eq(queue_closed(q), 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, -1);

	/* Later waits return -1 at once, forever-timeout included. */
	ck_assert_int_eq(queue_pop_wait(q, &item, -1), -1);
	ck_assert_int_eq(queue_push_wait(q, ITEM(1), -1), -1);
	queue_destroy(q);
}
END_TEST

START_TEST(test_close_wakes_pusher)
{
	struct queue	*q = queue_create(2);
	struct waiter	 w;
	pthread_t	 t;
	void		*item;

	ck_assert_int_eq(queue_try_push(q, ITEM(1)), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(2)), 0);
	waiter_start(&t, &w, q, 1, ITEM(3), -1);
	sleep_ms(150);
	ck_assert_int_eq(atomic_load(&w.done), 0);
	queue_close(q);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, -1);

	/* Items queued before close still come out, then -1. */
	ck_assert_int_eq(queue_pop_wait(q, &item, -1), 0);
	ck_assert_uint_eq(VALUE(item), 1);
	ck_assert_int_eq(queue_pop_wait(q, &item, -1), 0);
	ck_assert_uint_eq(VALUE(item), 2);
	ck_assert_int_eq(queue_pop_wait(q, &item, -1), -1);
	queue_destroy(q);
}
END_TEST

START_TEST(test_push_wait_blocks_while_full)
{
	struct queue	*q = queue_create(2);
	struct waiter	 w;
	pthread_t	 t;
	void		*item;

	ck_assert_int_eq(queue_try_push(q, ITEM(1)), 0);
	ck_assert_int_eq(queue_try_push(q, ITEM(2)), 0);
	waiter_start(&t, &w, q, 1, ITEM(3), -1);
	sleep_ms(200);
	/* Still blocked: the queue is full. */
	ck_assert_int_eq(atomic_load(&w.done), 0);
	ck_assert_uint_eq(queue_depth(q), 2);

	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(VALUE(item), 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);

	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(VALUE(item), 2);
	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(VALUE(item), 3);
	ck_assert_int_eq(queue_try_pop(q, &item), -1);
	queue_destroy(q);
}
END_TEST

/*
 * Hysteresis: a pusher asleep on a full queue of 8 is not woken by the
 * first pops, only by the one that leaves the queue half full; it then
 * finds room for a run. Waking at every free slot made the consumer thread
 * sleep and wake every item or two (bench/pipeline).
 */
START_TEST(test_push_wait_wakes_at_half)
{
	struct queue	*q = queue_create(8);
	struct waiter	 w;
	pthread_t	 t;
	void		*item;
	uintptr_t	 i;

	for (i = 1; i <= 8; i++)
		ck_assert_int_eq(queue_try_push(q, ITEM(i)), 0);
	waiter_start(&t, &w, q, 1, ITEM(9), -1);
	sleep_ms(200);
	ck_assert_int_eq(atomic_load(&w.done), 0);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(queue_try_pop(q, &item), 0);
		ck_assert_uint_eq(VALUE(item), i);
	}
	/* Five left, room for three: still asleep. */
	sleep_ms(200);
	ck_assert_int_eq(atomic_load(&w.done), 0);
	ck_assert_int_eq(queue_try_pop(q, &item), 0);
	ck_assert_uint_eq(VALUE(item), 4);
	/* Four left: woken, and pushed. */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.rc, 0);
	for (i = 5; i <= 9; i++) {
		ck_assert_int_eq(queue_try_pop(q, &item), 0);
		ck_assert_uint_eq(VALUE(item), i);
	}
	ck_assert_int_eq(queue_try_pop(q, &item), -1);
	queue_destroy(q);
}
END_TEST

/* Stress: items are 1..STRESS_ITEMS; a bitmap records each arrival. */
#define STRESS_ITEMS	2000000
#define STRESS_MAXPROD	4

struct stress {
	struct queue		*q;
	size_t			 producers;
	_Atomic uint64_t	*seen;		/* bit i-1 set when i arrives */
	_Atomic size_t		 duplicates;
	_Atomic size_t		 disorders;
	_Atomic size_t		 received;
};

struct stress_thread {
	struct stress	*s;
	size_t		 id;
	pthread_t	 t;
};

/* Producer id pushes its share, in increasing order. */
static uintptr_t
stress_first(const struct stress *s, size_t id)
{
	return 1 + id * (STRESS_ITEMS / s->producers);
}

static void *
stress_producer(void *arg)
{
	struct stress_thread	*st = arg;
	struct stress		*s = st->s;
	uintptr_t		 i, first, last;

	first = stress_first(s, st->id);
	last = first + STRESS_ITEMS / s->producers;
	for (i = first; i < last; i++) {
		if (queue_push_wait(s->q, ITEM(i), -1) != 0)
			abort();
	}
	return NULL;
}

static void *
stress_consumer(void *arg)
{
	struct stress_thread	*st = arg;
	struct stress		*s = st->s;
	uintptr_t		 last[STRESS_MAXPROD] = { 0 }, v;
	uint64_t		 bit, old;
	size_t			 n = 0, p;
	void			*item;

	while (queue_pop_wait(s->q, &item, -1) == 0) {
		v = VALUE(item);
		bit = (uint64_t)1 << ((v - 1) % 64);
		old = atomic_fetch_or(&s->seen[(v - 1) / 64], bit);
		if (old & bit)
			atomic_fetch_add(&s->duplicates, 1);
		/* Each producer's items reach this consumer in order. */
		p = (v - 1) / (STRESS_ITEMS / s->producers);
		if (v <= last[p])
			atomic_fetch_add(&s->disorders, 1);
		last[p] = v;
		n++;
	}
	atomic_fetch_add(&s->received, n);
	return NULL;
}

static void
stress_run(size_t producers, size_t consumers)
{
	struct stress		 s;
	struct stress_thread	 prod[STRESS_MAXPROD], cons[8];
	size_t			 i, words = (STRESS_ITEMS + 63) / 64, missing = 0;
	uint64_t		 w;

	ck_assert_uint_le(producers, STRESS_MAXPROD);
	ck_assert_uint_le(consumers, 8);
	ck_assert_uint_eq(STRESS_ITEMS % producers, 0);
	s.q = queue_create(1024);
	s.producers = producers;
	s.seen = xcalloc(words, sizeof *s.seen);
	atomic_init(&s.duplicates, 0);
	atomic_init(&s.disorders, 0);
	atomic_init(&s.received, 0);

	for (i = 0; i < consumers; i++) {
		cons[i].s = &s;
		cons[i].id = i;
		ck_assert_int_eq(pthread_create(&cons[i].t, NULL,
		    stress_consumer, &cons[i]), 0);
	}
	for (i = 0; i < producers; i++) {
		prod[i].s = &s;
		prod[i].id = i;
		ck_assert_int_eq(pthread_create(&prod[i].t, NULL,
		    stress_producer, &prod[i]), 0);
	}
	for (i = 0; i < producers; i++)
		ck_assert_int_eq(pthread_join(prod[i].t, NULL), 0);
	/* Everything is pushed: consumers drain, then see closed and empty. */
	queue_close(s.q);
	for (i = 0; i < consumers; i++)
		ck_assert_int_eq(pthread_join(cons[i].t, NULL), 0);

	for (i = 0; i < words; i++) {
		w = atomic_load(&s.seen[i]);
		if (i == words - 1 && STRESS_ITEMS % 64 != 0)
			w |= ~(uint64_t)0 << (STRESS_ITEMS % 64);
		missing += 64 - (size_t)__builtin_popcountll(w);
	}
	ck_assert_uint_eq(missing, 0);
	ck_assert_uint_eq(atomic_load(&s.duplicates), 0);
	ck_assert_uint_eq(atomic_load(&s.disorders), 0);
	ck_assert_uint_eq(atomic_load(&s.received), STRESS_ITEMS);
	ck_assert_uint_eq(queue_depth(s.q), 0);
	free(s.seen);
	queue_destroy(s.q);
}

START_TEST(test_stress_1p4c)
{
	stress_run(1, 4);
}
END_TEST

START_TEST(test_stress_4p4c)
{
	stress_run(4, 4);
}
END_TEST

/*
 * Round trips: workers pop from "requests" and push to "replies"; main
 * sends bursts of 1..4 and waits for the replies. Nearly every item finds
 * its workers asleep, so this drives the wake-up path (pending flag, baton)
 * hard; a lost wake-up shows as a reply that does not come within 5 s.
 */
#define TRIP_BURSTS	40000
#define TRIP_WORKERS	4

struct trip {
	struct queue	*requests;
	struct queue	*replies;
};

static void *
trip_worker(void *arg)
{
	struct trip	*tr = arg;
	void		*item;

	while (queue_pop_wait(tr->requests, &item, -1) == 0) {
		if (queue_push_wait(tr->replies, item, -1) != 0)
			abort();
	}
	return NULL;
}

START_TEST(test_round_trips)
{
	struct trip	 tr;
	pthread_t	 t[TRIP_WORKERS];
	size_t		 burst, k, n, lost = 0, got = 0;
	uintptr_t	 sum;
	void		*item;

	tr.requests = queue_create(4);
	tr.replies = queue_create(2);
	for (k = 0; k < TRIP_WORKERS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, trip_worker,
		    &tr), 0);
	for (burst = 0; burst < TRIP_BURSTS && lost == 0; burst++) {
		n = 1 + burst % 4;
		sum = 0;
		for (k = 1; k <= n; k++)
			FAIL_UNLESS(queue_push_wait(tr.requests, ITEM(k),
			    5000) == 0);
		for (k = 0; k < n; k++) {
			if (queue_pop_wait(tr.replies, &item, 5000) != 0) {
				lost++;
				break;
			}
			sum += VALUE(item);
			got++;
		}
		FAIL_UNLESS(lost != 0 || sum == n * (n + 1) / 2);
	}
	queue_close(tr.requests);
	for (k = 0; k < TRIP_WORKERS; k++)
		ck_assert_int_eq(pthread_join(t[k], NULL), 0);
	ck_assert_uint_eq(lost, 0);
	ck_assert_uint_eq(got, 100000);
	queue_destroy(tr.requests);
	queue_destroy(tr.replies);
}
END_TEST

/*
 * Fan-out: four sleeping workers, four items pushed at once; each worker
 * holds its item (at a barrier) until all four have one, so no worker can
 * come back for a second item: every item needs its own wake-up. A wake-up
 * skipped while another was in flight must be passed on by the woken thread
 * (the baton); otherwise an item sits in the queue beside a sleeping worker.
 */
#define FAN_ROUNDS	500
#define FAN_WORKERS	4

struct fan {
	struct queue		*work;
	struct queue		*done;
	pthread_barrier_t	 barrier;
};

static void *
fan_worker(void *arg)
{
	struct fan	*f = arg;
	void		*item;

	while (queue_pop_wait(f->work, &item, -1) == 0) {
		if (queue_push_wait(f->done, item, -1) != 0)
			abort();
		pthread_barrier_wait(&f->barrier);
	}
	return NULL;
}

START_TEST(test_fan_out)
{
	struct fan	 f;
	pthread_t	 t[FAN_WORKERS];
	size_t		 round, k, got = 0;
	void		*item;

	f.work = queue_create(8);
	f.done = queue_create(8);
	ck_assert_int_eq(pthread_barrier_init(&f.barrier, NULL,
	    FAN_WORKERS + 1), 0);
	for (k = 0; k < FAN_WORKERS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, fan_worker, &f),
		    0);
	for (round = 0; round < FAN_ROUNDS; round++) {
		for (k = 1; k <= FAN_WORKERS; k++)
			FAIL_UNLESS(queue_try_push(f.work, ITEM(k)) == 0);
		for (k = 0; k < FAN_WORKERS; k++) {
			/* A stranded item would never be popped: fail. */
			FAIL_UNLESS(queue_pop_wait(f.done, &item, 5000) == 0);
			got++;
		}
		pthread_barrier_wait(&f.barrier);
	}
	queue_close(f.work);
	for (k = 0; k < FAN_WORKERS; k++)
		ck_assert_int_eq(pthread_join(t[k], NULL), 0);
	ck_assert_uint_eq(got, FAN_ROUNDS * FAN_WORKERS);
	ck_assert_uint_eq(queue_depth(f.work), 0);
	pthread_barrier_destroy(&f.barrier);
	queue_destroy(f.work);
	queue_destroy(f.done);
}
END_TEST

Suite *
suite_queue(void)
{
	Suite	*s = suite_create("queue");
	TCase	*tc;

	tc = tcase_create("ring");
	tcase_add_test(tc, test_create_rejects);
	tcase_add_test(tc, test_full_empty);
	tcase_add_test(tc, test_wraparound_fifo);
	tcase_add_test(tc, test_depth);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocking");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_pop_wait_timeout);
	tcase_add_test(tc, test_push_wait_timeout);
	tcase_add_test(tc, test_pop_wait_wakes_on_push);
	tcase_add_test(tc, test_close_wakes_popper);
	tcase_add_test(tc, test_close_wakes_pusher);
	tcase_add_test(tc, test_push_wait_blocks_while_full);
	tcase_add_test(tc, test_push_wait_wakes_at_half);
	suite_add_tcase(s, tc);

	/* Generous: ThreadSanitizer slows these down about tenfold. */
	tc = tcase_create("stress");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_stress_1p4c);
	tcase_add_test(tc, test_stress_4p4c);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_fan_out);
	suite_add_tcase(s, tc);
	return s;
}
