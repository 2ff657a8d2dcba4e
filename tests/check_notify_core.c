/*
 * check_notify_core.c -- tests for the notifier core (notify-core.c): the
 * decisions for one webhook, driven without HTTP, threads or a clock.
 * Each test feeds notices and Discord's answers (struct discord_response,
 * as discord.c parses them) at chosen times and checks what the core
 * wants to send and when, and that every event is counted exactly once:
 * sent, digested or dropped.
 *
 * Embeds here are tiny JSON objects {"n":"NAME"} with a chosen character
 * count, so that a test can say which embed went out in which batch.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "digest.h"
#include "discord.h"
#include "embed.h"
#include "log.h"
#include "notify-core.h"
#include "util.h"

#define T0	1000000		/* the tests' clock starts here (ms) */
#define WALL	1700000000

static struct ncore *
core(size_t queue_size, int group)
{
	struct ncore_opts o;

	memset(&o, 0, sizeof o);
	o.name = "…/webhooks/1/***";
	o.queue_size = queue_size;
	o.linger_ms = 1000;
	o.sink = 1;
	o.group_failures = group;
	o.seed = 1;
	return ncore_create(&o);
}

/* A failure of type "request.created" failing with err. */
static struct notice *
fail_err(const char *name, size_t chars, const char *err)
{
	struct notify_event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = "request.created";
	ev.success = 0;
	ev.icon = "🥤";
	ev.title = "New Drink Request";
	ev.stage = "payment";
	ev.error = err;
	ev.event_id = name;
	ev.finished = WALL;
	return notice_create(xasprintf("{\"n\":\"%s\"}", name), chars, &ev);
}

static struct notice *
notice(const char *name, size_t chars, int success)
{
	struct notify_event ev;
	char err[64];

	if (!success) {
		/* Every failure its own error: nothing to group. */
		snprintf(err, sizeof err, "payment: declined %s", name);
		return fail_err(name, chars, err);
	}
	memset(&ev, 0, sizeof ev);
	ev.type = "contact.created";
	ev.success = 1;
	return notice_create(xasprintf("{\"n\":\"%s\"}", name), chars, &ev);
}

static void
add(struct ncore *c, const char *prefix, int count, size_t chars, int success,
    int64_t now)
{
	char name[32];

	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof name, "%s%d", prefix, i);
		ncore_add(c, notice(name, chars, success), now);
	}
}

/* The name of embed i as the core shows it ({"n":"NAME"}). */
static const char *
name_of(const char *json, char *buf, size_t size)
{
	if (sscanf(json, "{\"n\":\"%31[^\"]\"}", buf) != 1)
		str_copy(buf, json, size);
	return buf;
}

static struct discord_response
answer(long status)
{
	struct discord_response r;

	discord_response_init(&r);
	r.status = status;
	return r;
}

/* Answers 2xx to the batch in flight. */
static void
ok(struct ncore *c, int64_t now)
{
	struct discord_response r = answer(204);

	ncore_answer(c, &r, now);
}

static unsigned long
resolved(const struct ncore *c)
{
	const struct ncore_stats *st = ncore_stats(c);

	return st->sent + st->digested + st->dropped;
}

/* At most 10 embeds a message: 25 waiting go as 10, 10, then 5 lingering. */
START_TEST(test_ten_embeds)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	char b[64];

	add(c, "s", 25, 100, 1, T0);
	ck_assert(ncore_ready(c, T0));		/* full: no lingering */
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	ck_assert_str_eq(name_of(e[0], b, sizeof b), "s0");
	ck_assert_str_eq(name_of(e[9], b, sizeof b), "s9");
	ck_assert(!ncore_ready(c, T0));		/* one in flight */
	ok(c, T0);
	ck_assert(ncore_ready(c, T0));
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	ck_assert_str_eq(name_of(e[0], b, sizeof b), "s10");
	ok(c, T0);
	/* Five left: they wait for linger.ms. */
	ck_assert(!ncore_ready(c, T0 + 999));
	ck_assert(ncore_ready(c, T0 + 1000));
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 5);
	ok(c, T0 + 1000);
	ck_assert(!ncore_pending(c));
	ck_assert_uint_eq(ncore_stats(c)->sent, 25);
	ck_assert_uint_eq(ncore_stats(c)->payloads, 3);
	ncore_destroy(c);
}
END_TEST

