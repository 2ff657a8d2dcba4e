/*
 * util.h -- small helpers shared by every module: allocation that aborts
 * on failure (as tmux's xmalloc.c), monotonic time, string building.
 *
 * Threads: any; stop_flag_set is for the thread running the shutdown.
 */
#ifndef SIPEAT_UTIL_H
#define SIPEAT_UTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SIPEAT_PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/*
 * The tail of p[0..len), len >= 1, as one word for a loop that took 8
 * bytes at a time, by fixed-size loads (a copy of len % 8 bytes is a byte
 * loop): the last 8 bytes when len >= 8, overlapping what went before;
 * else the first 4 and the last 4, overlapping; else the first, middle
 * and last byte in the low three bytes, the rest 0. Every byte of a
 * shorter p is in the word, some maybe twice. The key gate's hash and
 * embed_estr()'s scan (embed-text.c) use it.
 */
static inline uint64_t
load_tail64(const unsigned char *p, size_t len)
{
	uint64_t	w;
	uint32_t	lo, hi;

	if (len >= sizeof w) {
		memcpy(&w, p + len - sizeof w, sizeof w);
		return w;
	}
	if (len >= sizeof lo) {
		memcpy(&lo, p, sizeof lo);
		memcpy(&hi, p + len - sizeof hi, sizeof hi);
		return (uint64_t)lo | (uint64_t)hi << 32;
	}
	return (uint64_t)p[0] | (uint64_t)p[len / 2] << 8 |
	    (uint64_t)p[len - 1] << 16;
}

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xrealloc(void *ptr, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) SIPEAT_PRINTFLIKE(1, 2);

/*
 * The one clock of the daemon: CLOCK_MONOTONIC, in nanoseconds (stage
 * timings) and in milliseconds (deadlines, timeouts). Any thread.
 */
uint64_t now_ns(void);
int64_t	 now_ms(void);
/* Sleeps for ms milliseconds (restarts on EINTR). Never used as synchronisation. */
void	 sleep_ms(int64_t ms);
/* Copies src into dst, cut to size - 1 bytes and always terminated
 * (snprintf "%s"); returns dst. size 0: nothing written. */
char	*str_copy(char *dst, const char *src, size_t size);
/*
 * "TOPIC/PARTITION/OFFSET" (a message's fallback event id, SPEC 2) into
 * dst, cut like str_copy(); returns dst. No stdio: runs per event.
 */
char	*str_msgid(char *dst, size_t size, const char *topic,
	    int32_t partition, int64_t offset);
/* The index of s among the n names, or -1: config words to enums. */
int	 str_index(const char *s, const char *const *names, size_t n);
/*
 * FNV-1a: folds s and its terminating NUL into h, so that chained calls
 * hash a tuple of strings ("ab","c" and "a","bc" differ). Start from
 * STR_HASH_INIT. For in-process tables only: not keyed, not stable API.
 */
#define STR_HASH_INIT	14695981039346656037ULL
uint64_t str_hash(uint64_t h, const char *s);


/*
 * The one stop-flag idiom: a flag one thread sets (the thread running the
 * shutdown) and others poll. Release on set, acquire on get, so what the
 * setter wrote before is seen by a reader that sees the flag. A NULL flag
 * is never set. Any thread.
 */
struct stopflag {
	_Atomic int	 set;
};

static inline void
stop_flag_set(struct stopflag *f)
{
	atomic_store_explicit(&f->set, 1, memory_order_release);
}

static inline void
stop_flag_clear(struct stopflag *f)
{
	atomic_store_explicit(&f->set, 0, memory_order_release);
}

static inline int
stop_flag_get(struct stopflag *f)
{
	return f != NULL && atomic_load_explicit(&f->set, memory_order_acquire);
}

#endif
