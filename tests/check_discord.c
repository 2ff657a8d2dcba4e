/*
 * check_discord.c -- tests for the pure parts of discord.c: webhook URL
 * parsing, normalising to API v10 and redaction; answer parsing (rate-limit
 * headers, the 429 body, Discord's error codes); the reaction to each
 * status; the wait before the next request; backoff bounds; the exact
 * payloads of --test-discord (discord-test.c), made by embed.c's writer.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "discord.h"
#include "util.h"
#include "webhook.h"

#define TOKEN "AbC-123_xyz.tok"

static void
parse_ok(const char *in, const char *want_url)
{
	struct discord_webhook wh;
	char err[256];

	ck_assert_msg(discord_webhook_parse(in, &wh, err, sizeof err) == 0,
	    "%s: %s", in, err);
	ck_assert_str_eq(wh.url, want_url);
	ck_assert_str_eq(wh.token, TOKEN);
	ck_assert_ptr_null(strstr(wh.shown, TOKEN));
	discord_webhook_free(&wh);
}

START_TEST(test_url_forms)
{
	parse_ok("https://discord.com/api/webhooks/123/" TOKEN,
	    "https://discord.com/api/v10/webhooks/123/" TOKEN);
	parse_ok("https://discordapp.com/api/v6/webhooks/123/" TOKEN "/",
	    "https://discordapp.com/api/v10/webhooks/123/" TOKEN);
	parse_ok("https://canary.discord.com/api/v10/webhooks/123/" TOKEN,
	    "https://canary.discord.com/api/v10/webhooks/123/" TOKEN);
	parse_ok("http://127.0.0.1:8080/api/webhooks/123/" TOKEN "?wait=true",
	    "http://127.0.0.1:8080/api/v10/webhooks/123/" TOKEN);
	parse_ok("https://discord.com/api/webhooks/123/" TOKEN "?thread_id=9&wait=1",
	    "https://discord.com/api/v10/webhooks/123/" TOKEN "?thread_id=9");
}
END_TEST

START_TEST(test_url_shown)
{
	struct discord_webhook wh;
	char err[256];

	ck_assert_int_eq(discord_webhook_parse("https://discord.com/api/webhooks/"
	    "98765/" TOKEN, &wh, err, sizeof err), 0);
	ck_assert_str_eq(wh.shown, "\xe2\x80\xa6/webhooks/98765/***");
	ck_assert_str_eq(wh.id, "98765");
	discord_webhook_free(&wh);
}
END_TEST

/* thread_id goes on the query string, once, replacing one the URL had. */
static void
thread_ok(const char *in, const char *thread, const char *want_url)
{
	struct discord_webhook wh;
	char err[256];

	ck_assert_int_eq(discord_webhook_parse(in, &wh, err, sizeof err), 0);
	ck_assert_msg(discord_webhook_set_thread(&wh, thread, err, sizeof err) == 0,
	    "%s: %s", in, err);
	ck_assert_str_eq(wh.url, want_url);
	discord_webhook_free(&wh);
}

START_TEST(test_url_thread)
{
	struct discord_webhook wh;
	char err[256];
	static const char *const bad[] = { "", "12a", "-1", "1 2",
	    "123456789012345678901" };

	thread_ok("https://discord.com/api/webhooks/123/" TOKEN, "987654321",
	    "https://discord.com/api/v10/webhooks/123/" TOKEN "?thread_id=987654321");
	thread_ok("https://discord.com/api/webhooks/123/" TOKEN "?wait=true", "5",
	    "https://discord.com/api/v10/webhooks/123/" TOKEN "?thread_id=5");
	thread_ok("https://discord.com/api/webhooks/123/" TOKEN "?thread_id=9", "5",
	    "https://discord.com/api/v10/webhooks/123/" TOKEN "?thread_id=5");
	thread_ok("https://discord.com/api/webhooks/123/" TOKEN
	    "?a=1&thread_id=9&b=2", "77",
	    "https://discord.com/api/v10/webhooks/123/" TOKEN "?a=1&b=2&thread_id=77");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(discord_webhook_parse("https://discord.com/api/"
		    "webhooks/123/" TOKEN, &wh, err, sizeof err), 0);
		ck_assert_msg(discord_webhook_set_thread(&wh, bad[i], err,
		    sizeof err) == -1, "accepted thread %s", bad[i]);
		ck_assert_ptr_null(strstr(err, TOKEN));
		ck_assert_str_eq(wh.url, "https://discord.com/api/v10/webhooks/123/"
		    TOKEN);
		discord_webhook_free(&wh);
	}
}
END_TEST

