/*
 * keygate.c -- order per key (see keygate.h).
 *
 * Design: a hash table of key records, one record per key that has an event
 * running; the record holds a copy of the key and the FIFO (head/tail) of
 * that key's parked nodes. "Running" is implied by the record existing, so
 * the table only ever holds keys with work in flight: their number is
 * bounded by the daemon's in-flight limit, not by how many keys exist.
 *
 * The table is split into stripes (a power of two), each with its own mutex
 * and its own bucket array; the stripe comes from the high bits of a key's
 * hash, the bucket from the low bits. Workers releasing different keys
 * rarely meet on one mutex, and the admitting thread never waits on a
 * global lock. Each stripe is aligned to a cache line so that neighbouring
 * mutexes do not share one.
 *
 * A stripe's buckets double when its records outnumber its buckets (load
 * factor 1) rather than being fixed and large: 64 stripes of a large fixed
 * array cost memory for every idle daemon, while growth costs one rehash of
 * a single stripe, amortized O(1) per admission, and at the high-water mark
 * the table is one pointer per in-flight key. Buckets never shrink: the
 * high-water mark is itself bounded by the in-flight limit.
 *
 * The mutex is held for a lookup and a few pointer operations: a record is
 * allocated and freed outside it (admit re-checks after allocating). Bucket
 * growth is the one O(n) step under a stripe lock, and it is rare.
 *
 * Hash: a 64-bit multiply-rotate hash over 8-byte words (in the manner of
 * xxHash64's round) with a murmur3 finalizer, seeded per gate from
 * getrandom() so that producers cannot aim many keys at one chain.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "keygate.h"
#include "util.h"

#define KEYGATE_CACHELINE	64
#define KEYGATE_DEFSTRIPES	64
#define KEYGATE_MAXSTRIPES	65536
#define KEYGATE_MINBUCKETS	8

#define KEYGATE_P1	0x9e3779b185ebca87ULL
#define KEYGATE_P2	0xc2b2ae3d27d4eb4fULL
#define KEYGATE_P3	0x165667b19e3779f9ULL

struct keygate_rec {
	struct keygate_rec	*chain;		/* next in the bucket */
	uint64_t		 hash;
	struct keygate_node	*head;		/* parked FIFO */
	struct keygate_node	*tail;
	size_t			 keylen;
	unsigned char		 key[];
};

struct keygate_stripe {
	pthread_mutex_t		 mtx;
	struct keygate_rec	**buckets;
	size_t			 nbuckets;	/* power of two */
	size_t			 nrecs;
} __attribute__((aligned(KEYGATE_CACHELINE)));

struct keygate {
	struct keygate_stripe	*stripes;
	size_t			 nstripes;	/* power of two */
	uint64_t		 seed;

	/*
	 * Changed under a stripe mutex, read without one: exact only when
	 * no admit or release runs.
	 */
	atomic_size_t		 keys;
	atomic_size_t		 parked;
};

static uint64_t
keygate_rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
keygate_round(uint64_t h, uint64_t w)
{
	w *= KEYGATE_P2;
	w = keygate_rotl(w, 31) * KEYGATE_P1;
	h ^= w;
	return keygate_rotl(h, 27) * KEYGATE_P1 + KEYGATE_P3;
}

static uint64_t
keygate_hash(uint64_t seed, const void *key, size_t len)
{
	const unsigned char	*p = key;	/* NULL when len is 0 */
	uint64_t		 h, w;
	size_t			 i;

	h = seed ^ ((uint64_t)len * KEYGATE_P1);
	for (i = 0; len - i > 8; i += 8) {
		memcpy(&w, p + i, 8);
		h = keygate_round(h, w);
	}
	/* The last 1 to 8 bytes (len is mixed in above). */
	if (len > 0)
		h = keygate_round(h, load_tail64(p, len));

	/* murmur3 fmix64: every input bit reaches every output bit. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
keygate_make_seed(const void *g)
{
	uint64_t	seed;

	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) ==
	    (ssize_t)sizeof seed)
		return seed;
	/* No entropy yet (early boot): still differs per run. */
	return (uint64_t)now_ms() * KEYGATE_P1 ^ (uint64_t)(uintptr_t)g;
}

