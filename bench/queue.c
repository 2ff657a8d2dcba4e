/*
 * bench/queue.c -- throughput of the lock-free queue (src/queue.c) against a
 * textbook mutex + two condition variables bounded queue, measured in the
 * same run on the same machine.
 *
 * One producer pushes N items (default 5,000,000) through a queue of
 * capacity 1024 to 1, 2 and 4 consumers. Both sides block when they cannot
 * proceed -- push_wait/pop_wait for ours, pthread_cond_wait for the baseline
 * -- so idle behaviour (sleeping, waking) is part of the figure, as in the
 * daemon. The producer closes the queue after the last item; consumers stop
 * at closed-and-empty. A run is timed from a barrier releasing all threads to
 * the last join; CPU time is getrusage(RUSAGE_SELF) over the same span.
 * Each configuration runs R times (default 5), ours and the baseline
 * alternating, and the table shows medians: machines are noisy.
 *
 * Usage: queue-bench [-v] [-n items] [-r repetitions]
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

#define BENCH_CAPACITY		1024
#define BENCH_MAX_CONSUMERS	4

/* The baseline: one mutex, "not empty" and "not full" condition variables. */
struct mqueue {
	pthread_mutex_t	 lock;
	pthread_cond_t	 not_empty;
	pthread_cond_t	 not_full;
	void		**items;
	size_t		 capacity;
	size_t		 head;
	size_t		 count;
	int		 closed;
};

static struct mqueue *
mqueue_create(size_t capacity)
{
	struct mqueue	*mq = calloc(1, sizeof *mq);

	if (mq == NULL)
		abort();
	mq->items = calloc(capacity, sizeof *mq->items);
	if (mq->items == NULL)
		abort();
	mq->capacity = capacity;
	pthread_mutex_init(&mq->lock, NULL);
	pthread_cond_init(&mq->not_empty, NULL);
	pthread_cond_init(&mq->not_full, NULL);
	return mq;
}

static void
mqueue_destroy(struct mqueue *mq)
{
	pthread_cond_destroy(&mq->not_full);
	pthread_cond_destroy(&mq->not_empty);
	pthread_mutex_destroy(&mq->lock);
	free(mq->items);
	free(mq);
}

static int
mqueue_push(struct mqueue *mq, void *item)
{
	pthread_mutex_lock(&mq->lock);
	while (mq->count == mq->capacity && !mq->closed)
		pthread_cond_wait(&mq->not_full, &mq->lock);
	if (mq->closed) {
		pthread_mutex_unlock(&mq->lock);
		return -1;
	}
	mq->items[(mq->head + mq->count) % mq->capacity] = item;
	mq->count++;
	pthread_cond_signal(&mq->not_empty);
	pthread_mutex_unlock(&mq->lock);
	return 0;
}

static int
mqueue_pop(struct mqueue *mq, void **item)
{
	pthread_mutex_lock(&mq->lock);
	while (mq->count == 0 && !mq->closed)
		pthread_cond_wait(&mq->not_empty, &mq->lock);
	if (mq->count == 0) {
		pthread_mutex_unlock(&mq->lock);
		return -1;
	}
	*item = mq->items[mq->head];
	mq->head = (mq->head + 1) % mq->capacity;
	mq->count--;
	pthread_cond_signal(&mq->not_full);
	pthread_mutex_unlock(&mq->lock);
	return 0;
}

static void
mqueue_close(struct mqueue *mq)
{
	pthread_mutex_lock(&mq->lock);
	mq->closed = 1;
	pthread_cond_broadcast(&mq->not_empty);
	pthread_cond_broadcast(&mq->not_full);
	pthread_mutex_unlock(&mq->lock);
}

/* One run: which queue, and what the threads share. */
struct run {
	int			 ours;
	struct queue		*q;
	struct mqueue		*mq;
	uint64_t		 items;
	pthread_barrier_t	 start;
};

struct consumer {
	struct run	*run;
	pthread_t	 t;
	uint64_t	 count;
	uint64_t	 sum;
};

static void *
producer_main(void *arg)
{
	struct run	*run = arg;
	uint64_t	 i;
	int		 rc;

	pthread_barrier_wait(&run->start);
	for (i = 1; i <= run->items; i++) {
		if (run->ours)
			rc = queue_push_wait(run->q, (void *)(uintptr_t)i, -1);
		else
			rc = mqueue_push(run->mq, (void *)(uintptr_t)i);
		if (rc != 0) {
			fprintf(stderr, "queue-bench: push failed\n");
			abort();
		}
	}
	if (run->ours)
		queue_close(run->q);
	else
		mqueue_close(run->mq);
	return NULL;
}