START_TEST(test_url_bad)
{
	static const char *const bad[] = {
		"discord.com/api/webhooks/1/" TOKEN,
		"ftp://discord.com/api/webhooks/1/" TOKEN,
		"https://discord.com/webhooks/1/" TOKEN,
		"https://discord.com/api/webhooks/abc/" TOKEN,
		"https://discord.com/api/webhooks/1/",
		"https://discord.com/api/webhooks/1/" TOKEN "/slack",
		"https://discord.com/api/vX/webhooks/1/" TOKEN,
		"https://discord.com/api/webhooks/1/tok$en",
		"https:///api/webhooks/1/" TOKEN,
		"",
	};
	struct discord_webhook wh;
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(discord_webhook_parse(bad[i], &wh, err, sizeof err) == -1,
		    "accepted %s", bad[i]);
		ck_assert_ptr_null(strstr(err, TOKEN));
		ck_assert_ptr_null(wh.url);
	}
}
END_TEST

static void
feed(struct discord_response *r, const char *line)
{
	discord_response_header(r, line, strlen(line));
}

START_TEST(test_headers)
{
	struct discord_response r;

	discord_response_init(&r);
	feed(&r, "HTTP/1.1 204 No Content\r\n");
	feed(&r, "x-ratelimit-limit: 5\r\n");
	feed(&r, "X-RateLimit-Remaining:  0 \r\n");
	feed(&r, "X-RateLimit-Reset: 1470173023.123\r\n");
	feed(&r, "X-RateLimit-Reset-After: 1.234\r\n");
	feed(&r, "X-RateLimit-Bucket: abcd1234\r\n");
	feed(&r, "Content-Length: 0\r\n");
	feed(&r, "\r\n");
	ck_assert_int_eq(r.status, 204);
	ck_assert_int_eq(r.limit, 5);
	ck_assert_int_eq(r.remaining, 0);
	ck_assert_double_eq_tol(r.reset_after, 1.234, 1e-9);
	ck_assert_int_eq(discord_classify(&r), DISCORD_OK);
	ck_assert_int_eq(discord_wait_ms(&r), 1234);

	/* Remaining above 0: no wait. Garbage is "not given". */
	feed(&r, "HTTP/1.1 200 OK\r\n");
	ck_assert_int_eq(r.remaining, -1);
	feed(&r, "X-RateLimit-Remaining: 3\r\n");
	feed(&r, "X-RateLimit-Reset-After: soon\r\n");
	ck_assert_int_eq(r.remaining, 3);
	ck_assert(r.reset_after < 0);
	ck_assert_int_eq(discord_wait_ms(&r), 0);
	feed(&r, "X-RateLimit-Remaining: 0\r\n");
	ck_assert_int_eq(discord_wait_ms(&r), 0);	/* no Reset-After */
}
END_TEST

START_TEST(test_429)
{
	struct discord_response r;
	static const char body[] = "{\"message\": \"You are being rate limited.\","
	    " \"retry_after\": 0.642, \"global\": false}";

	discord_response_init(&r);
	feed(&r, "HTTP/2 429\r\n");
	feed(&r, "retry-after: 1\r\n");
	feed(&r, "X-RateLimit-Remaining: 0\r\n");
	feed(&r, "X-RateLimit-Reset-After: 0.640\r\n");
	discord_response_body(&r, body, strlen(body));
	ck_assert_int_eq(discord_classify(&r), DISCORD_RATE_LIMITED);
	ck_assert_double_eq_tol(r.retry_after, 0.642, 1e-9);
	ck_assert_double_eq_tol(r.retry_header, 1.0, 1e-9);
	ck_assert_int_eq(r.global, 0);
	ck_assert_str_eq(r.message, "You are being rate limited.");
	/* The body's float wins over the header's whole seconds. */
	ck_assert_int_eq(discord_wait_ms(&r), 642);

	/* Global, integer retry_after, no header. */
	discord_response_init(&r);
	r.status = 429;
	discord_response_body(&r, "{\"retry_after\": 3, \"global\": true}", 34);
	ck_assert_int_eq(r.global, 1);
	ck_assert_int_eq(discord_wait_ms(&r), 3000);

	/* Only Retry-After; then neither (1 s). */
	discord_response_init(&r);
	feed(&r, "HTTP/1.1 429 Too Many Requests\r\n");
	feed(&r, "Retry-After: 2\r\n");
	discord_response_body(&r, "<html>cloudflare</html>", 23);
	ck_assert_int_eq(discord_wait_ms(&r), 2000);
	discord_response_init(&r);
	r.status = 429;
	ck_assert_int_eq(discord_wait_ms(&r), 1000);
	feed(&r, "X-RateLimit-Global: true\r\n");
	ck_assert_int_eq(r.global, 1);
}
END_TEST

