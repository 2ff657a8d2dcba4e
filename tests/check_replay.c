/*
 * check_replay.c -- tests for sipeat-replay's pure half (replay-core.c):
 * --since/--until times (RFC 3339 and durations), what a dead letter says,
 * the verdict for each filter and the loop guard, the headers of a replay
 * (the dead-letter writer's own dropped, the source's kept in order, the
 * replay count incremented) and the --dry-run table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <librdkafka/rdkafka.h>

#include "dlq.h"
#include "replay.h"

#define NOW	1764927000000LL	/* 2025-12-05T09:30:00Z */

static int64_t
parse_ok(const char *s)
{
	int64_t ms = 0;

	ck_assert_msg(replay_parse_time(s, NOW, &ms) == 0, "%s refused", s);
	return ms;
}

START_TEST(test_rfc3339)
{
	ck_assert_int_eq(parse_ok("2025-12-05T09:30:00Z"), NOW);
	ck_assert_int_eq(parse_ok("2025-12-05t09:30:00z"), NOW);
	ck_assert_int_eq(parse_ok("2025-12-05 09:30:00Z"), NOW);
	ck_assert_int_eq(parse_ok("2025-12-05T09:30:00.25Z"), NOW + 250);
	ck_assert_int_eq(parse_ok("2025-12-05T09:30:00.123456Z"), NOW + 123);
	ck_assert_int_eq(parse_ok("2025-12-05T11:30:00+02:00"), NOW);
	ck_assert_int_eq(parse_ok("2025-12-05T04:00:00-05:30"), NOW);
	ck_assert_int_eq(parse_ok("2025-12-05"), NOW - 9 * 3600000LL - 1800000LL);
	ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(parse_ok("2024-02-29T00:00:00Z"), 1709164800000LL);
}
END_TEST

START_TEST(test_durations)
{
	ck_assert_int_eq(parse_ok("30m"), NOW - 30 * 60000LL);
	ck_assert_int_eq(parse_ok("2h"), NOW - 2 * 3600000LL);
	ck_assert_int_eq(parse_ok("7d"), NOW - 7 * 86400000LL);
	ck_assert_int_eq(parse_ok("1w"), NOW - 7 * 86400000LL);
	ck_assert_int_eq(parse_ok("45s"), NOW - 45000);
	ck_assert_int_eq(parse_ok("1h30m"), NOW - 90 * 60000LL);
	ck_assert_int_eq(parse_ok("0s"), NOW);
}
END_TEST