/* At most 6000 characters a message: the next embed that would pass it waits. */
START_TEST(test_six_thousand_chars)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];

	add(c, "s", 3, 2500, 1, T0);
	/* Two fit (5000), the third would not: due at once. */
	ck_assert(ncore_ready(c, T0));
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 2);
	ok(c, T0);
	ck_assert(!ncore_ready(c, T0 + 10));
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	ok(c, T0 + 10);
	/* 6000 exactly is allowed. */
	add(c, "t", 4, 1500, 1, T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 4);
	ok(c, T0);
	/* One embed of the largest size goes alone. */
	add(c, "u", 2, 6000, 1, T0);
	ck_assert(ncore_ready(c, T0));
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	ok(c, T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->sent, 9);
	ncore_destroy(c);
}
END_TEST

/* The oldest waiting embed decides: linger.ms after it arrived. */
START_TEST(test_linger)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	int red = -1;

	ck_assert(!ncore_ready(c, T0));
	add(c, "s", 1, 100, 1, T0);
	add(c, "f", 1, 100, 0, T0 + 600);
	ck_assert(!ncore_ready(c, T0 + 999));
	ck_assert(ncore_ready(c, T0 + 1000));
	/* Failures first. */
	ck_assert_uint_eq(ncore_take(c, WALL, e, &red), 2);
	ck_assert_int_eq(red, 1);
	ck_assert_ptr_nonnull(strstr(e[0], "\"f0\""));
	ck_assert_ptr_nonnull(strstr(e[1], "\"s0\""));
	ok(c, T0 + 1000);
	/* Stopping: nothing lingers. */
	add(c, "s", 1, 100, 1, T0 + 2000);
	ck_assert(!ncore_ready(c, T0 + 2001));
	ncore_stop(c);
	ck_assert(ncore_ready(c, T0 + 2001));
	ck_assert_uint_eq(ncore_take(c, WALL, e, &red), 1);
	ck_assert_int_eq(red, 0);
	ok(c, T0 + 2001);
	ncore_destroy(c);
}
END_TEST

/* Answers 400 while the batch holds "bad", else 204; returns requests. */
static int
serve_bisect(struct ncore *c, const char *bad, int64_t now, int *dropped_bad)
{
	const char *e[EMBED_MAX_PER_MESSAGE];
	char want[64];
	size_t n;
	int requests = 0;

	snprintf(want, sizeof want, "{\"n\":\"%s\"}", bad);
	*dropped_bad = 1;
	while ((n = ncore_take(c, WALL, e, NULL)) > 0) {
		int has = 0;
		struct discord_response r;

		for (size_t i = 0; i < n; i++)
			has |= strcmp(e[i], want) == 0;
		r = answer(has ? 400 : 204);
		if (has)
			str_copy(r.message, "Invalid Form Body", sizeof r.message);
		requests++;
		ncore_answer(c, &r, now);
		ck_assert_int_le(requests, 20);
	}
	return requests;
}

/*
 * 400: the batch is halved until the bad embed is alone; only it is
 * dropped, whatever its place.
 */
START_TEST(test_bisect_400)
{
	for (int bad = 0; bad < 10; bad++) {
		struct ncore *c = core(1000, 0);
		const struct ncore_stats *st = ncore_stats(c);
		char name[16];
		int requests, d;

		add(c, "s", 6, 100, 1, T0);
		add(c, "f", 4, 100, 0, T0);
		/* Order in the batch: f0..f3, s0..s5. */
		if (bad < 4)
			snprintf(name, sizeof name, "f%d", bad);
		else
			snprintf(name, sizeof name, "s%d", bad - 4);
		requests = serve_bisect(c, name, T0, &d);
		/* log2(10) rounded up, plus the first try and the passes. */
		ck_assert_int_le(requests, 9);
		ck_assert_uint_eq(st->dropped, 1);
		ck_assert_uint_eq(st->sent, 9);
		ck_assert(!ncore_pending(c));
		ncore_destroy(c);
	}
}
END_TEST