static struct keygate_stripe *
keygate_stripe(struct keygate *g, uint64_t hash)
{
	return &g->stripes[(hash >> 32) & (g->nstripes - 1)];
}

/*
 * Returns the link that points at key's record (its bucket head or the
 * previous record's chain), so the caller can unlink it; *link is NULL when
 * key has no record. Stripe mutex held.
 */
static struct keygate_rec **
keygate_find(struct keygate_stripe *st, uint64_t hash, const void *key,
    size_t keylen)
{
	struct keygate_rec	**link, *rec;

	link = &st->buckets[hash & (st->nbuckets - 1)];
	for (rec = *link; rec != NULL; rec = *link) {
		if (rec->hash == hash && rec->keylen == keylen &&
		    (keylen == 0 || memcmp(rec->key, key, keylen) == 0))
			break;
		link = &rec->chain;
	}
	return link;
}

/* Doubles the stripe's buckets and rehashes its records. Stripe mutex held. */
static void
keygate_grow(struct keygate_stripe *st)
{
	struct keygate_rec	**buckets, *rec, *next;
	size_t			 nbuckets, i, b;

	nbuckets = st->nbuckets * 2;
	buckets = xcalloc(nbuckets, sizeof *buckets);
	for (i = 0; i < st->nbuckets; i++) {
		for (rec = st->buckets[i]; rec != NULL; rec = next) {
			next = rec->chain;
			b = rec->hash & (nbuckets - 1);
			rec->chain = buckets[b];
			buckets[b] = rec;
		}
	}
	free(st->buckets);
	st->buckets = buckets;
	st->nbuckets = nbuckets;
}

/*
 * Returns a new gate with stripes mutexes (rounded up to a power of two,
 * at most 65536; 0 picks 64). Caller owns it; free with keygate_destroy().
 * Aborts if memory or a mutex cannot be had.
 */
struct keygate *
keygate_create(size_t stripes)
{
	struct keygate		*g;
	struct keygate_stripe	*st;
	void			*mem;
	size_t			 n, i;
	int			 error;

	if (stripes == 0)
		stripes = KEYGATE_DEFSTRIPES;
	if (stripes > KEYGATE_MAXSTRIPES)
		stripes = KEYGATE_MAXSTRIPES;
	for (n = 1; n < stripes; n *= 2)
		;

	g = xcalloc(1, sizeof *g);
	g->nstripes = n;
	g->seed = keygate_make_seed(g);
	atomic_init(&g->keys, 0);
	atomic_init(&g->parked, 0);

	error = posix_memalign(&mem, KEYGATE_CACHELINE, n * sizeof *g->stripes);
	if (error != 0) {
		fprintf(stderr, "sipeatd: keygate: posix_memalign: %s\n",
		    strerror(error));
		abort();
	}
	g->stripes = mem;
	for (i = 0; i < n; i++) {
		st = &g->stripes[i];
		error = pthread_mutex_init(&st->mtx, NULL);
		if (error != 0) {
			fprintf(stderr, "sipeatd: keygate: pthread_mutex_init: "
			    "%s\n", strerror(error));
			abort();
		}
		st->nbuckets = KEYGATE_MINBUCKETS;
		st->buckets = xcalloc(st->nbuckets, sizeof *st->buckets);
		st->nrecs = 0;
	}
	return g;
}

/*
 * Frees g and every key record. Parked nodes belong to the caller and are
 * not touched. No other thread may use g any more. NULL is allowed.
 */
void
keygate_destroy(struct keygate *g)
{
	struct keygate_stripe	*st;
	struct keygate_rec	*rec, *next;
	size_t			 i, b;

	if (g == NULL)
		return;
	for (i = 0; i < g->nstripes; i++) {
		st = &g->stripes[i];
		for (b = 0; b < st->nbuckets; b++) {
			for (rec = st->buckets[b]; rec != NULL; rec = next) {
				next = rec->chain;
				free(rec);
			}
		}
		free(st->buckets);
		pthread_mutex_destroy(&st->mtx);
	}
	free(g->stripes);
	free(g);
}