START_TEST(test_bad_times)
{
	static const char *bad[] = {
		"", "30", "m", "30x", "-30m", "1.5h", "30m ", "h30",
		"2025-13-01", "2025-02-30", "2023-02-29T00:00:00Z",
		"2025-12-05T24:00:00Z", "2025-12-05T09:30:00",
		"2025-12-05T09:30Z", "2025-12-05T09:30:00.Z",
		"2025-12-05T09:30:00+0200", "2025-12-05T09:30:00Zjunk",
		"99999999999999999999d", "yesterday",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(replay_parse_time(bad[i], NOW, &ms) == -1,
		    "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(test_count)
{
	int64_t n = -1;

	ck_assert_int_eq(replay_parse_count("0", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(replay_parse_count("12", &n), 0);
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(replay_parse_count("", &n), -1);
	ck_assert_int_eq(replay_parse_count("-1", &n), -1);
	ck_assert_int_eq(replay_parse_count("3x", &n), -1);
	ck_assert_int_eq(replay_parse_count(" 3", &n), -1);
	ck_assert_int_eq(replay_parse_count("99999999999999999999", &n), -1);
}
END_TEST

/* A dead letter's headers as dlq.c writes them, after two source ones. */
static rd_kafka_headers_t *
dl_headers(const char *error, const char *count)
{
	rd_kafka_headers_t *h = rd_kafka_headers_new(8);

	rd_kafka_header_add(h, "x-request-id", -1, "req-1", -1);
	if (count != NULL)
		rd_kafka_header_add(h, DLQ_H_REPLAY_COUNT, -1, count, -1);
	rd_kafka_header_add(h, "traceparent", -1, "00-ab-cd-01", -1);
	rd_kafka_header_add(h, DLQ_H_ERROR, -1, error, -1);
	rd_kafka_header_add(h, DLQ_H_SOURCE_TOPIC, -1, "sipeat.request.events", -1);
	rd_kafka_header_add(h, "sipeat-source-partition", -1, "2", -1);
	rd_kafka_header_add(h, "sipeat-source-offset", -1, "41", -1);
	return h;
}

static const char REQ[] = "{\"id\":\"r1\",\"type\":\"request.created\",\"data\":{}}";

START_TEST(test_dead_letter)
{
	rd_kafka_headers_t *h = dl_headers("payment: card declined", "2");
	struct dead_letter dl;

	replay_dl_parse(&dl, REQ, strlen(REQ), h, NOW);
	ck_assert_str_eq(dl.type, "request.created");
	ck_assert_str_eq(dl.error, "payment: card declined");
	ck_assert_str_eq(dl.source_topic, "sipeat.request.events");
	ck_assert_int_eq(dl.replays, 2);
	ck_assert_int_eq(dl.ts_ms, NOW);
	ck_assert_int_eq(dl.empty, 0);
	ck_assert_int_eq(dl.truncated, 0);
	replay_dl_free(&dl);

	/* Not JSON, a tombstone's, cut, no headers at all. */
	replay_dl_parse(&dl, "not json", 8, h, NOW);
	ck_assert_str_eq(dl.type, REPLAY_TYPE_INVALID);
	replay_dl_free(&dl);
	replay_dl_parse(&dl, "{\"type\":7}", 10, h, NOW);
	ck_assert_str_eq(dl.type, REPLAY_TYPE_INVALID);
	replay_dl_free(&dl);
	replay_dl_parse(&dl, "", 0, h, NOW);
	ck_assert_int_eq(dl.empty, 1);
	replay_dl_free(&dl);
	rd_kafka_header_add(h, DLQ_H_TRUNCATED, -1, "2000000", -1);
	replay_dl_parse(&dl, REQ, 10, h, NOW);
	ck_assert_int_eq(dl.truncated, 1);
	replay_dl_free(&dl);
	replay_dl_parse(&dl, REQ, strlen(REQ), NULL, -1);
	ck_assert_str_eq(dl.error, "");
	ck_assert_ptr_null(dl.source_topic);
	ck_assert_int_eq(dl.replays, 0);
	replay_dl_free(&dl);
	rd_kafka_headers_destroy(h);

	/* A control character in the type is not printed as one. */
	replay_dl_parse(&dl, "{\"type\":\"a\\u001bb\"}", 19, NULL, -1);
	ck_assert_str_eq(dl.type, "a\xef\xbf\xbd" "b");
	replay_dl_free(&dl);
}
END_TEST

static enum replay_verdict
verdict(const struct replay_filter *f, const char *value, const char *error,
    const char *count, int64_t ts)
{
	rd_kafka_headers_t *h = dl_headers(error, count);
	struct dead_letter dl;
	enum replay_verdict v;

	replay_dl_parse(&dl, value, strlen(value), h, ts);
	v = replay_verdict(f, &dl);
	replay_dl_free(&dl);
	rd_kafka_headers_destroy(h);
	return v;
}

START_TEST(test_verdicts)
{
	struct replay_filter f;
	char err[128];

	replay_filter_init(&f);
	ck_assert_int_eq(f.max_replays, 3);
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW), REPLAY_GO);
	ck_assert_int_eq(verdict(&f, REQ, "e", "2", NOW), REPLAY_GO);
	ck_assert_int_eq(verdict(&f, REQ, "e", "3", NOW), REPLAY_AT_MAX);
	ck_assert_int_eq(verdict(&f, REQ, "e", "9", NOW), REPLAY_AT_MAX);
	ck_assert_int_eq(verdict(&f, "", "e", NULL, NOW), REPLAY_EMPTY);
	f.max_replays = 0;
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW), REPLAY_AT_MAX);
	f.max_replays = 3;

	f.type = "contact.created";
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW), REPLAY_FILTERED);
	f.type = "request.created";
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW), REPLAY_GO);
	f.type = REPLAY_TYPE_INVALID;
	ck_assert_int_eq(verdict(&f, "{", "e", NULL, NOW), REPLAY_GO);
	f.type = NULL;

	ck_assert_int_eq(replay_filter_error(&f, "^payment: .*declined$", err,
	    sizeof err), 0);
	ck_assert_int_eq(verdict(&f, REQ, "payment: card declined", NULL, NOW),
	    REPLAY_GO);
	ck_assert_int_eq(verdict(&f, REQ, "dispense: jammed", NULL, NOW),
	    REPLAY_FILTERED);
	ck_assert_int_eq(replay_filter_error(&f, "(", err, sizeof err), -1);
	ck_assert_int_eq(f.has_error_re, 0);

	f.since_ms = NOW - 1000;
	f.until_ms = NOW + 1000;
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW - 1000), REPLAY_GO);
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW - 1001), REPLAY_FILTERED);
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW + 999), REPLAY_GO);
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, NOW + 1000), REPLAY_FILTERED);
	/* No timestamp: a time filter cannot select it. */
	ck_assert_int_eq(verdict(&f, REQ, "e", NULL, -1), REPLAY_FILTERED);
	/* Filters come first: a filtered tombstone is only filtered. */
	ck_assert_int_eq(verdict(&f, "", "e", NULL, NOW - 5000), REPLAY_FILTERED);
	replay_filter_free(&f);
}
END_TEST