/* Remaining 0: no request before Reset-After has passed. */
START_TEST(test_remaining_zero)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct discord_response r = answer(200);

	add(c, "s", 20, 100, 1, T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	r.remaining = 0;
	r.reset_after = 1.5;
	ncore_answer(c, &r, T0);
	ck_assert_uint_eq(ncore_stats(c)->sent, 10);
	ck_assert(!ncore_ready(c, T0 + 1499));
	ck_assert(!ncore_ready(c, T0 + 1500));	/* a margin for rounding */
	ck_assert(ncore_ready(c, ncore_not_before(c)));
	ck_assert_int_le(ncore_not_before(c), T0 + 1520);
	/* Remaining 3: go on at once. */
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	r.remaining = 3;
	ncore_answer(c, &r, T0 + 1600);
	add(c, "t", 10, 100, 1, T0 + 1600);
	ck_assert(ncore_ready(c, T0 + 1600));
	ncore_destroy(c);
}
END_TEST

/*
 * 429, whatever the scope (a route's bucket, the global limit, a shared
 * resource): the same batch again after retry_after, nothing lost.
 */
START_TEST(test_429_scopes)
{
	static const struct {
		int	 global;
		double	 body;		/* retry_after from the body; <0 none */
		double	 header;	/* Retry-After; <0 none */
		int64_t	 wait;
	} cases[] = {
		{ 0, 0.75, -1, 750 },	/* route */
		{ 1, 2.5, 3, 2500 },	/* global: the body wins */
		{ 0, -1, 4, 4000 },	/* shared: the header only */
		{ 0, -1, -1, 1000 },	/* nothing said: a second */
	};

	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct ncore *c = core(1000, 0);
		const char *e[EMBED_MAX_PER_MESSAGE], *first;
		struct discord_response r = answer(429);
		int64_t t;

		add(c, "f", 3, 100, 0, T0);
		add(c, "s", 7, 100, 1, T0);
		ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
		first = e[0];
		r.global = cases[k].global;
		r.retry_after = cases[k].body >= 0 ? cases[k].body :
		    cases[k].header;
		r.retry_header = cases[k].header;
		r.remaining = 0;
		r.reset_after = 0.1;
		ncore_answer(c, &r, T0);
		t = ncore_not_before(c);
		ck_assert_int_ge(t, T0 + cases[k].wait);
		ck_assert_int_le(t, T0 + cases[k].wait + 20);
		ck_assert(!ncore_ready(c, t - 1));
		ck_assert(ncore_ready(c, t));
		ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
		ck_assert_ptr_eq(e[0], first);	/* the same batch */
		ok(c, t);
		ck_assert_uint_eq(ncore_stats(c)->sent, 10);
		ck_assert_uint_eq(ncore_stats(c)->dropped, 0);
		ck_assert(!ncore_broken(c));
		ncore_destroy(c);
	}
}
END_TEST

/* 5xx and no answer: backoff with jitter, the batch kept. */
START_TEST(test_5xx_backoff)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct discord_response r = answer(502);
	int64_t now = T0, prev = 0;

	add(c, "s", 4, 100, 1, T0);
	ncore_stop(c);
	for (int i = 0; i < 6; i++) {
		int64_t wait;

		ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 4);
		r.status = i % 2 ? 0 : 502;
		ncore_answer(c, &r, now);
		wait = ncore_not_before(c) - now;
		ck_assert_int_ge(wait, 250);
		ck_assert_int_le(wait, 5000);
		ck_assert_int_ge(wait, prev / 2 - 1);	/* grows, with jitter */
		prev = wait;
		now = ncore_not_before(c);
	}
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 4);
	ok(c, now);
	ck_assert_uint_eq(ncore_stats(c)->sent, 4);
	ncore_destroy(c);
}
END_TEST

