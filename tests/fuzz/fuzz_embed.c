/*
 * fuzz_embed.c -- libFuzzer target for the embed writer (SPEC section
 * 4): arbitrary field names and values must always give an embed that
 * passes the independent checker of fuzz.c (json-c as the oracle: valid
 * JSON written back byte for byte, every Discord limit, the count
 * reported equal to the one counted there), with the colour, footer and
 * last fields an event of that outcome must have. The same records, as
 * a synthetic embed (embed_write(): title, fields, footer), must pass too.
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
#define FIELDS_MAX 40

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
	struct embed_field	 sf[FIELDS_MAX];
	struct embed_spec	 es;
	json_object		*stack[DEPTH_MAX], *e, *v, *f;
	char			*copy, *rec, *next, *eq, *b;
	size_t			 depth = 0, c, n, nsf = 0;
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
			if (nsf < FIELDS_MAX) {
				sf[nsf].name = rec;
				sf[nsf].value = eq + 1;
				sf[nsf].inl = (enum embed_inline)(nsf % 3);
				nsf++;
			}
		} else if (rec[0] != '\0')
			in.event_id = rec;
	}
	in.data = stack[0];

	b = embed_build_json(&in, &c);
	FUZZ_ASSERT(c == fuzz_check_discord(b, size));
	e = json_tokener_parse(b);
	FUZZ_ASSERT(json_object_object_get_ex(e, "color", &v));
	FUZZ_ASSERT(json_object_get_int(v) ==
	    (in.success ? EMBED_COLOR_OK : EMBED_COLOR_FAIL));
	FUZZ_ASSERT(json_object_object_get_ex(e, "footer", &v));
	FUZZ_ASSERT(json_object_object_get_ex(v, "text", &v));
	FUZZ_ASSERT(strcmp(json_object_get_string(v), in.success ?
	    "✅ Successfully processed" : "❌ Processing failed") == 0);
	FUZZ_ASSERT(json_object_object_get_ex(e, "fields", &f));
	n = json_object_array_length(f);
	FUZZ_ASSERT(n >= (in.success ? 1u : 2u));
	FUZZ_ASSERT(json_object_object_get_ex(json_object_array_get_idx(f,
	    n - 1), "name", &v));
	FUZZ_ASSERT(strcmp(json_object_get_string(v), "Event ID") == 0);
	if (!in.success) {
		FUZZ_ASSERT(json_object_object_get_ex(json_object_array_get_idx(f,
		    n - 2), "name", &v));
		FUZZ_ASSERT(strcmp(json_object_get_string(v), "Error") == 0);
	}
	json_object_put(e);
	free(b);

	/* The records as a synthetic embed: the same limits, one writer. */
	memset(&es, 0, sizeof es);
	es.title = nsf > 0 ? sf[0].value : copy;
	es.description = (flags & 16) ? copy : NULL;
	es.footer = (flags & 32) ? in.event_id : NULL;
	es.color = (int)flags;
	es.fields = sf;
	es.nfields = nsf;
	es.timestamp = in.finished;
	b = embed_write(&es, &c);
	FUZZ_ASSERT(c == fuzz_check_discord(b, size));
	e = json_tokener_parse(b);
	FUZZ_ASSERT(json_object_object_get_ex(e, "fields", &f));
	FUZZ_ASSERT(json_object_array_length(f) ==
	    (nsf <= EMBED_MAX_FIELDS ? nsf : EMBED_MAX_FIELDS));
	json_object_put(e);
	free(b);
	json_object_put(stack[0]);
	free(copy);
	return 0;
}
