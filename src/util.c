/*
 * util.c -- allocation wrappers that abort on exhaustion (a daemon that
 * cannot allocate a few bytes cannot keep its promises anyway), and time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static void
oom(size_t size)
{
	fprintf(stderr, "sipeatd: out of memory allocating %zu bytes\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *
xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		oom(size);
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(ptr, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * xasprintf() formats into a buffer of the calling thread, kept between
 * calls and grown to the longest text formatted, then copies the text
 * into an exact allocation. vasprintf() grows a fresh buffer by doubling
 * and clears every new one (glibc's _IO_str_overflow): about 25 kB of
 * memory traffic, and fresh pages, per Discord payload of a few kB
 * (webhook_payload(), 5% of the notifier's CPU); and vsnprintf() past
 * the end of a buffer is slower still. The key's destructor frees the
 * buffer when the thread exits.
 */
#define FMTBUF_MAX	(256 * 1024)	/* a longer text is not kept room for */

struct fmtbuf {
	char	*p;
	size_t	 size;
};

static pthread_key_t	fmt_key;
static pthread_once_t	fmt_once = PTHREAD_ONCE_INIT;
static int		fmt_key_ok;

static void
fmt_free(void *arg)
{
	struct fmtbuf *b = arg;

	free(b->p);
	free(b);
}

static void
fmt_key_init(void)
{
	fmt_key_ok = pthread_key_create(&fmt_key, fmt_free) == 0;
}

char *
xasprintf(const char *fmt, ...)
{
	struct fmtbuf *b = NULL;
	va_list ap;
	char *p;
	int n;

	pthread_once(&fmt_once, fmt_key_init);
	if (fmt_key_ok && (b = pthread_getspecific(fmt_key)) == NULL) {
		b = xcalloc(1, sizeof *b);
		b->size = 8192;
		b->p = xmalloc(b->size);
		if (pthread_setspecific(fmt_key, b) != 0) {
			fmt_free(b);
			b = NULL;
		}
	}
	if (b != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(b->p, b->size, fmt, ap);
		va_end(ap);
		if (n < 0)
			oom(0);
		p = xmalloc((size_t)n + 1);
		if ((size_t)n < b->size) {
			memcpy(p, b->p, (size_t)n + 1);
			return p;
		}
		/* Longer than ever: once more, into the exact allocation. */
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
		if ((size_t)n < FMTBUF_MAX) {
			/* Grown to the longest text, so it is the last time. */
			free(b->p);
			b->size = (size_t)n + 1;
			b->p = xmalloc(b->size);
		}
		return p;
	}
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return p;
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t
now_ms(void)
{
	return (int64_t)(now_ns() / 1000000u);
}

void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * No snprintf: stdio's setup costs ~600 instructions a call, more than
 * the copy (callgrind, work W: notice_create() calls this per event).
 */
char *
str_copy(char *dst, const char *src, size_t size)
{
	size_t len;

	if (size == 0)
		return dst;
	len = strnlen(src, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
	return dst;
}

/* Writes v in decimal at p (at least 20 bytes); returns its length. */
static size_t
fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Writes v in decimal at p (at least 21 bytes); returns its length. */
static size_t
fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return fmt_u64(p, (uint64_t)v);
	*p = '-';
	return 1 + fmt_u64(p + 1, -(uint64_t)v);
}

char *
str_msgid(char *dst, size_t size, const char *topic, int32_t partition,
    int64_t offset)
{
	char nums[48];
	size_t n = 0, len;

	nums[n++] = '/';
	n += fmt_i64(nums + n, partition);
	nums[n++] = '/';
	n += fmt_i64(nums + n, offset);
	nums[n] = '\0';
	if (size == 0)
		return dst;
	/* Cut as snprintf would: the whole text to size - 1 bytes. */
	str_copy(dst, topic, size);
	len = strlen(dst);
	str_copy(dst + len, nums, size - len);
	return dst;
}

int
str_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

uint64_t
str_hash(uint64_t h, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	do {
		h ^= *p;
		h *= 1099511628211ULL;
	} while (*p++ != '\0');
	return h;
}