/* 401/403: minutes of back-off, the batch kept; a 2xx heals. */
START_TEST(test_401_backoff)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct discord_response r = answer(401);

	add(c, "s", 2, 100, 1, T0);
	ncore_stop(c);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 2);
	ncore_answer(c, &r, T0);
	ck_assert(ncore_broken(c));
	ck_assert(!ncore_gone(c));
	ck_assert_int_eq(ncore_not_before(c), T0 + 60000);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 2);
	r.status = 403;
	ncore_answer(c, &r, T0 + 60000);
	ck_assert_int_eq(ncore_not_before(c), T0 + 60000 + 120000);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 2);
	ok(c, T0 + 180000);
	ck_assert(!ncore_broken(c));
	ck_assert_uint_eq(ncore_stats(c)->sent, 2);
	ck_assert_uint_eq(ncore_stats(c)->dropped, 0);
	ncore_destroy(c);
}
END_TEST

/* 404: the webhook is gone; everything, and all that comes, is dropped. */
START_TEST(test_404_stop)
{
	struct ncore *c = core(1000, 0);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct discord_response r = answer(404);
	struct digest d;
	struct overflow o;

	add(c, "s", 15, 100, 1, T0);
	add(c, "f", 5, 100, 0, T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	r.code = 10015;
	str_copy(r.message, "Unknown Webhook", sizeof r.message);
	ncore_answer(c, &r, T0);
	ck_assert(ncore_gone(c));
	ck_assert(ncore_broken(c));
	ck_assert(!ncore_pending(c));
	ck_assert_uint_eq(ncore_stats(c)->dropped, 20);
	add(c, "t", 3, 100, 1, T0 + 5);
	memset(&d, 0, sizeof d);
	digest_add(&d, "contact.created", 7);
	ncore_fold(c, &d, T0 + 5);
	memset(&o, 0, sizeof o);
	overflow_add(&o, "x");
	overflow_add(&o, "y");
	ncore_overflowed(c, &o, T0 + 5);
	ck_assert_int_eq(o.count, 0);
	ck_assert(!ncore_pending(c));
	ck_assert(!ncore_ready(c, T0 + 100000));
	ck_assert_uint_eq(ncore_stats(c)->dropped, 32);
	ck_assert_uint_eq(ncore_stats(c)->sent, 0);
	ncore_destroy(c);
}
END_TEST

/* Sends everything the core wants sent, answering 204, the clock running. */
static int64_t
drain_ok(struct ncore *c, int64_t now)
{
	const char *e[EMBED_MAX_PER_MESSAGE];

	ncore_stop(c);
	while (ncore_pending(c)) {
		ck_assert(ncore_ready(c, now));
		ck_assert_uint_gt(ncore_take(c, WALL, e, NULL), 0);
		ok(c, now);
		now += 10;
	}
	return now;
}

/*
 * Overload: past queue.size the oldest successes are digested, failures
 * past queue.size overflow; each event counted exactly once.
 */
START_TEST(test_digest_overflow_accounting)
{
	struct ncore *c = core(20, 0);
	const struct ncore_stats *st = ncore_stats(c);
	const char *e[EMBED_MAX_PER_MESSAGE];
	int red;

	add(c, "s", 100, 100, 1, T0);
	add(c, "f", 30, 100, 0, T0);
	ncore_tick(c, T0);
	/* 20 failures wait, 10 overflowed; every success folded. */
	ck_assert_uint_eq(ncore_waiting(c), 20);
	ck_assert_uint_eq(ncore_take(c, WALL, e, &red), 10);
	ck_assert_int_eq(red, 1);
	for (int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(strstr(e[i], "\"f"));
	ok(c, T0);
	/* The other ten failures, then the overflow, then the digest. */
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	ok(c, T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, &red), 2);
	ck_assert_ptr_nonnull(strstr(e[0], "10 more failures"));
	ck_assert_ptr_nonnull(strstr(e[1], "100 events processed"));
	ok(c, T0);
	ck_assert(!ncore_pending(c));
	ck_assert_uint_eq(st->sent, 20);
	ck_assert_uint_eq(st->digested, 110);
	ck_assert_uint_eq(st->dropped, 0);
	ck_assert_uint_eq(st->unlisted, 0);
	ncore_destroy(c);
}
END_TEST

/* The workers' digest and overflow join the core's, counted once. */
START_TEST(test_worker_fold_merge)
{
	struct ncore *c = core(100, 0);
	struct digest d;
	struct overflow o;
	char id[300];
	long listed = 0;

	memset(&d, 0, sizeof d);
	memset(&o, 0, sizeof o);
	digest_add(&d, "contact.created", 40);
	digest_add(&d, "machine.created", 2);
	ncore_fold(c, &d, T0);
	ncore_fold(c, &d, T0);
	for (int i = 0; i < 500; i++) {
		snprintf(id, sizeof id, "%0120d", i);
		listed += overflow_add(&o, id);
	}
	ck_assert_int_lt(listed, 500);
	ncore_overflowed(c, &o, T0);
	ck_assert_int_eq(o.count, 0);
	ck_assert_ptr_null(o.ids);
	add(c, "s", 5, 100, 1, T0);
	ck_assert(ncore_pending(c));
	drain_ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->digested, 84 + 500);
	ck_assert_uint_eq(ncore_stats(c)->sent, 5);
	ck_assert_uint_eq(ncore_stats(c)->unlisted, (unsigned long)(500 - listed));
	ncore_destroy(c);
}
END_TEST