static void *
consumer_main(void *arg)
{
	struct consumer	*c = arg;
	struct run	*run = c->run;
	void		*item;
	uint64_t	 count = 0, sum = 0;

	pthread_barrier_wait(&run->start);
	if (run->ours) {
		while (queue_pop_wait(run->q, &item, -1) == 0) {
			count++;
			sum += (uintptr_t)item;
		}
	} else {
		while (mqueue_pop(run->mq, &item) == 0) {
			count++;
			sum += (uintptr_t)item;
		}
	}
	c->count = count;
	c->sum = sum;
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Runs once; returns items per second and CPU nanoseconds per item. */
static void
bench_once(int ours, int consumers, uint64_t items, double *rate,
    double *cpu_ns)
{
	struct run	 run;
	struct consumer	 cons[BENCH_MAX_CONSUMERS];
	pthread_t	 prod;
	uint64_t	 count = 0, sum = 0;
	double		 t0, c0, elapsed;
	int		 i, error;

	memset(&run, 0, sizeof run);
	run.ours = ours;
	run.items = items;
	if (ours)
		run.q = queue_create(BENCH_CAPACITY);
	else
		run.mq = mqueue_create(BENCH_CAPACITY);
	pthread_barrier_init(&run.start, NULL, consumers + 2);

	for (i = 0; i < consumers; i++) {
		cons[i].run = &run;
		error = pthread_create(&cons[i].t, NULL, consumer_main,
		    &cons[i]);
		if (error != 0) {
			fprintf(stderr, "queue-bench: pthread_create: %s\n",
			    strerror(error));
			exit(1);
		}
	}
	error = pthread_create(&prod, NULL, producer_main, &run);
	if (error != 0) {
		fprintf(stderr, "queue-bench: pthread_create: %s\n",
		    strerror(error));
		exit(1);
	}
	c0 = cpu_s();
	t0 = now_s();
	pthread_barrier_wait(&run.start);
	pthread_join(prod, NULL);
	for (i = 0; i < consumers; i++) {
		pthread_join(cons[i].t, NULL);
		count += cons[i].count;
		sum += cons[i].sum;
	}
	elapsed = now_s() - t0;
	*cpu_ns = (cpu_s() - c0) * 1e9 / items;
	*rate = items / elapsed;

	if (count != items || sum != items * (items + 1) / 2) {
		fprintf(stderr, "queue-bench: %s queue lost or duplicated "
		    "items (%llu of %llu)\n", ours ? "lock-free" : "mutex",
		    (unsigned long long)count, (unsigned long long)items);
		exit(1);
	}
	pthread_barrier_destroy(&run.start);
	if (ours)
		queue_destroy(run.q);
	else
		mqueue_destroy(run.mq);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
usage(void)
{
	fprintf(stderr, "usage: queue-bench [-v] [-n items] [-r repetitions]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	static const int consumers[] = { 1, 2, 4 };
	double		 rate[2][64], cpu[2][64], mr[2], mc[2];
	uint64_t	 items = 5000000;
	char		*end;
	long		 nproc;
	int		 ch, reps = 5, verbose = 0, i, k, side;

	while ((ch = getopt(argc, argv, "n:r:v")) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			items = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || items == 0 ||
			    items > UINT32_MAX)
				usage();
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > 64)
				usage();
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	nproc = sysconf(_SC_NPROCESSORS_ONLN);
	printf("queue bench: 1 producer -> N consumers, capacity %d, "
	    "%llu items per run,\n", BENCH_CAPACITY,
	    (unsigned long long)items);
	printf("blocking push/pop on both sides, %ld online CPUs, "
	    "median of %d runs\n\n", nproc, reps);
	printf("%-9s  %12s  %12s  %10s  %12s  %12s\n", "consumers",
	    "ours Mitem/s", "mutex Mitem/s", "ours/mutex", "ours CPU ns",
	    "mutex CPU ns");

	for (k = 0; k < (int)(sizeof consumers / sizeof consumers[0]); k++) {
		for (i = 0; i < reps; i++) {
			/* Alternate which side goes first to share drift. */
			for (side = 0; side < 2; side++) {
				int ours = (i % 2 == 0) ? side == 0 : side == 1;

				bench_once(ours, consumers[k], items,
				    &rate[ours][i], &cpu[ours][i]);
				if (verbose)
					fprintf(stderr, "  %d consumers run %d "
					    "%-5s %8.2f Mitem/s %7.1f CPU "
					    "ns/item\n", consumers[k], i + 1,
					    ours ? "ours" : "mutex",
					    rate[ours][i] / 1e6, cpu[ours][i]);
			}
		}
		for (side = 0; side < 2; side++) {
			mr[side] = median(rate[side], reps);
			mc[side] = median(cpu[side], reps);
		}
		printf("%-9d  %12.2f  %12.2f  %9.2fx  %12.1f  %12.1f\n",
		    consumers[k], mr[1] / 1e6, mr[0] / 1e6, mr[1] / mr[0],
		    mc[1], mc[0]);
		fflush(stdout);
	}
	printf("\nMitem/s: items through the queue per second (higher is "
	    "better).\nCPU ns: process CPU time (user + system) per item "
	    "(lower is better).\n");
	return 0;
}