/* The headers of h as "name=value," text. */
static char *
headers_text(const rd_kafka_headers_t *h)
{
	static char out[1024];
	const char *name;
	const void *val;
	size_t size, n = 0;

	out[0] = '\0';
	for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &val, &size) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s=%.*s,", name,
		    (int)size, val != NULL ? (const char *)val : "");
	return out;
}

START_TEST(test_replay_headers)
{
	rd_kafka_headers_t *h = dl_headers("boom", "2"), *r;

	r = replay_headers(h, 2);
	ck_assert_str_eq(headers_text(r),
	    "x-request-id=req-1,traceparent=00-ab-cd-01,sipeat-replay-count=3,");
	rd_kafka_headers_destroy(r);
	rd_kafka_header_add(h, DLQ_H_TRUNCATED, -1, "9", -1);
	rd_kafka_header_add(h, "x-null", -1, NULL, 0);
	r = replay_headers(h, 0);
	ck_assert_str_eq(headers_text(r),
	    "x-request-id=req-1,traceparent=00-ab-cd-01,x-null=,"
	    "sipeat-replay-count=1,");
	rd_kafka_headers_destroy(r);
	rd_kafka_headers_destroy(h);
	r = replay_headers(NULL, 0);
	ck_assert_str_eq(headers_text(r), "sipeat-replay-count=1,");
	rd_kafka_headers_destroy(r);
}
END_TEST

START_TEST(test_table)
{
	struct replay_table *t = replay_table_new();
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);
	char err[32];

	/* Enough distinct rows to grow the table a few times. */
	for (int i = 0; i < 200; i++) {
		snprintf(err, sizeof err, "e%03d", i);
		replay_table_add(t, "machine.created", err);
	}
	for (int i = 0; i < 3; i++)
		replay_table_add(t, "request.created", "payment: card\ndeclined");
	replay_table_add(t, "contact.created", "x");
	replay_table_add(t, "contact.created", "x");
	ck_assert_int_eq(replay_table_print(t, fp), 202);
	fclose(fp);
	ck_assert_msg(strncmp(out,
	    "   COUNT  TYPE             ERROR\n"
	    "       3  request.created  payment: card\xef\xbf\xbd" "declined\n"
	    "       2  contact.created  x\n"
	    "       1  machine.created  e000\n"
	    "       1  machine.created  e001\n", 150) == 0, "table: %s", out);
	free(out);
	replay_table_free(t);
}
END_TEST

START_TEST(test_printable)
{
	char *s = replay_printable("a\tb\x7f" "c\xff" "d\xc3\xa9", 9);

	ck_assert_str_eq(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
	    "d\xc3\xa9");
	free(s);
}
END_TEST

Suite *
suite_replay(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_rfc3339);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_bad_times);
	tcase_add_test(tc, test_count);
	tcase_add_test(tc, test_dead_letter);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_replay_headers);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_printable);
	suite_add_tcase(s, tc);
	return s;
}