/* A dry run (print_all) never folds; no sink drops everything, counted. */
START_TEST(test_print_all_and_no_sink)
{
	struct ncore_opts o;
	struct ncore *c;

	memset(&o, 0, sizeof o);
	o.queue_size = 5;
	o.linger_ms = 1000;
	o.print_all = 1;
	o.sink = 1;
	c = ncore_create(&o);
	add(c, "s", 50, 100, 1, T0);
	ncore_tick(c, T0);
	ck_assert_uint_eq(ncore_waiting(c), 50);
	drain_ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->sent, 50);
	ck_assert_uint_eq(ncore_stats(c)->digested, 0);
	ncore_destroy(c);

	o.print_all = 0;
	o.sink = 0;
	c = ncore_create(&o);
	add(c, "s", 7, 100, 1, T0);
	add(c, "f", 3, 100, 0, T0);
	ck_assert(!ncore_pending(c));
	ck_assert_uint_eq(ncore_stats(c)->dropped, 10);
	ncore_destroy(c);
}
END_TEST

/*
 * Random traffic and random answers: whatever happens, once everything
 * is sent or dropped, sent + digested + dropped is what came in, and no
 * request starts before the core allows it.
 */
START_TEST(test_random_exact_accounting)
{
	static const long statuses[] = { 204, 204, 204, 200, 429, 400, 500, 0,
	    401, 204 };
	unsigned seed = 12345;

	for (int round = 0; round < 40; round++) {
		struct ncore *c = core(1 + (size_t)(rand_r(&seed) % 60),
		    rand_r(&seed) % 4);
		const char *e[EMBED_MAX_PER_MESSAGE];
		unsigned long in = 0;
		int64_t now = T0;
		char name[32];

		for (int step = 0; step < 400; step++) {
			int k = rand_r(&seed) % 6;

			if (k < 3) {
				int success = rand_r(&seed) % 3 != 0;
				int err = rand_r(&seed) % 3;
				char e2[32];

				snprintf(name, sizeof name, "%d-%d", round, step);
				snprintf(e2, sizeof e2, "payment: e%d", err);
				ncore_add(c, success ? notice(name,
				    1 + (size_t)(rand_r(&seed) % 3000), 1) :
				    fail_err(name, 300, e2), now);
				in++;
			} else if (k == 3) {
				ncore_tick(c, now);
			} else if (ncore_ready(c, now)) {
				struct discord_response r;

				r = answer(statuses[rand_r(&seed) % 10]);
				if (r.status == 429)
					r.retry_after = 0.2;
				ck_assert_uint_gt(ncore_take(c, WALL, e, NULL), 0);
				ncore_answer(c, &r, now);
			}
			now += rand_r(&seed) % 200;
		}
		/* Then only good answers, until nothing is left. */
		ncore_stop(c);
		while (ncore_pending(c)) {
			if (ncore_ready(c, now)) {
				ck_assert_uint_gt(ncore_take(c, WALL, e, NULL), 0);
				ok(c, now);
			}
			now += 1000;
		}
		ck_assert_uint_eq(resolved(c), in);
		ncore_destroy(c);
	}
}
END_TEST

