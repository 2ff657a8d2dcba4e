/*
 * fuzz_embed.c -- libFuzzer target for the embed builders (SPEC section
 * 4): arbitrary field names and values must always give a payload that
 * passes the independent Discord checker of fuzz.c, and
 * embed_build_json() must give exactly embed_to_json(embed_build()).
 *
 * Input format, chosen so that the fuzzer reaches every shape: byte 0 is
 * flags (success, icon, title); then records split at '\n': "{key" opens
 * a nested object, "}" closes one, "key=value" adds a member whose value
 * is a string, or by its first byte: '#' an integer, '@' null, '[' an
 * empty array, '!' true, '%' a double; a record without '=' sets the
 * event id. Bytes pass through as they are, invalid UTF-8 included.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "embed.h"
#include "fuzz.h"

#define DEPTH_MAX 40

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_object *
value_of(const char *v)
{
	switch (v[0]) {
	case '#':
		return json_object_new_int64(strtoll(v + 1, NULL, 10));
	case '@':
		return NULL;
	case '[':
		return json_object_new_array();
	case '!':
		return json_object_new_boolean(1);
	case '%':
		return json_object_new_double(strtod(v + 1, NULL));
	default:
		return json_object_new_string(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct embed_event	 in;
	json_object		*stack[DEPTH_MAX], *e;
	char			*copy, *rec, *next, *eq, *a, *b;
	size_t			 depth = 0, c1, c2;
	unsigned		 flags;

	if (size == 0)
		return 0;
	flags = data[0];
	/* json-c strings stop at NUL: make the records C strings. */
	copy = malloc(size);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';

	memset(&in, 0, sizeof in);
	in.type = "fuzz.created";
	in.icon = (flags & 2) ? "📝" : ((flags & 4) ? "" : NULL);
	in.title = (flags & 8) ? NULL : "Fuzzed";
	in.success = flags & 1;
	in.error = "stage failed: \"quoted\"\n\\";
	in.event_id = "fuzz-1";
	in.finished = (time_t)(flags * 1000003u);
	stack[0] = json_object_new_object();
	for (rec = copy; rec != NULL; rec = next) {
		next = strchr(rec, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (rec[0] == '{' && depth + 1 < DEPTH_MAX) {
			json_object *o = json_object_new_object();

			json_object_object_add(stack[depth], rec + 1, o);
			stack[++depth] = o;
		} else if (rec[0] == '}' && depth > 0)
			depth--;
		else if ((eq = strchr(rec, '=')) != NULL) {
			*eq = '\0';
			json_object_object_add(stack[depth], rec, value_of(eq + 1));
		} else if (rec[0] != '\0')
			in.event_id = rec;
	}
	in.data = stack[0];

	e = embed_build(&in, &c1);
	a = embed_to_json(e);
	b = embed_build_json(&in, &c2);
	FUZZ_ASSERT(strcmp(a, b) == 0);
	FUZZ_ASSERT(c1 == c2);
	FUZZ_ASSERT(c1 <= EMBED_MAX_TOTAL);
	fuzz_check_discord(b, size);
	free(a);
	free(b);
	json_object_put(e);
	json_object_put(stack[0]);
	free(copy);
	return 0;
}
