/*
 * buf.h -- a small growable byte buffer for building strings: bytes,
 * strings, printf, and the two escapings templates need (JSON string
 * content, URL percent-encoding). Allocation aborts on failure (util.h),
 * so no call here fails. The bytes are always NUL-terminated once
 * anything was added; a buf is owned by one thread.
 *
 * Threads: any; a struct buf belongs to the thread that fills it.
 */
#ifndef SIPEAT_BUF_H
#define SIPEAT_BUF_H

#include <stddef.h>

#include "util.h"

struct buf {
	char	*p;	/* NULL until the first append */
	size_t	 len;	/* bytes, not counting the NUL */
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0 }

void	 buf_add(struct buf *b, const void *s, size_t n);
void	 buf_adds(struct buf *b, const char *s);
void	 buf_addc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...) SIPEAT_PRINTFLIKE(2, 3);
/*
 * The n bytes of s as the content of a JSON string (no quotes): '"', '\\'
 * and every control character escaped (\n, \t, ... or \u00XX, U+0000
 * included), U+2028 and U+2029 as \u2028 \u2029; other bytes as they are
 * ("/" is not escaped).
 */
void	 buf_add_json(struct buf *b, const char *s, size_t n);
/*
 * The n bytes of s percent-encoded: everything but RFC 3986 unreserved
 * characters (A-Z a-z 0-9 - . _ ~) as %XX; "." and ".." whole are encoded
 * too (%2E), so a value can never be a dot segment.
 */
void	 buf_add_pct(struct buf *b, const char *s, size_t n);
/* The contents ("" when empty), now the caller's to free; b is reset. */
char	*buf_take(struct buf *b);
void	 buf_free(struct buf *b);

#endif