/* The embed JSON as an object (caller puts it). */
static json_object *
parse(const char *json)
{
	json_object *o = json_tokener_parse(json);

	ck_assert_ptr_nonnull(o);
	return o;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* The value of field name of embed e, or NULL. */
static const char *
field(json_object *e, const char *name)
{
	json_object *fields;

	if (!json_object_object_get_ex(e, "fields", &fields))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(fields); i++) {
		json_object *f = json_object_array_get_idx(fields, i);

		if (strcmp(jstr(f, "name"), name) == 0)
			return jstr(f, "value");
	}
	return NULL;
}

/* UTF-16 units of valid UTF-8. */
static size_t
units(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch & 0xc0) != 0x80)
			n += ch >= 0xf0 ? 2 : 1;
	}
	return n;
}

/* Adds count failures failing with err, ids PREFIX0 ... */
static void
add_fail(struct ncore *c, const char *prefix, int count, const char *err,
    int64_t now)
{
	char name[160];

	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof name, "%s%d", prefix, i);
		ncore_add(c, fail_err(name, 300, err), now);
	}
}

/* Fewer than group.failures alike keep their own embeds; that many share one. */
START_TEST(test_group_threshold)
{
	struct ncore *c = core(1000, 3);
	const char *e[EMBED_MAX_PER_MESSAGE];
	json_object *o;

	add_fail(c, "a", 2, "payment: card declined", T0);
	ncore_stop(c);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 2);
	ck_assert_str_eq(e[0], "{\"n\":\"a0\"}");
	ok(c, T0);
	add_fail(c, "b", 3, "payment: card declined", T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	o = parse(e[0]);
	ck_assert_str_eq(jstr(o, "title"), "🥤 request.created event failed ×3");
	ck_assert_str_eq(jstr(o, "description"), "🥤 New Drink Request");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(o, "color")),
	    EMBED_COLOR_FAIL);
	ck_assert_str_eq(field(o, "Error"), "payment: card declined");
	ck_assert_str_eq(field(o, "Event IDs"), "b0, b1, b2");
	ck_assert_str_eq(field(o, "First"), "2023-11-14T22:13:20Z");
	ck_assert_str_eq(field(o, "Last"), "2023-11-14T22:13:20Z");
	json_object_put(o);
	ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->sent, 5);
	ck_assert_uint_eq(ncore_stats(c)->grouped, 3);
	ck_assert(!ncore_pending(c));
	ncore_destroy(c);

	/* Off: every failure its own embed. */
	c = core(1000, 0);
	add_fail(c, "b", 12, "payment: card declined", T0);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 10);
	ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->grouped, 0);
	ncore_destroy(c);
}
END_TEST

/*
 * Different errors, stages or types are never merged; each event is in
 * exactly one embed, and grouped embeds go ahead of successes.
 */