START_TEST(test_errors)
{
	struct discord_response r;
	static const char bad[] = "{\"code\": 50035, \"errors\": {\"embeds\": {}}, "
	    "\"message\": \"Invalid Form Body\"}";
	static const struct {
		long			status;
		enum discord_class	want;
	} table[] = {
		{ 200, DISCORD_OK }, { 204, DISCORD_OK },
		{ 400, DISCORD_REJECTED }, { 413, DISCORD_REJECTED },
		{ 401, DISCORD_UNAUTHORIZED }, { 403, DISCORD_UNAUTHORIZED },
		{ 404, DISCORD_GONE }, { 429, DISCORD_RATE_LIMITED },
		{ 408, DISCORD_RETRY }, { 500, DISCORD_RETRY },
		{ 502, DISCORD_RETRY }, { 0, DISCORD_RETRY }, { 301, DISCORD_RETRY },
	};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		discord_response_init(&r);
		r.status = table[i].status;
		ck_assert_msg(discord_classify(&r) == table[i].want, "status %ld",
		    table[i].status);
	}
	discord_response_init(&r);
	r.status = 400;
	discord_response_body(&r, bad, strlen(bad));
	ck_assert_int_eq(r.code, 50035);
	ck_assert_str_eq(r.message, "Invalid Form Body");
	ck_assert(r.retry_after < 0);
	ck_assert_int_eq(discord_wait_ms(&r), 0);
	/* Not JSON, truncated JSON, a JSON array: ignored. */
	discord_response_body(&r, "{\"code\": 1", 10);
	discord_response_body(&r, "[1,2]", 5);
	discord_response_body(&r, "", 0);
	ck_assert_int_eq(r.code, 50035);
	ck_assert_ptr_null(discord_advice(&r));
}
END_TEST

/* A forum channel without thread_id: 400 code 220001, with advice. */
START_TEST(test_advice)
{
	struct discord_response r;
	static const char forum[] = "{\"message\": \"Webhooks posted to forum "
	    "channels must have a thread_name or thread_id\", \"code\": 220001}";

	discord_response_init(&r);
	r.status = 400;
	discord_response_body(&r, forum, strlen(forum));
	ck_assert_int_eq(r.code, 220001);
	ck_assert_ptr_nonnull(discord_advice(&r));
	ck_assert_ptr_nonnull(strstr(discord_advice(&r), "thread_id"));
	r.status = 200;
	ck_assert_ptr_null(discord_advice(&r));
}
END_TEST

START_TEST(test_backoff)
{
	unsigned seed = 42;

	for (unsigned attempt = 1; attempt < 40; attempt++) {
		for (int k = 0; k < 50; k++) {
			int64_t d = discord_backoff_ms(attempt, 500, 5000, &seed);
			int64_t full = 500;

			for (unsigned i = 1; i < attempt && full < 5000; i++)
				full *= 2;
			if (full > 5000)
				full = 5000;
			ck_assert_msg(d >= full / 2 && d <= full,
			    "attempt %u: %lld not in [%lld, %lld]", attempt,
			    (long long)d, (long long)(full / 2), (long long)full);
		}
	}
}
END_TEST

#define T_NOW		1689431445	/* 2023-07-15T14:30:45Z */
#define T_TS		"\"timestamp\":\"2023-07-15T14:30:45Z\""
#define T_NONE		"\"allowed_mentions\":{\"parse\":[]}"
#define T_TEXT		"\"content\":\"sipeatd test message 1/5: plain text. " \
	"Notifications from sipeatd will appear in this channel.\""
#define T_RICH		"{\"title\":\"\xf0\x9f\xa7\xaa sipeatd test: rich embed\"," \
	"\"description\":\"If you can read this, the webhook accepts embeds " \
	"with fields, a colour, a footer and a timestamp.\",\"color\":5793266," \
	"\"fields\":[{\"name\":\"Version\",\"value\":\"sipeatd " PACKAGE_VERSION \
	"\",\"inline\":true},{\"name\":\"Limits\",\"value\":\"10 embeds, 6000 " \
	"characters per message\",\"inline\":true},{\"name\":\"Mentions\"," \
	"\"value\":\"@everyone is not pinged (allowed_mentions)\",\"inline\":true}]," \
	"\"footer\":{\"text\":\"sipeatd --test-discord\"}," T_TS "}"
