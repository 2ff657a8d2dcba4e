/*
 * fuzz_ratelimit.c -- libFuzzer target for Discord's answer parsing
 * (discord.h): header lines as libcurl hands them over, then a body. The
 * input is split at NUL bytes: every piece but the last is one header line,
 * the last is the body. Whatever the answer says, the parsed values must
 * stay sane: no negative or NaN waits, a wait of at most an hour (the
 * notifier sleeps that long at most), a terminated message, and a class
 * that is one of the six.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discord.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct discord_response r;
	const char *p = (const char *)data, *end = p + size, *nul;
	enum discord_class cls;
	int64_t wait;

	discord_response_init(&r);
	r.status = 200;
	while ((nul = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		/* A status line first sets the status the classifier reads. */
		if ((size_t)(nul - p) > 9 && memcmp(p, "HTTP/1.1 ", 9) == 0)
			r.status = strtol(p + 9, NULL, 10);
		discord_response_header(&r, p, (size_t)(nul - p));
		p = nul + 1;
	}
	discord_response_body(&r, p, (size_t)(end - p));

	FUZZ_ASSERT(memchr(r.message, '\0', sizeof r.message) != NULL);
	FUZZ_ASSERT(!isnan(r.reset_after) && !isnan(r.retry_after) &&
	    !isnan(r.retry_header));
	cls = discord_classify(&r);
	FUZZ_ASSERT(cls >= DISCORD_OK && cls <= DISCORD_RETRY);
	wait = discord_wait_ms(&r);
	FUZZ_ASSERT(wait >= 0 && wait <= 3600 * 1000);
	return 0;
}