START_TEST(test_group_never_merges_different)
{
	struct ncore *c = core(1000, 3);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct notify_event ev;
	char name[32];
	size_t n;
	int red = 0;

	add(c, "s", 3, 100, 1, T0);
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof name, "x%d", i);
		ncore_add(c, fail_err(name, 300, i % 3 == 0 ? "payment: card declined" :
		    i % 3 == 1 ? "payment: card expired" : "payment: card declined "),
		    T0);
	}
	/* Same error text, another stage; same error, another type. */
	memset(&ev, 0, sizeof ev);
	ev.type = "request.created";
	ev.stage = "refund";
	ev.error = "payment: card declined";
	for (int i = 0; i < 2; i++) {
		ev.event_id = i ? "y1" : "y0";
		ncore_add(c, notice_create(xstrdup("{\"n\":\"y\"}"), 100, &ev), T0);
	}
	ev.type = "machine.created";
	ev.stage = "payment";
	ev.event_id = "z0";
	ncore_add(c, notice_create(xstrdup("{\"n\":\"z0\"}"), 100, &ev), T0);
	ncore_stop(c);
	n = ncore_take(c, WALL, e, &red);
	/* Three groups of four, y0, y1, z0, then the successes. */
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(red, 1);
	for (int g = 0; g < 3; g++) {
		json_object *o = parse(e[g]);
		char want[64];

		ck_assert_str_eq(jstr(o, "title"), "🥤 request.created event failed ×4");
		snprintf(want, sizeof want, "x%d, x%d, x%d, x%d", g, g + 3, g + 6,
		    g + 9);
		ck_assert_str_eq(field(o, "Event IDs"), want);
		json_object_put(o);
	}
	ck_assert_str_eq(e[3], "{\"n\":\"y\"}");
	ck_assert_str_eq(e[4], "{\"n\":\"y\"}");
	ck_assert_str_eq(e[5], "{\"n\":\"z0\"}");
	ck_assert_str_eq(e[6], "{\"n\":\"s0\"}");
	ok(c, T0);
	ck_assert(!ncore_pending(c));
	ck_assert_uint_eq(ncore_stats(c)->sent, 3 + 12 + 3);
	ck_assert_uint_eq(ncore_stats(c)->grouped, 12);
	ncore_destroy(c);
}
END_TEST

/*
 * 500 alike with long ids: one embed within every limit, as many ids as
 * fit in its field, then "… and N more"; the title says ×500.
 */
START_TEST(test_group_field_limits)
{
	struct ncore *c = core(1000, 3);
	const char *e[EMBED_MAX_PER_MESSAGE];
	json_object *o, *fields;
	const char *ids, *more;
	char prefix[128], name[160];
	size_t listed = 1, total = 0;
	unsigned long rest = 0;

	memset(prefix, 'p', 90);
	prefix[90] = '\0';
	strcat(prefix, "😀-");	/* 2 units */
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof name, "%s%d", prefix, i);
		ncore_add(c, fail_err(name, 300, "payment: card declined"),
		    T0 + i);
	}
	ncore_stop(c);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	o = parse(e[0]);
	ck_assert_str_eq(jstr(o, "title"), "🥤 request.created event failed ×500");
	ids = field(o, "Event IDs");
	ck_assert_uint_le(units(ids), EMBED_MAX_FIELD_VALUE);
	more = strstr(ids, "\n… and ");
	ck_assert_ptr_nonnull(more);
	ck_assert_int_eq(sscanf(more, "\n… and %lu more", &rest), 1);
	for (const char *p = ids; p < more; p++)
		listed += p[0] == ',' && p[1] == ' ';
	ck_assert_uint_eq(listed + rest, 500);
	ck_assert_uint_gt(listed, 5);
	snprintf(name, sizeof name, "%s%zu", prefix, listed - 1);
	ck_assert_ptr_nonnull(strstr(ids, name));
	snprintf(name, sizeof name, "%s%zu,", prefix, listed);
	ck_assert_ptr_null(strstr(ids, name));
	json_object_object_get_ex(o, "fields", &fields);
	total = units(jstr(o, "title")) + units(jstr(o, "description")) +
	    units("❌ Processing failed");
	for (size_t i = 0; i < json_object_array_length(fields); i++) {
		json_object *f = json_object_array_get_idx(fields, i);

		ck_assert_uint_le(units(jstr(f, "value")), EMBED_MAX_FIELD_VALUE);
		total += units(jstr(f, "name")) + units(jstr(f, "value"));
	}
	ck_assert_uint_le(total, EMBED_MAX_TOTAL);
	json_object_put(o);
	ok(c, T0);
	ck_assert_uint_eq(ncore_stats(c)->sent, 500);
	ck_assert_uint_eq(ncore_stats(c)->grouped, 500);
	ck_assert_uint_eq(ncore_stats(c)->payloads, 1);
	ncore_destroy(c);
}
END_TEST

