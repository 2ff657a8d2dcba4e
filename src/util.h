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

#define SIPEAT_PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

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
