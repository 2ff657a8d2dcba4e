/*
 * fuzz.c -- the helpers of fuzz.h. The Discord checker parses the JSON
 * with json-c's strict tokener but counts (in UTF-16 units) and validates
 * the text itself, so that it shares no code with src/embed.c or
 * src/utf8.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "fuzz.h"

void
fuzz_assert(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, what);
	abort();
}

int
fuzz_utf8_strict(const char *buf, size_t len)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i = 0, n, k;
	unsigned long		 cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * UTF-16 units of valid UTF-8 (what discord.js counts, SPEC section 4):
 * one per lead byte, two for a 4-byte sequence (a surrogate pair).
 */
static size_t
units16(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
		if ((unsigned char)*s >= 0xf0)
			n++;
	}
	return n;
}

/* Whether s has a control character other than tab and newline. */
static int
has_control(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s != '\0'; s++) {
		if ((*s < 0x20 && *s != '\t' && *s != '\n') || *s == 0x7f)
			return 1;
		if (*s == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
			return 1;
	}
	return 0;
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
	FUZZ_ASSERT(fuzz_utf8_strict(s, strlen(s)));
	FUZZ_ASSERT(!has_control(s));
	n = units16(s);
	FUZZ_ASSERT(n >= lo && n <= hi);
	return n;
}

void
fuzz_check_discord(const char *json, size_t tag)
{
	struct json_tokener	*tok;
	json_object		*e, *fields, *f, *footer;
	size_t			 len = strlen(json), total = 0, i, n;

	(void)tag;
	FUZZ_ASSERT(fuzz_utf8_strict(json, len));
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	e = json_tokener_parse_ex(tok, json, (int)len);
	FUZZ_ASSERT(e != NULL);
	FUZZ_ASSERT(json_tokener_get_parse_end(tok) == len);
	json_tokener_free(tok);
	FUZZ_ASSERT(json_object_is_type(e, json_type_object));

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
}
