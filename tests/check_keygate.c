/*
 * check_keygate.c -- tests for the per-key order gate.
 *
 * Single-threaded tests pin the semantics (admit/release results, binary
 * keys, counters, FIFO order, bucket growth). The threaded test is modelled
 * on the daemon: one admitting thread, as the consumer thread, admits jobs
 * in sequence order per key and hands runnable ones to a work list; worker
 * threads run them and, on release, run the key's next parked job
 * themselves; phases alternate between an in-flight bound (keys go idle
 * and come back) and none (long FIFOs). Workers count violations in
 * atomics and the test thread asserts after joining them (Check's asserts
 * belong in the test thread).
 * Run it under -fsanitize=thread too: the per-key "last sequence" is a
 * plain variable that only the gate's mutexes order between workers.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "keygate.h"
#include "util.h"

START_TEST(test_basic)
{
	struct keygate		*g = keygate_create(0);
	struct keygate_node	 na, na2, na3, nb;

	ck_assert_uint_eq(keygate_keys(g), 0);
	ck_assert_uint_eq(keygate_parked(g), 0);

	ck_assert_int_eq(keygate_admit(g, "A", 1, &na), 1);
	ck_assert_uint_eq(keygate_keys(g), 1);
	ck_assert_uint_eq(keygate_parked(g), 0);
	ck_assert_int_eq(keygate_admit(g, "A", 1, &na2), 0);
	ck_assert_uint_eq(keygate_keys(g), 1);
	ck_assert_uint_eq(keygate_parked(g), 1);
	ck_assert_int_eq(keygate_admit(g, "B", 1, &nb), 1);
	ck_assert_uint_eq(keygate_keys(g), 2);
	ck_assert_uint_eq(keygate_parked(g), 1);

	/* The parked node comes back, now running: A stays busy. */
	ck_assert_ptr_eq(keygate_release(g, "A", 1), &na2);
	ck_assert_ptr_null(na2.next);
	ck_assert_uint_eq(keygate_keys(g), 2);
	ck_assert_uint_eq(keygate_parked(g), 0);
	ck_assert_int_eq(keygate_admit(g, "A", 1, &na3), 0);
	ck_assert_uint_eq(keygate_parked(g), 1);
	ck_assert_ptr_eq(keygate_release(g, "A", 1), &na3);

	ck_assert_ptr_null(keygate_release(g, "A", 1));
	ck_assert_uint_eq(keygate_keys(g), 1);
	ck_assert_uint_eq(keygate_parked(g), 0);

	/* A is idle again. */
	ck_assert_int_eq(keygate_admit(g, "A", 1, &na), 1);
	ck_assert_uint_eq(keygate_keys(g), 2);
	ck_assert_ptr_null(keygate_release(g, "A", 1));
	ck_assert_ptr_null(keygate_release(g, "B", 1));
	ck_assert_uint_eq(keygate_keys(g), 0);

	/* Releasing an idle key changes nothing. */
	ck_assert_ptr_null(keygate_release(g, "A", 1));
	ck_assert_ptr_null(keygate_release(g, "zzz", 3));
	ck_assert_uint_eq(keygate_keys(g), 0);
	ck_assert_uint_eq(keygate_parked(g), 0);
	keygate_destroy(g);
	keygate_destroy(NULL);
}
END_TEST

/*
 * Keys of 1 to 24 bytes that differ in one byte, at every position: each
 * its own key (the hash reads the last bytes with overlapping loads), and
 * the same bytes in another buffer the same key.
 */
START_TEST(test_every_length_and_position)
{
	struct keygate		*g = keygate_create(4);
	static struct keygate_node n[24 * 25], again;
	char			 key[24], copy[24];
	size_t			 len, pos, k = 0, keys = 0;

	for (len = 1; len <= 24; len++) {
		for (pos = 0; pos <= len; pos++) {
			memset(key, 'k', len);
			if (pos < len)
				key[pos] = 'K';	/* pos == len: all 'k' */
			ck_assert_int_eq(keygate_admit(g, key, len, &n[k++]), 1);
			keys++;
			memcpy(copy, key, len);
			ck_assert_int_eq(keygate_admit(g, copy, len, &again), 0);
			ck_assert_ptr_eq(keygate_release(g, key, len), &again);
			ck_assert_ptr_null(keygate_release(g, copy, len));
			keys--;
		}
	}
	ck_assert_uint_eq(keygate_keys(g), keys);
	ck_assert_uint_eq(keygate_parked(g), 0);
	keygate_destroy(g);
}
END_TEST