/* The Error field is cut to 1024 units; First and Last span the group. */
START_TEST(test_group_error_and_times)
{
	struct ncore *c = core(1000, 2);
	const char *e[EMBED_MAX_PER_MESSAGE];
	struct notify_event ev;
	char err[3000];
	json_object *o;

	memset(err, 'E', sizeof err - 1);
	err[sizeof err - 1] = '\0';
	memset(&ev, 0, sizeof ev);
	ev.type = "invalid";
	ev.icon = "⚠️";
	ev.title = "Invalid event";
	ev.error = err;
	for (int i = 0; i < 3; i++) {
		ev.event_id = i == 0 ? "t/0/5" : i == 1 ? "t/0/6" : "t/1/2";
		ev.finished = WALL + (i == 1 ? -60 : i * 3600);
		ncore_add(c, notice_create(xstrdup("{}"), 100, &ev), T0);
	}
	ncore_stop(c);
	ck_assert_uint_eq(ncore_take(c, WALL, e, NULL), 1);
	o = parse(e[0]);
	ck_assert_str_eq(jstr(o, "title"), "⚠️ invalid event failed ×3");
	ck_assert_uint_eq(units(field(o, "Error")), EMBED_MAX_FIELD_VALUE);
	ck_assert_str_eq(field(o, "First"), "2023-11-14T22:12:20Z");
	ck_assert_str_eq(field(o, "Last"), "2023-11-15T00:13:20Z");
	ck_assert_str_eq(jstr(o, "timestamp"), "2023-11-15T00:13:20Z");
	ck_assert_str_eq(field(o, "Event IDs"), "t/0/5, t/0/6, t/1/2");
	json_object_put(o);
	ok(c, T0);
	ncore_destroy(c);
}
END_TEST

/*
 * A grouped embed refused (400) is dropped as one, counting every event
 * it stood for; the rest of its batch is delivered.
 */
START_TEST(test_group_bisect)
{
	struct ncore *c = core(1000, 3);
	const struct ncore_stats *st = ncore_stats(c);
	const char *e[EMBED_MAX_PER_MESSAGE];
	size_t n;
	int requests = 0;

	add_fail(c, "g", 40, "payment: card declined", T0);
	add(c, "s", 9, 100, 1, T0);
	ncore_stop(c);
	while ((n = ncore_take(c, WALL, e, NULL)) > 0) {
		struct discord_response r = answer(204);

		for (size_t i = 0; i < n; i++) {
			if (strstr(e[i], "×40") != NULL)
				r.status = 400;
		}
		ncore_answer(c, &r, T0);
		ck_assert_int_le(++requests, 10);
	}
	ck_assert_uint_eq(st->dropped, 40);
	ck_assert_uint_eq(st->sent, 9);
	ck_assert_uint_eq(st->grouped, 0);
	ncore_destroy(c);
}
END_TEST

Suite *
suite_notify_core(void)
{
	Suite	*s = suite_create("notify_core");

	/* Quiet: the tests provoke every error the core logs. */
	log_set_level((enum log_level)-1);
	TCase	*tc = tcase_create("batching");

	tcase_add_test(tc, test_ten_embeds);
	tcase_add_test(tc, test_six_thousand_chars);
	tcase_add_test(tc, test_linger);
	suite_add_tcase(s, tc);
	tc = tcase_create("answers");
	tcase_add_test(tc, test_bisect_400);
	tcase_add_test(tc, test_remaining_zero);
	tcase_add_test(tc, test_429_scopes);
	tcase_add_test(tc, test_5xx_backoff);
	tcase_add_test(tc, test_401_backoff);
	tcase_add_test(tc, test_404_stop);
	suite_add_tcase(s, tc);
	tc = tcase_create("accounting");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_digest_overflow_accounting);
	tcase_add_test(tc, test_worker_fold_merge);
	tcase_add_test(tc, test_print_all_and_no_sink);
	tcase_add_test(tc, test_random_exact_accounting);
	suite_add_tcase(s, tc);
	tc = tcase_create("grouping");
	tcase_add_test(tc, test_group_threshold);
	tcase_add_test(tc, test_group_never_merges_different);
	tcase_add_test(tc, test_group_field_limits);
	tcase_add_test(tc, test_group_error_and_times);
	tcase_add_test(tc, test_group_bisect);
	suite_add_tcase(s, tc);
	return s;
}
