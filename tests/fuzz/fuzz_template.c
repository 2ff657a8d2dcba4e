/*
 * fuzz_template.c -- libFuzzer target for the template engine
 * (template.h). The input is a template, a NUL byte, then an envelope
 * (the whole input is the template when there is no NUL). The template is
 * compiled in every mode and expanded; the properties checked are the
 * ones SPEC section 3 promises:
 *   - a template that compiles in one mode compiles in every other mode
 *     but TPL_JSON (the syntax is the same), and a failure names the same
 *     syntax error;
 *   - expansion fails only with "missing field", or in TPL_MAIL_HEADER
 *     with a line break;
 *   - a TPL_JSON expansion is JSON, whatever the event holds;
 *   - a TPL_MAIL_HEADER expansion holds no CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "template.h"

#define DEFAULT_EVENT \
	"{\"id\":\"e-1\",\"type\":\"t\",\"data\":{\"a\":{\"b\":[1,\"x\",null]}," \
	"\"s\":\"te\\\"xt\\\\\\n\\u0000\",\"n\":2.5,\"t\":true,\"e\":\"\"," \
	"\"q\":\"\\\", \\\"admin\\\": true\"}}"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict JSON per json-c, with nothing after the value. */
static int
is_json(const char *s)
{
	struct json_tokener *tok = json_tokener_new_ex(EVENT_DEPTH_MAX * 2);
	enum json_tokener_error jerr;
	json_object *o;
	size_t len = strlen(s);
	int ok;

	FUZZ_ASSERT(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	while (len > 0 && strchr(" \t\r\n", s[len - 1]) != NULL)
		len--;
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	} else if (jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len)
		jerr = json_tokener_error_parse_unexpected;
	ok = jerr == json_tokener_success;
	json_object_put(o);
	json_tokener_free(tok);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tpl_mode modes[] = {
		TPL_TEXT, TPL_JSON, TPL_URL, TPL_MAIL_HEADER, TPL_ARG
	};
	struct event	 ev;
	struct tpl	*t;
	const char	*nul = memchr(data, '\0', size), *body;
	char		*tmpl, *out, terr[256], cerr[256], xerr[256];
	size_t		 tlen = nul != NULL ? (size_t)(nul - (const char *)data) : size;
	size_t		 blen, i;
	int		 text_ok, have_ev;

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
	have_ev = event_parse(&ev, body, blen, "t/0/0", xerr, sizeof xerr) == 0;
	text_ok = template_validate(tmpl, terr, sizeof terr) == 0;
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		t = tpl_compile(tmpl, modes[i], cerr, sizeof cerr);
		if (modes[i] != TPL_JSON) {
			FUZZ_ASSERT((t != NULL) == text_ok);
			if (t == NULL)
				FUZZ_ASSERT(strcmp(cerr, terr) == 0);
		} else if (!text_ok)
			FUZZ_ASSERT(t == NULL && strcmp(cerr, terr) == 0);
		if (t == NULL || !have_ev) {
			tpl_free(t);
			continue;
		}
		out = tpl_expand(t, &ev, xerr, sizeof xerr);
		if (out == NULL)
			FUZZ_ASSERT(strncmp(xerr, "missing field ", 14) == 0 ||
			    (modes[i] == TPL_MAIL_HEADER &&
			    strstr(xerr, "line break") != NULL));
		else if (modes[i] == TPL_JSON)
			FUZZ_ASSERT(is_json(out));
		else if (modes[i] == TPL_MAIL_HEADER)
			FUZZ_ASSERT(strpbrk(out, "\r\n") == NULL ||
			    strpbrk(tmpl, "\r\n") != NULL);
		free(out);
		tpl_free(t);
	}
	if (have_ev)
		event_clear(&ev);
	free(tmpl);
	return 0;
}