START_TEST(test_binary_keys)
{
	struct keygate		*g = keygate_create(4);
	struct keygate_node	 n[8];
	char			 buf[4];

	/* A NUL byte is part of the key; prefixes are other keys. */
	ck_assert_int_eq(keygate_admit(g, "a\0b", 3, &n[0]), 1);
	ck_assert_int_eq(keygate_admit(g, "a", 1, &n[1]), 1);
	ck_assert_int_eq(keygate_admit(g, "a\0", 2, &n[2]), 1);
	ck_assert_int_eq(keygate_admit(g, "a\0c", 3, &n[3]), 1);
	ck_assert_int_eq(keygate_admit(g, "", 0, &n[4]), 1);
	ck_assert_uint_eq(keygate_keys(g), 5);

	/* The empty key, spelled with a NULL pointer. */
	ck_assert_int_eq(keygate_admit(g, NULL, 0, &n[5]), 0);
	ck_assert_uint_eq(keygate_parked(g), 1);

	/* The gate copied the key: a reused buffer still matches. */
	memcpy(buf, "a\0b", 3);
	ck_assert_int_eq(keygate_admit(g, buf, 3, &n[6]), 0);
	memset(buf, 'x', sizeof buf);
	ck_assert_uint_eq(keygate_parked(g), 2);
	ck_assert_uint_eq(keygate_keys(g), 5);

	memcpy(buf, "a\0b", 3);
	ck_assert_ptr_eq(keygate_release(g, buf, 3), &n[6]);
	ck_assert_ptr_null(keygate_release(g, buf, 3));
	ck_assert_ptr_null(keygate_release(g, "a", 1));
	ck_assert_ptr_eq(keygate_release(g, "", 0), &n[5]);
	ck_assert_ptr_null(keygate_release(g, NULL, 0));
	ck_assert_ptr_null(keygate_release(g, "a\0", 2));
	ck_assert_uint_eq(keygate_keys(g), 1);
	ck_assert_ptr_null(keygate_release(g, "a\0c", 3));
	ck_assert_uint_eq(keygate_keys(g), 0);
	ck_assert_uint_eq(keygate_parked(g), 0);
	keygate_destroy(g);
}
END_TEST

START_TEST(test_fifo)
{
	enum { N = 1000 };
	struct keygate		*g = keygate_create(2);
	struct keygate_node	*na, *nb, first;
	int			 i;

	na = xcalloc(N, sizeof *na);
	nb = xcalloc(N, sizeof *nb);
	ck_assert_int_eq(keygate_admit(g, "key-a", 5, &first), 1);
	ck_assert_int_eq(keygate_admit(g, "key-b", 5, &first), 1);
	for (i = 0; i < N; i++) {
		/* Stale next pointers must not leak into the FIFO. */
		na[i].next = &first;
		ck_assert_int_eq(keygate_admit(g, "key-a", 5, &na[i]), 0);
		ck_assert_int_eq(keygate_admit(g, "key-b", 5, &nb[i]), 0);
	}
	ck_assert_uint_eq(keygate_parked(g), 2 * N);
	ck_assert_uint_eq(keygate_keys(g), 2);

	for (i = 0; i < N; i++) {
		ck_assert_ptr_eq(keygate_release(g, "key-a", 5), &na[i]);
		ck_assert_ptr_null(na[i].next);
		if (i % 2 == 0)
			ck_assert_ptr_eq(keygate_release(g, "key-b", 5),
			    &nb[i / 2]);
	}
	ck_assert_ptr_null(keygate_release(g, "key-a", 5));
	ck_assert_uint_eq(keygate_parked(g), N / 2);
	for (i = N / 2; i < N; i++) {
		/* Appending while the FIFO drains keeps the order. */
		ck_assert_int_eq(keygate_admit(g, "key-b", 5, &na[i]), 0);
	}
	for (i = N / 2; i < N; i++)
		ck_assert_ptr_eq(keygate_release(g, "key-b", 5), &nb[i]);
	for (i = N / 2; i < N; i++)
		ck_assert_ptr_eq(keygate_release(g, "key-b", 5), &na[i]);
	ck_assert_ptr_null(keygate_release(g, "key-b", 5));
	ck_assert_uint_eq(keygate_keys(g), 0);
	ck_assert_uint_eq(keygate_parked(g), 0);
	keygate_destroy(g);
	free(nb);
	free(na);
}
END_TEST

/*
 * Many keys per stripe: buckets grow and rehash while records hold parked
 * nodes; every key must still be found with its own FIFO afterwards.
 */
