/*
 * fuzz.c -- the helpers of fuzz.h. The Discord checker parses the JSON
 * with json-c's strict tokener but counts (in UTF-16 units) and validates
 * the text itself, so that it shares no code with src/embed.c or
 * src/utf8.c (the text oracles are tests/textcheck.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "textcheck.h"

void
fuzz_assert(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, what);
	abort();
}

/*
 * The string member key of o, checked: valid UTF-8 without control
 * characters (SPEC section 2), lo..hi UTF-16 units.
 */
static size_t
text(json_object *o, const char *key, size_t lo, size_t hi, int required)
{
	json_object	*v;
	const char	*s;
	size_t		 n;

	if (!json_object_object_get_ex(o, key, &v)) {
		FUZZ_ASSERT(!required);
		return 0;
	}
	FUZZ_ASSERT(json_object_is_type(v, json_type_string));
	s = json_object_get_string(v);
	FUZZ_ASSERT((size_t)json_object_get_string_len(v) == strlen(s));
	FUZZ_ASSERT(text_utf8_strict(s, strlen(s)));
	FUZZ_ASSERT(!text_has_control(s));
	n = text_units16(s);
	FUZZ_ASSERT(n >= lo && n <= hi);
	return n;
}

size_t
fuzz_check_discord(const char *json, size_t tag)
{
	struct json_tokener	*tok;
	json_object		*e, *fields, *f, *footer;
	size_t			 len = strlen(json), total = 0, i, n;

	(void)tag;
	FUZZ_ASSERT(text_utf8_strict(json, len));
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	e = json_tokener_parse_ex(tok, json, (int)len);
	FUZZ_ASSERT(e != NULL);
	FUZZ_ASSERT(json_tokener_get_parse_end(tok) == len);
	json_tokener_free(tok);
	FUZZ_ASSERT(json_object_is_type(e, json_type_object));
	FUZZ_ASSERT(strcmp(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE), json) == 0);

	total += text(e, "title", 1, 256, 1);
	total += text(e, "description", 1, 4096, 0);
	if (json_object_object_get_ex(e, "footer", &footer))
		total += text(footer, "text", 1, 2048, 1);
	FUZZ_ASSERT(json_object_object_get_ex(e, "fields", &fields));
	FUZZ_ASSERT(json_object_is_type(fields, json_type_array));
	n = json_object_array_length(fields);
	FUZZ_ASSERT(n <= 25);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(fields, i);
		total += text(f, "name", 1, 256, 1);
		total += text(f, "value", 1, 1024, 1);
	}
	FUZZ_ASSERT(total <= 6000);
	json_object_put(e);
	return total;
}
