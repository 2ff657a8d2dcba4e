/*
 * fuzz_event.c -- libFuzzer target for event_parse() (SPEC section 2).
 *
 * Design: the input is one message value. Every input is parsed twice
 * (the per-thread tokener is reused, so the second parse must agree with
 * the first byte for byte), and a parse that succeeds must have had
 * strict UTF-8 input (checked here independently), a non-empty type and
 * an object for data; the envelope is then serialized, looked up and run
 * through the embed builders, which must agree. Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "event.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event		 ev, ev2;
	struct embed_event	 ee;
	char			 err[256], err2[256], *a, *b;
	const char		*buf = (const char *)data;
	json_object		*e;
	int			 r1, r2;

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
	e = embed_build(&ee, NULL);
	a = embed_to_json(e);
	b = embed_build_json(&ee, NULL);
	FUZZ_ASSERT(strcmp(a, b) == 0);
	fuzz_check_discord(b, size);
	free(a);
	free(b);
	json_object_put(e);
	event_clear(&ev);
	event_clear(&ev2);
	return 0;
}