/*
 * Admits node for key (keylen bytes, any values; key may be NULL when keylen
 * is 0). Returns 1 when no event of key was running: key is now running and
 * the caller runs node. Returns 0 when node was appended to key's FIFO: the
 * gate holds it until keygate_release() hands it out; the caller must not
 * touch node meanwhile. The gate copies the key. Any thread; the daemon
 * admits from the consumer thread only, which fixes the order (keygate.h).
 */
int
keygate_admit(struct keygate *g, const void *key, size_t keylen,
    struct keygate_node *node)
{
	struct keygate_stripe	*st;
	struct keygate_rec	**link, *rec, *fresh = NULL;
	uint64_t		 hash;

	hash = keygate_hash(g->seed, key, keylen);
	st = keygate_stripe(g, hash);
	node->next = NULL;

	pthread_mutex_lock(&st->mtx);
	link = keygate_find(st, hash, key, keylen);
	if (*link == NULL) {
		/* Allocate outside the lock, then look again. */
		pthread_mutex_unlock(&st->mtx);
		fresh = xmalloc(sizeof *fresh + keylen);
		fresh->hash = hash;
		fresh->head = NULL;
		fresh->tail = NULL;
		fresh->keylen = keylen;
		if (keylen > 0)
			memcpy(fresh->key, key, keylen);
		pthread_mutex_lock(&st->mtx);
		link = keygate_find(st, hash, key, keylen);
		if (*link == NULL) {
			fresh->chain = NULL;
			*link = fresh;
			st->nrecs++;
			if (st->nrecs > st->nbuckets)
				keygate_grow(st);
			atomic_fetch_add_explicit(&g->keys, 1,
			    memory_order_relaxed);
			pthread_mutex_unlock(&st->mtx);
			return 1;
		}
		/* Another admitting thread created it meanwhile. */
	}
	rec = *link;
	if (rec->tail != NULL)
		rec->tail->next = node;
	else
		rec->head = node;
	rec->tail = node;
	/*
	 * Counters change under the stripe mutex, so the release that undoes
	 * this count cannot run first and wrap the counter below zero.
	 */
	atomic_fetch_add_explicit(&g->parked, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st->mtx);
	free(fresh);
	return 0;
}

/*
 * Called by the thread whose event of key finished. Returns key's oldest
 * parked node, now running and owned by the caller (its next is NULL), or
 * NULL when none was parked: key is idle and its record freed. Also NULL,
 * changing nothing, when key was not running (a caller bug). Any thread.
 */
struct keygate_node *
keygate_release(struct keygate *g, const void *key, size_t keylen)
{
	struct keygate_stripe	*st;
	struct keygate_rec	**link, *rec;
	struct keygate_node	*node;
	uint64_t		 hash;

	hash = keygate_hash(g->seed, key, keylen);
	st = keygate_stripe(g, hash);

	pthread_mutex_lock(&st->mtx);
	link = keygate_find(st, hash, key, keylen);
	rec = *link;
	if (rec == NULL) {
		pthread_mutex_unlock(&st->mtx);
		return NULL;
	}
	node = rec->head;
	if (node != NULL) {
		rec->head = node->next;
		if (rec->head == NULL)
			rec->tail = NULL;
		atomic_fetch_sub_explicit(&g->parked, 1, memory_order_relaxed);
		pthread_mutex_unlock(&st->mtx);
		node->next = NULL;
		return node;
	}
	*link = rec->chain;
	st->nrecs--;
	atomic_fetch_sub_explicit(&g->keys, 1, memory_order_relaxed);
	pthread_mutex_unlock(&st->mtx);
	free(rec);
	return NULL;
}

/*
 * Returns the number of keys with an event running or parked. Any thread;
 * exact only while no admit or release runs.
 */
size_t
keygate_keys(struct keygate *g)
{
	return atomic_load_explicit(&g->keys, memory_order_relaxed);
}

/*
 * Returns the number of parked nodes over all keys. Any thread; exact only
 * while no admit or release runs.
 */
size_t
keygate_parked(struct keygate *g)
{
	return atomic_load_explicit(&g->parked, memory_order_relaxed);
}
