/*
 * check_webhook.c -- tests for webhook.c (SPEC section 9): mention
 * parsing, the events/types filter, and the per-message extras: the
 * mention once in content on messages holding a failure, allowed_mentions
 * allowing exactly it (and nothing otherwise), flags 4096 as silent says,
 * thread_id on the URL and never in the body.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "util.h"
#include "webhook.h"

#define URL "https://discord.com/api/webhooks/42/t0k-en"

START_TEST(test_mention_parse)
{
	static const struct {
		const char			*in;
		enum webhook_mention_kind	 kind;
		const char			*id;
	} ok[] = {
		{ "<@&123456789012345678>", WEBHOOK_MENTION_ROLE, "123456789012345678" },
		{ "<@987>", WEBHOOK_MENTION_USER, "987" },
		{ "<@!987>", WEBHOOK_MENTION_USER, "987" },
		{ "@here", WEBHOOK_MENTION_HERE, "" },
		{ "<@&18446744073709551615>", WEBHOOK_MENTION_ROLE,
		    "18446744073709551615" },
	};
	static const char *const bad[] = {
		"", "@everyone", "everyone", "<@&>", "<@>", "<@&12a>", "<@&12",
		"<@&12> ", " <@&12>", "<#123>", "<@&123456789012345678901>",
		"@here ", "<@&1><@&2>", "123",
	};
	struct webhook_mention m;
	char err[256];

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ck_assert_msg(webhook_mention_parse(ok[i].in, &m, err, sizeof err) == 0,
		    "%s: %s", ok[i].in, err);
		ck_assert_int_eq(m.kind, ok[i].kind);
		ck_assert_str_eq(m.id, ok[i].id);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(webhook_mention_parse(bad[i], &m, err, sizeof err) == -1,
		    "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(m.kind, WEBHOOK_MENTION_NONE);
		ck_assert(err[0] != '\0');
	}
	ck_assert_int_eq(webhook_mention_parse("@everyone", &m, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "@everyone"));
}
END_TEST

START_TEST(test_enums)
{
	enum webhook_events e;
	enum webhook_silent s;

	ck_assert_int_eq(webhook_events_parse("all", &e), 0);
	ck_assert_int_eq(e, WEBHOOK_EVENTS_ALL);
	ck_assert_int_eq(webhook_events_parse("failures", &e), 0);
	ck_assert_int_eq(e, WEBHOOK_EVENTS_FAILURES);
	ck_assert_int_eq(webhook_events_parse("successes", &e), 0);
	ck_assert_int_eq(e, WEBHOOK_EVENTS_SUCCESSES);
	ck_assert_int_eq(webhook_events_parse("failure", &e), -1);
	ck_assert_int_eq(webhook_events_parse("", &e), -1);
	ck_assert_int_eq(webhook_silent_parse("yes", &s), 0);
	ck_assert_int_eq(s, WEBHOOK_SILENT_YES);
	ck_assert_int_eq(webhook_silent_parse("successes", &s), 0);
	ck_assert_int_eq(s, WEBHOOK_SILENT_SUCCESSES);
	ck_assert_int_eq(webhook_silent_parse("no", &s), 0);
	ck_assert_int_eq(s, WEBHOOK_SILENT_NO);
	ck_assert_int_eq(webhook_silent_parse("true", &s), -1);
}
END_TEST

START_TEST(test_matches)
{
	struct webhook wh;

	webhook_init(&wh, "default");
	ck_assert_int_eq(webhook_matches(&wh, "request.created", 1), 1);
	ck_assert_int_eq(webhook_matches(&wh, "request.created", 0), 1);
	ck_assert_int_eq(webhook_matches(&wh, "invalid", 0), 1);
	wh.events = WEBHOOK_EVENTS_FAILURES;
	ck_assert_int_eq(webhook_matches(&wh, "request.created", 1), 0);
	ck_assert_int_eq(webhook_matches(&wh, "request.created", 0), 1);
	webhook_add_type(&wh, "request.created");
	webhook_add_type(&wh, "machine.created");
	webhook_add_type(&wh, "request.created");
	ck_assert_uint_eq(wh.ntypes, 2);
	ck_assert_int_eq(webhook_matches(&wh, "request.created", 0), 1);
	ck_assert_int_eq(webhook_matches(&wh, "machine.created", 0), 1);
	ck_assert_int_eq(webhook_matches(&wh, "contact.created", 0), 0);
	ck_assert_int_eq(webhook_matches(&wh, "invalid", 0), 0);
	ck_assert_int_eq(webhook_matches(&wh, NULL, 0), 0);
	wh.events = WEBHOOK_EVENTS_SUCCESSES;
	ck_assert_int_eq(webhook_matches(&wh, "machine.created", 1), 1);
	ck_assert_int_eq(webhook_matches(&wh, "machine.created", 0), 0);
	webhook_clear(&wh);
	ck_assert_ptr_null(wh.name);
}
END_TEST

static void
extras_eq(struct webhook *wh, int has_failure, const char *want)
{
	char *s = webhook_extras(wh, has_failure);

	ck_assert_str_eq(s, want);
	free(s);
}

START_TEST(test_extras)
{
	struct webhook wh;
	char err[256];

	webhook_init(&wh, "alerts");
	/* No mention: nothing may ping, failure or not. */
	extras_eq(&wh, 1, "\"allowed_mentions\":{\"parse\":[]}");
	extras_eq(&wh, 0, "\"allowed_mentions\":{\"parse\":[]}");
	ck_assert_uint_eq(webhook_content_chars(&wh, 1), 0);

	ck_assert_int_eq(webhook_mention_parse("<@&123>", &wh.mention, err,
	    sizeof err), 0);
	extras_eq(&wh, 1, "\"content\":\"<@&123>\",\"allowed_mentions\":"
	    "{\"parse\":[],\"roles\":[\"123\"]}");
	extras_eq(&wh, 0, "\"allowed_mentions\":{\"parse\":[]}");
	ck_assert_uint_eq(webhook_content_chars(&wh, 1), strlen("<@&123>"));
	ck_assert_uint_eq(webhook_content_chars(&wh, 0), 0);

	ck_assert_int_eq(webhook_mention_parse("<@!77>", &wh.mention, err,
	    sizeof err), 0);
	extras_eq(&wh, 1, "\"content\":\"<@77>\",\"allowed_mentions\":"
	    "{\"parse\":[],\"users\":[\"77\"]}");
	ck_assert_uint_eq(webhook_content_chars(&wh, 1), strlen("<@77>"));

	ck_assert_int_eq(webhook_mention_parse("@here", &wh.mention, err,
	    sizeof err), 0);
	extras_eq(&wh, 1, "\"content\":\"@here\",\"allowed_mentions\":"
	    "{\"parse\":[\"everyone\"]}");
	extras_eq(&wh, 0, "\"allowed_mentions\":{\"parse\":[]}");
	ck_assert_uint_eq(webhook_content_chars(&wh, 1), 5);

	/* silent: yes on every message, successes on those without failure. */
	wh.silent = WEBHOOK_SILENT_YES;
	extras_eq(&wh, 1, "\"content\":\"@here\",\"allowed_mentions\":"
	    "{\"parse\":[\"everyone\"]},\"flags\":4096");
	extras_eq(&wh, 0, "\"allowed_mentions\":{\"parse\":[]},\"flags\":4096");
	wh.silent = WEBHOOK_SILENT_SUCCESSES;
	extras_eq(&wh, 1, "\"content\":\"@here\",\"allowed_mentions\":"
	    "{\"parse\":[\"everyone\"]}");
	extras_eq(&wh, 0, "\"allowed_mentions\":{\"parse\":[]},\"flags\":4096");
	webhook_clear(&wh);
}
END_TEST