static void
many_keys(size_t stripes)
{
	enum { N = 50000 };
	struct keygate		*g = keygate_create(stripes);
	struct keygate_node	*n;
	char			 key[32];
	size_t			 len;
	int			 i;

	n = xcalloc(N, sizeof *n);
	for (i = 0; i < N; i++) {
		len = (size_t)snprintf(key, sizeof key, "machine-%d", i);
		if (keygate_admit(g, key, len, &n[i]) != 1)
			ck_abort_msg("stripes %zu: first admit of %s",
			    stripes, key);
		/* Park the node again behind itself: it is only an address. */
		if (keygate_admit(g, key, len, &n[i]) != 0)
			ck_abort_msg("stripes %zu: second admit of %s", stripes,
			    key);
	}
	ck_assert_uint_eq(keygate_keys(g), N);
	ck_assert_uint_eq(keygate_parked(g), N);
	for (i = N - 1; i >= 0; i--) {
		len = (size_t)snprintf(key, sizeof key, "machine-%d", i);
		if (keygate_release(g, key, len) != &n[i])
			ck_abort_msg("stripes %zu: release of %s",
			    stripes, key);
		if (keygate_release(g, key, len) != NULL)
			ck_abort_msg("stripes %zu: second release of %s",
			    stripes, key);
	}
	ck_assert_uint_eq(keygate_keys(g), 0);
	ck_assert_uint_eq(keygate_parked(g), 0);
	keygate_destroy(g);
	free(n);
}

START_TEST(test_many_keys)
{
	many_keys(1);
	many_keys(3);
	many_keys(0);
	many_keys(SIZE_MAX);
}
END_TEST

START_TEST(test_destroy_busy)
{
	struct keygate		*g = keygate_create(8);
	struct keygate_node	 n[3];

	/* Records still present are freed (ASan/LSan would report a leak). */
	ck_assert_int_eq(keygate_admit(g, "x", 1, &n[0]), 1);
	ck_assert_int_eq(keygate_admit(g, "x", 1, &n[1]), 0);
	ck_assert_int_eq(keygate_admit(g, "y", 1, &n[2]), 1);
	keygate_destroy(g);
}
END_TEST

/* The daemon model. */

#define T_JOBS		200000
#define T_KEYS		50
#define T_WORKERS	4
/*
 * In-flight bound, as the consumer's pause at max.inflight: alternate
 * phases run under it (few events per key: keys go idle and their records
 * are freed and re-created, racing with releases) and without it (the
 * admitter outruns the workers: long FIFOs).
 */
#define T_PHASE		20000
#define T_HIGH		64
#define T_LOW		32

struct t_job {
	struct keygate_node	 node;
	struct t_job		*wnext;		/* work list link */
	unsigned int		 key;
	unsigned int		 seq;		/* 1, 2, ... per key */
	atomic_int		 runs;
};

#define T_JOB(n) ((struct t_job *)(void *)((char *)(n) - \
    offsetof(struct t_job, node)))

struct t_key {
	char			 name[8];
	size_t			 namelen;
	atomic_int		 running;
	/* Plain on purpose: only the gate orders it between workers. */
	unsigned int		 last_seq;
	unsigned int		 admitted;	/* admitting thread only */
};

struct t_state {
	struct keygate		*g;
	struct t_job		*jobs;
	struct t_key		 keys[T_KEYS];

	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct t_job		*head;
	struct t_job		*tail;
	int			 closed;

	atomic_uint		 overlaps;
	atomic_uint		 misorders;
	atomic_uint		 chained;	/* jobs taken from a release */

	atomic_uint		 inflight;	/* admitted, not yet run */
	pthread_cond_t		 space;		/* inflight fell to T_LOW */
};

static void
t_run(struct t_state *s, struct t_job *job)
{
	struct keygate_node	*next;
	struct t_key		*k;

	while (job != NULL) {
		k = &s->keys[job->key];
		if (atomic_exchange(&k->running, 1) != 0)
			atomic_fetch_add(&s->overlaps, 1);
		if (job->seq != k->last_seq + 1)
			atomic_fetch_add(&s->misorders, 1);
		k->last_seq = job->seq;
		atomic_fetch_add(&job->runs, 1);
		/* Give other workers a chance to collide. */
		if (job->seq % 16 == 0)
			sched_yield();
		atomic_store(&k->running, 0);

		next = keygate_release(s->g, k->name, k->namelen);
		if (atomic_fetch_sub(&s->inflight, 1) == T_LOW + 1) {
			/* Under the mutex: the admitter cannot miss it. */
			pthread_mutex_lock(&s->mtx);
			pthread_cond_signal(&s->space);
			pthread_mutex_unlock(&s->mtx);
		}
		if (next == NULL)
			break;
		atomic_fetch_add(&s->chained, 1);
		job = T_JOB(next);
	}
}

