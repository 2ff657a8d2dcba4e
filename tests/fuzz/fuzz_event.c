/*
 * fuzz_event.c -- libFuzzer target for event_parse() (SPEC section 2).
 *
 * Design: the input is one message value. Every input is parsed twice
 * (the per-thread tokener is reused, so the second parse must agree with
 * the first byte for byte), and a parse that succeeds must have had
 * strict UTF-8 input (checked here independently), a non-empty type and
 * an object for data; the envelope is then serialized, looked up and its
 * embed written, which must pass fuzz.c's checker with the count it
 * reports. The fast parser
 * (event-fast.c) is held to json-c's strict tokener: whatever it accepts,
 * json-c accepts as the same tree, serialized the same. Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "event.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* event_fast_parse() accepts only what json-c reads the same way. */
static void
check_fast(const char *buf, size_t size)
{
	struct json_tokener	*tok;
	json_object		*j, *f;
	char			*keys, *sj;

	if ((f = event_fast_parse(buf, size, &keys)) == NULL)
		return;
	tok = json_tokener_new_ex(EVENT_DEPTH_MAX);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, buf, (int)size);
	if (j == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		j = json_tokener_parse_ex(tok, "", 1);	/* a bare number at the end */
	FUZZ_ASSERT(j != NULL);
	FUZZ_ASSERT(json_tokener_get_parse_end(tok) >= size ||
	    strspn(buf + json_tokener_get_parse_end(tok), " \t\r\n") ==
	    size - json_tokener_get_parse_end(tok));
	json_tokener_free(tok);
	FUZZ_ASSERT(json_object_equal(j, f));
	sj = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	FUZZ_ASSERT(strcmp(sj, json_object_to_json_string_ext(f,
	    JSON_C_TO_STRING_PLAIN)) == 0);
	free(sj);
	json_object_put(j);
	json_object_put(f);
	free(keys);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event		 ev, ev2;
	struct embed_event	 ee;
	char			 err[256], err2[256], *b;
	const char		*buf = (const char *)data;
	size_t			 chars;
	int			 r1, r2;

	check_fast(buf, size);
	r1 = event_parse(&ev, buf, size, "t/0/1", err, sizeof err);
	r2 = event_parse(&ev2, buf, size, "t/0/1", err2, sizeof err2);
	FUZZ_ASSERT(r1 == r2);
	FUZZ_ASSERT(strcmp(ev.id, ev2.id) == 0);
	if (r1 != 0) {
		FUZZ_ASSERT(strcmp(err, err2) == 0);
		FUZZ_ASSERT(ev.root == NULL);
		event_clear(&ev);
		event_clear(&ev2);
		return 0;
	}
	FUZZ_ASSERT(text_utf8_strict(buf, size));
	FUZZ_ASSERT(memchr(buf, '\0', size) == NULL);
	FUZZ_ASSERT(ev.type != NULL && *ev.type != '\0');
	FUZZ_ASSERT(json_object_is_type(ev.data, json_type_object));
	FUZZ_ASSERT(strcmp(event_json(&ev), event_json(&ev2)) == 0);
	FUZZ_ASSERT(event_lookup(&ev, "id") != NULL);
	(void)event_truthy(&ev, "data.a.0.b");
	(void)event_check_required(&ev, err, sizeof err);

	memset(&ee, 0, sizeof ee);
	ee.type = ev.type;
	ee.icon = "📝";
	ee.title = ev.type;
	ee.success = (size & 1) != 0;
	ee.error = ev.type;
	ee.event_id = ev.id;
	ee.data = ev.data;
	ee.finished = 1689431445;
	b = embed_build_json(&ee, &chars);
	FUZZ_ASSERT(chars == fuzz_check_discord(b, size));
	free(b);
	event_clear(&ev);
	event_clear(&ev2);
	return 0;
}