/* The whole message parses, carries the envelope and the extras once. */
START_TEST(test_payload)
{
	struct webhook wh;
	const char *embeds[2] = {
		"{\"title\":\"a\",\"description\":\"<@&1> @everyone @here <@2>\"}",
		"{\"title\":\"b\"}",
	};
	char err[256], *p;
	json_object *o, *v, *am;

	webhook_init(&wh, "alerts");
	wh.username = xstrdup("SipEat alerts");
	wh.thread_id = xstrdup("987654321");
	ck_assert_int_eq(webhook_set_url(&wh, URL, err, sizeof err), 0);
	ck_assert_str_eq(wh.dw.url, "https://discord.com/api/v10/webhooks/42/"
	    "t0k-en?thread_id=987654321");
	ck_assert_str_eq(wh.url, URL);
	ck_assert_int_eq(webhook_mention_parse("<@&555>", &wh.mention, err,
	    sizeof err), 0);
	wh.silent = WEBHOOK_SILENT_SUCCESSES;

	p = webhook_payload(&wh, embeds, 2, 1);
	o = json_tokener_parse(p);
	ck_assert_msg(o != NULL, "not JSON: %s", p);
	ck_assert(json_object_object_get_ex(o, "username", &v));
	ck_assert_str_eq(json_object_get_string(v), "SipEat alerts");
	ck_assert(!json_object_object_get_ex(o, "avatar_url", &v));
	ck_assert(json_object_object_get_ex(o, "embeds", &v));
	ck_assert_uint_eq(json_object_array_length(v), 2);
	ck_assert(json_object_object_get_ex(o, "content", &v));
	ck_assert_str_eq(json_object_get_string(v), "<@&555>");
	ck_assert(json_object_object_get_ex(o, "allowed_mentions", &am));
	ck_assert_str_eq(json_object_to_json_string_ext(am, JSON_C_TO_STRING_PLAIN),
	    "{\"parse\":[],\"roles\":[\"555\"]}");
	ck_assert(!json_object_object_get_ex(o, "flags", &v));
	ck_assert(!json_object_object_get_ex(o, "thread_id", &v));
	/* The mention once in the whole message's content. */
	ck_assert_ptr_null(strstr(strstr(p, "<@&555>") + 1, "<@&555>"));
	json_object_put(o);
	free(p);

	p = webhook_payload(&wh, embeds + 1, 1, 0);
	o = json_tokener_parse(p);
	ck_assert_ptr_nonnull(o);
	ck_assert(!json_object_object_get_ex(o, "content", &v));
	ck_assert(json_object_object_get_ex(o, "flags", &v));
	ck_assert_int_eq(json_object_get_int(v), 4096);
	ck_assert(json_object_object_get_ex(o, "allowed_mentions", &am));
	ck_assert_str_eq(json_object_to_json_string_ext(am, JSON_C_TO_STRING_PLAIN),
	    "{\"parse\":[]}");
	json_object_put(o);
	free(p);
	webhook_clear(&wh);
}
END_TEST

START_TEST(test_set_url_bad)
{
	struct webhook wh;
	char err[256];

	webhook_init(&wh, "x");
	ck_assert_int_eq(webhook_set_url(&wh, "https://discord.com/api/webhooks/"
	    "x/t0k-en", err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "t0k-en"));
	ck_assert_ptr_null(wh.url);
	wh.thread_id = xstrdup("12x");
	ck_assert_int_eq(webhook_set_url(&wh, URL, err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "t0k-en"));
	ck_assert_ptr_null(wh.dw.url);
	webhook_clear(&wh);
}
END_TEST

Suite *
suite_webhook(void)
{
	Suite	*s = suite_create("webhook");
	TCase	*tc = tcase_create("webhook");

	tcase_add_test(tc, test_mention_parse);
	tcase_add_test(tc, test_enums);
	tcase_add_test(tc, test_matches);
	tcase_add_test(tc, test_extras);
	tcase_add_test(tc, test_payload);
	tcase_add_test(tc, test_set_url_bad);
	suite_add_tcase(s, tc);
	return s;
}
