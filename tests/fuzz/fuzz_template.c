/*
 * fuzz_template.c -- libFuzzer target for template_validate() and
 * template_expand(). The input is a template, a NUL byte, then an
 * envelope (the whole input is the template when there is no NUL).
 * A template that validates must expand or fail with "missing field";
 * one that does not validate must not expand either (its message, or a
 * missing field met before the syntax error).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"

#define DEFAULT_EVENT \
	"{\"id\":\"e-1\",\"type\":\"t\",\"data\":{\"a\":{\"b\":[1,\"x\",null]}," \
	"\"s\":\"text\",\"n\":2.5,\"t\":true,\"e\":\"\"}}"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	 ev;
	const char	*nul = memchr(data, '\0', size), *body;
	char		*tmpl, *out, verr[256], xerr[256];
	size_t		 tlen = nul != NULL ? (size_t)(nul - (const char *)data) : size;
	size_t		 blen;
	int		 valid;

	tmpl = malloc(tlen + 1);
	memcpy(tmpl, data, tlen);
	tmpl[tlen] = '\0';
	if (nul != NULL) {
		body = nul + 1;
		blen = size - tlen - 1;
	} else {
		body = DEFAULT_EVENT;
		blen = strlen(DEFAULT_EVENT);
	}
	valid = template_validate(tmpl, verr, sizeof verr) == 0;
	if (event_parse(&ev, body, blen, "t/0/0", xerr, sizeof xerr) == 0) {
		out = template_expand(tmpl, &ev, xerr, sizeof xerr);
		if (!valid) {
			/*
			 * Expansion stops at the first problem on its way:
			 * a missing field before the syntax error wins.
			 */
			FUZZ_ASSERT(out == NULL);
			FUZZ_ASSERT(strcmp(verr, xerr) == 0 ||
			    strncmp(xerr, "missing field ", 14) == 0);
		} else if (out == NULL)
			FUZZ_ASSERT(strncmp(xerr, "missing field ", 14) == 0);
		free(out);
		event_clear(&ev);
	}
	free(tmpl);
	return 0;
}