static void *
t_worker(void *arg)
{
	struct t_state	*s = arg;
	struct t_job	*job;

	for (;;) {
		pthread_mutex_lock(&s->mtx);
		while (s->head == NULL && !s->closed)
			pthread_cond_wait(&s->cond, &s->mtx);
		job = s->head;
		if (job != NULL) {
			s->head = job->wnext;
			if (s->head == NULL)
				s->tail = NULL;
		}
		pthread_mutex_unlock(&s->mtx);
		if (job == NULL)
			break;
		t_run(s, job);
	}
	return NULL;
}

START_TEST(test_threaded)
{
	struct t_state	*s;
	struct t_job	*job;
	pthread_t	 tid[T_WORKERS];
	uint64_t	 rng = 0x2545f4914f6cdd1dULL;
	unsigned int	 parked_admits = 0, run_admits = 0, key = 0, i, k;
	int		 error;

	s = xcalloc(1, sizeof *s);
	s->g = keygate_create(8);
	s->jobs = xcalloc(T_JOBS, sizeof *s->jobs);
	for (k = 0; k < T_KEYS; k++) {
		/* Binary keys: "k", NUL, two digits. */
		s->keys[k].name[0] = 'k';
		s->keys[k].name[1] = '\0';
		s->keys[k].name[2] = (char)('0' + k / 10);
		s->keys[k].name[3] = (char)('0' + k % 10);
		s->keys[k].namelen = 4;
		atomic_init(&s->keys[k].running, 0);
	}
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_cond_init(&s->space, NULL);
	atomic_init(&s->inflight, 0);

	for (i = 0; i < T_WORKERS; i++) {
		error = pthread_create(&tid[i], NULL, t_worker, s);
		ck_assert_msg(error == 0, "pthread_create: %s",
		    strerror(error));
	}

	/* The admitting thread: xorshift64 picks keys, often in runs. */
	for (i = 0; i < T_JOBS; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (rng % 4 != 0)
			key = (unsigned int)((rng >> 8) % T_KEYS);
		job = &s->jobs[i];
		job->key = key;
		job->seq = ++s->keys[key].admitted;
		atomic_init(&job->runs, 0);
		if ((i / T_PHASE) % 2 == 0 &&
		    atomic_load(&s->inflight) >= T_HIGH) {
			pthread_mutex_lock(&s->mtx);
			while (atomic_load(&s->inflight) > T_LOW)
				pthread_cond_wait(&s->space, &s->mtx);
			pthread_mutex_unlock(&s->mtx);
		}
		atomic_fetch_add(&s->inflight, 1);
		if (keygate_admit(s->g, s->keys[key].name, s->keys[key].namelen,
		    &job->node) == 0) {
			parked_admits++;
			continue;
		}
		run_admits++;
		pthread_mutex_lock(&s->mtx);
		job->wnext = NULL;
		if (s->tail != NULL)
			s->tail->wnext = job;
		else
			s->head = job;
		s->tail = job;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mtx);
	}
	pthread_mutex_lock(&s->mtx);
	s->closed = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mtx);
	for (i = 0; i < T_WORKERS; i++)
		pthread_join(tid[i], NULL);

	ck_assert_uint_eq(atomic_load(&s->overlaps), 0);
	ck_assert_uint_eq(atomic_load(&s->misorders), 0);
	for (i = 0; i < T_JOBS; i++) {
		if (atomic_load(&s->jobs[i].runs) != 1)
			ck_abort_msg("job %u ran %d times", i,
			    atomic_load(&s->jobs[i].runs));
	}
	for (k = 0; k < T_KEYS; k++)
		ck_assert_uint_eq(s->keys[k].last_seq, s->keys[k].admitted);
	ck_assert_uint_eq(keygate_keys(s->g), 0);
	ck_assert_uint_eq(keygate_parked(s->g), 0);
	/* The test means something only if keys were busy when admitted. */
	ck_assert_uint_gt(parked_admits, 1000);
	ck_assert_uint_gt(run_admits, 1000);
	ck_assert_uint_eq(parked_admits + run_admits, T_JOBS);
	ck_assert_uint_eq(atomic_load(&s->chained), parked_admits);
	ck_assert_uint_eq(atomic_load(&s->inflight), 0);

	pthread_cond_destroy(&s->space);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mtx);
	keygate_destroy(s->g);
	free(s->jobs);
	free(s);
}
END_TEST

Suite *
suite_keygate(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("keygate");

	tc = tcase_create("single");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_binary_keys);
	tcase_add_test(tc, test_every_length_and_position);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_many_keys);
	tcase_add_test(tc, test_destroy_busy);
	suite_add_tcase(s, tc);

	tc = tcase_create("threaded");
	/* Generous: ThreadSanitizer slows this test several times. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threaded);
	suite_add_tcase(s, tc);

	return s;
}