#define T_FAIL		"{\"title\":\"\xf0\x9f\xa5\xa4 request.created event failed\"," \
	"\"description\":\"\xf0\x9f\xa5\xa4 New Drink Request\",\"color\":15158332," \
	"\"fields\":[{\"name\":\"Customer Name\",\"value\":\"Jane Smith\"," \
	"\"inline\":true},{\"name\":\"Drink Name\",\"value\":\"Cola Zero\"," \
	"\"inline\":true},{\"name\":\"Machine ID\",\"value\":\"VM-001\"," \
	"\"inline\":true},{\"name\":\"Machine Name\",\"value\":\"Lobby\"," \
	"\"inline\":true},{\"name\":\"Error\",\"value\":\"Payment processing " \
	"failed\",\"inline\":false},{\"name\":\"Event ID\",\"value\":" \
	"\"test-request-1\",\"inline\":true}],\"footer\":{\"text\":" \
	"\"\xe2\x9d\x8c Processing failed\"}," T_TS "}"

/* The only embed of payload p: its title and its field names, joined. */
static void
assert_event(const char *p, const char *title, const char *names)
{
	json_object *o, *v, *e, *f;
	char got[512] = "";

	o = json_tokener_parse(p);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "embeds", &v));
	ck_assert_uint_eq(json_object_array_length(v), 1);
	e = json_object_array_get_idx(v, 0);
	ck_assert(json_object_object_get_ex(e, "title", &v));
	ck_assert_str_eq(json_object_get_string(v), title);
	ck_assert(json_object_object_get_ex(e, "fields", &f));
	for (size_t i = 0; i < json_object_array_length(f); i++) {
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(f, i),
		    "name", &v));
		strcat(got, i > 0 ? "|" : "");
		strcat(got, json_object_get_string(v));
	}
	ck_assert_str_eq(got, names);
	json_object_put(o);
}

/* --test-discord's five messages, as the default webhook sends them. */
START_TEST(test_test_payloads)
{
	struct webhook wh;
	char *p[5], err[64];

	webhook_init(&wh, "default");
	wh.username = xstrdup("SipEat Test");
	discord_test_payloads(p, &wh, T_NOW);
	ck_assert_str_eq(p[0], "{\"username\":\"SipEat Test\"," T_TEXT "," T_NONE "}");
	ck_assert_str_eq(p[1], "{\"username\":\"SipEat Test\",\"embeds\":[" T_RICH
	    "]," T_NONE "}");
	ck_assert_str_eq(p[3], "{\"username\":\"SipEat Test\",\"embeds\":[" T_FAIL
	    "]," T_NONE "}");
	assert_event(p[2], "\xf0\x9f\x93\x9d contact.created event processed",
	    "Name|Email|Phone|Company Name|Message|Event ID");
	assert_event(p[4], "\xf0\x9f\x8f\xad machine.created event processed",
	    "Machine ID|Name|Location Address|Location Latitude|"
	    "Location Longitude|Model|Event ID");
	for (int i = 0; i < 5; i++)
		free(p[i]);
	webhook_clear(&wh);

	/* A webhook's own name, mention (the failure only) and flags. */
	webhook_init(&wh, "alerts");
	wh.avatar_url = xstrdup("https://x.example/a.png");
	ck_assert_int_eq(webhook_mention_parse("<@&555>", &wh.mention, err,
	    sizeof err), 0);
	wh.silent = WEBHOOK_SILENT_SUCCESSES;
	discord_test_payloads(p, &wh, T_NOW);
	ck_assert_str_eq(p[0], "{\"avatar_url\":\"https://x.example/a.png\","
	    T_TEXT "," T_NONE ",\"flags\":4096}");
	ck_assert_str_eq(p[3], "{\"avatar_url\":\"https://x.example/a.png\","
	    "\"embeds\":[" T_FAIL "],\"content\":\"<@&555>\",\"allowed_mentions\":"
	    "{\"parse\":[],\"roles\":[\"555\"]}}");
	for (int i = 0; i < 5; i++) {
		json_object *o = json_tokener_parse(p[i]);

		ck_assert_ptr_nonnull(o);
		json_object_put(o);
		free(p[i]);
	}
	webhook_clear(&wh);
}
END_TEST

Suite *
suite_discord(void)
{
	Suite	*s = suite_create("discord");
	TCase	*tc = tcase_create("url");

	tcase_add_test(tc, test_url_forms);
	tcase_add_test(tc, test_url_shown);
	tcase_add_test(tc, test_url_bad);
	tcase_add_test(tc, test_url_thread);
	suite_add_tcase(s, tc);
	tc = tcase_create("answers");
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_429);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_advice);
	suite_add_tcase(s, tc);
	tc = tcase_create("test-discord");
	tcase_add_test(tc, test_test_payloads);
	suite_add_tcase(s, tc);
	return s;
}
