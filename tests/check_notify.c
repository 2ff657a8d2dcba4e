/*
 * check_notify.c -- tests for the notifier's overload path (SPEC section 4,
 * "Overload"): failures are never folded into the digest.
 *
 * The notifier core is driven without HTTP: a --dry-run notifier that is
 * not started yet takes every submission into its hand-over ring (and, once
 * that is full, into its overflow paths); then the thread starts, is told
 * to stop, and prints every payload it would have sent, which the tests
 * read back. The pure parts (digest.c) are tested directly. Lengths are
 * counted here in UTF-16 units, independent of src/utf8.c.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "digest.h"
#include "embed.h"
#include "metrics.h"
#include "notify.h"
#include "util.h"

#define RING		16384	/* the notifier's smallest hand-over ring */
#define RED		15158332
#define EMOJI		"\xf0\x9f\x98\x80"	/* U+1F600: 2 UTF-16 units */

/* UTF-16 units of valid UTF-8. */
static size_t
units(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80)
			n += c >= 0xf0 ? 2 : 1;
	}
	return n;
}

static const char *
str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* What a dry-run notifier printed, sorted out. */
struct seen {
	size_t		 payloads;
	size_t		 own_ok;	/* green embeds of one event */
	size_t		 own_fail;	/* red embeds of one event */
	char		**fail_ids;	/* Event IDs of red embeds, own or listed */
	size_t		 nfail_ids;
	long		 overflowed;	/* N of every "❗ N more failures" */
	long		 grouped;	/* N of every "… event failed ×N" */
	long		 grouped_unlisted;	/* K of their "… and K more" */
	size_t		 overflow_embeds;
	size_t		 overflow_payload;	/* where the first one was */
	json_object	*digests;	/* array of the digest embeds */
};

static void
seen_id(struct seen *s, const char *id)
{
	s->fail_ids = xreallocarray(s->fail_ids, s->nfail_ids + 1,
	    sizeof s->fail_ids[0]);
	s->fail_ids[s->nfail_ids++] = xstrdup(id);
}

static int
seen_has(const struct seen *s, const char *id)
{
	for (size_t i = 0; i < s->nfail_ids; i++) {
		if (strcmp(s->fail_ids[i], id) == 0)
			return 1;
	}
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->nfail_ids; i++)
		free(s->fail_ids[i]);
	free(s->fail_ids);
	json_object_put(s->digests);
}

/* Every limit of one embed; returns its character count. */
static size_t
check_embed_limits(json_object *e)
{
	json_object *fields, *footer;
	size_t total = 0, nf;

	total += units(str(e, "title"));
	ck_assert_uint_le(units(str(e, "title")), EMBED_MAX_TITLE);
	if (str(e, "description") != NULL) {
		ck_assert_uint_le(units(str(e, "description")), EMBED_MAX_DESC);
		total += units(str(e, "description"));
	}
	if (json_object_object_get_ex(e, "footer", &footer))
		total += units(str(footer, "text"));
	ck_assert(json_object_object_get_ex(e, "fields", &fields));
	nf = json_object_array_length(fields);
	ck_assert_uint_le(nf, EMBED_MAX_FIELDS);
	for (size_t i = 0; i < nf; i++) {
		json_object *f = json_object_array_get_idx(fields, i);
		const char *name = str(f, "name"), *value = str(f, "value");

		ck_assert(name != NULL && *name != '\0');
		ck_assert(value != NULL && *value != '\0');
		ck_assert_uint_le(units(name), EMBED_MAX_FIELD_NAME);
		ck_assert_uint_le(units(value), EMBED_MAX_FIELD_VALUE);
		total += units(name) + units(value);
	}
	ck_assert_uint_le(total, EMBED_MAX_TOTAL);
	return total;
}

static void
read_embed(struct seen *s, json_object *e)
{
	json_object *fields, *color;
	const char *title = str(e, "title");
	int red;

	ck_assert(json_object_object_get_ex(e, "fields", &fields));
	ck_assert(json_object_object_get_ex(e, "color", &color));
	red = json_object_get_int(color) == RED;
	if (strncmp(title, "📊", strlen("📊")) == 0) {
		ck_assert_msg(!red, "a red digest");
		json_object_array_add(s->digests, json_object_get(e));
		return;
	}
	if (strstr(title, " event failed ×") != NULL) {
		const char *ids = NULL, *more;
		long n = 0, k = 0, listed = 0;
		char *v, *p, *save = NULL;

		ck_assert_msg(red, "a grouped embed is not red");
		ck_assert_int_eq(sscanf(strstr(title, "×") + strlen("×"), "%ld", &n), 1);
		for (size_t i = 0; i < json_object_array_length(fields); i++) {
			json_object *f = json_object_array_get_idx(fields, i);

			if (strcmp(str(f, "name"), "Event IDs") == 0)
				ids = str(f, "value");
		}
		ck_assert_ptr_nonnull(ids);
		v = xstrdup(ids);
		if ((more = strstr(ids, "… and ")) != NULL) {
			ck_assert_int_eq(sscanf(more, "… and %ld more", &k), 1);
			v[more - ids] = '\0';
		}
		for (p = strtok_r(v, ",\n", &save); p != NULL;
		    p = strtok_r(NULL, ",\n", &save)) {
			while (*p == ' ')
				p++;
			ck_assert_msg(!seen_has(s, p), "%s listed twice", p);
			seen_id(s, p);
			listed++;
		}
		free(v);
		ck_assert_int_eq(listed + k, n);	/* listed + counted == ×N */
		s->grouped += n;
		s->grouped_unlisted += k;
		return;
	}
	if (strncmp(title, "❗", strlen("❗")) == 0) {
		long n = 0;

		ck_assert_msg(red, "the overflow embed is not red");
		ck_assert_int_eq(sscanf(title, "❗ %ld more failures", &n), 1);
		s->overflowed += n;
		if (s->overflow_embeds++ == 0)
			s->overflow_payload = s->payloads;
		for (size_t i = 0; i < json_object_array_length(fields); i++) {
			json_object *f = json_object_array_get_idx(fields, i);
			char *v, *p, *save = NULL;

			if (strcmp(str(f, "name"), "Event IDs") != 0)
				continue;
			v = xstrdup(str(f, "value"));
			for (p = strtok_r(v, ",", &save); p != NULL;
			    p = strtok_r(NULL, ",", &save)) {
				while (*p == ' ')
					p++;
				ck_assert_msg(!seen_has(s, p), "%s listed twice", p);
				seen_id(s, p);
			}
			free(v);
		}
		return;
	}
	for (size_t i = 0; i < json_object_array_length(fields); i++) {
		json_object *f = json_object_array_get_idx(fields, i);

		if (strcmp(str(f, "name"), "Event ID") != 0)
			continue;
		if (red) {
			ck_assert_msg(!seen_has(s, str(f, "value")), "%s twice",
			    str(f, "value"));
			seen_id(s, str(f, "value"));
			s->own_fail++;
		} else
			s->own_ok++;
		return;
	}
	ck_abort_msg("an embed without an Event ID: %s", title);
}

/* Reads every payload line of out: each within Discord's limits. */
static void
read_payloads(FILE *out, struct seen *s)
{
	char *line = NULL;
	size_t cap = 0;

	memset(s, 0, sizeof *s);
	s->digests = json_object_new_array();
	rewind(out);
	while (getline(&line, &cap, out) > 0) {
		json_object *p = json_tokener_parse(line), *embeds;
		size_t total = 0, ne;

		ck_assert_msg(p != NULL, "not JSON: %.80s", line);
		ck_assert(json_object_object_get_ex(p, "embeds", &embeds));
		ne = json_object_array_length(embeds);
		ck_assert_uint_ge(ne, 1);
		ck_assert_uint_le(ne, EMBED_MAX_PER_MESSAGE);
		for (size_t i = 0; i < ne; i++) {
			json_object *e = json_object_array_get_idx(embeds, i);

			total += check_embed_limits(e);
			read_embed(s, e);
		}
		ck_assert_uint_le(total, EMBED_MAX_TOTAL);
		s->payloads++;
		json_object_put(p);
	}
	free(line);
}

/* No digest row counts a failure; returns the digests' event total. */
static long
digest_total(const struct seen *s)
{
	long total = 0;

	for (size_t d = 0; d < json_object_array_length(s->digests); d++) {
		json_object *e = json_object_array_get_idx(s->digests, d), *fields;
		long sum = 0, n = 0;

		ck_assert_int_eq(sscanf(str(e, "title"), "📊 %ld events", &n), 1);
		json_object_object_get_ex(e, "fields", &fields);
		for (size_t i = 0; i < json_object_array_length(fields); i++) {
			json_object *f = json_object_array_get_idx(fields, i);
			unsigned long p, fl;

			ck_assert_msg(sscanf(str(f, "value"), "%lu processed, %lu failed",
			    &p, &fl) == 2, "digest row %s: %s", str(f, "name"),
			    str(f, "value"));
			ck_assert_msg(fl == 0, "%lu failures folded into the digest "
			    "(row %s)", fl, str(f, "name"));
			sum += (long)p;
		}
		ck_assert_int_eq(sum, n);
		total += n;
	}
	return total;
}

/* The notifier's counters when a test began (CK_FORK=no runs them all). */
static unsigned long base_sent, base_digested, base_dropped, base_unlisted;
static unsigned long base_grouped;

#define SENT()		(metrics_get(M_EMBEDS_SENT) - base_sent)
#define DIGESTED()	(metrics_get(M_EMBEDS_DIGESTED) - base_digested)
#define DROPPED()	(metrics_get(M_EMBEDS_DROPPED) - base_dropped)
#define UNLISTED()	(metrics_get(M_FAILURES_UNLISTED) - base_unlisted)

static int group_failures;	/* the next notifier's group.failures */

static struct notifier *
dry_notifier_model(FILE *out, size_t queue_size, int model_backlog)
{
	struct notifier_opts o;
	struct notifier *n;

	base_sent = metrics_get(M_EMBEDS_SENT);
	base_digested = metrics_get(M_EMBEDS_DIGESTED);
	base_dropped = metrics_get(M_EMBEDS_DROPPED);
	base_unlisted = metrics_get(M_FAILURES_UNLISTED);
	base_grouped = metrics_get(M_FAILURES_GROUPED);
	memset(&o, 0, sizeof o);
	o.dry_run = 1;
	o.model_backlog = model_backlog;
	o.out = out;
	o.linger_ms = 1000;
	o.queue_size = queue_size;
	o.group_failures = group_failures;
	group_failures = 0;
	n = notifier_create(&o);
	ck_assert_ptr_nonnull(n);
	return n;
}

/* Most tests watch how a webhook's backlog folds, through a dry run. */
static struct notifier *
dry_notifier(FILE *out, size_t queue_size)
{
	return dry_notifier_model(out, queue_size, 1);
}

/* A real dry run: every embed printed. */
static struct notifier *
dry_notifier_printing(FILE *out, size_t queue_size)
{
	return dry_notifier_model(out, queue_size, 0);
}

static void
submit(struct notifier *n, const char *type, const char *id, int success)
{
	struct embed_event ee;
	struct notify_event ne;
	json_object *data = json_object_new_object();
	size_t chars;
	char *json;

	json_object_object_add(data, "name", json_object_new_string("Jane"));
	memset(&ee, 0, sizeof ee);
	ee.type = type;
	/*
	 * A BMP icon: embed.c may count code points (issue 9 item 13), and
	 * these tests count UTF-16 units over whole payloads.
	 */
	ee.icon = "\xe2\x98\x95";	/* U+2615 hot beverage */
	ee.title = "New Request";
	ee.success = success;
	ee.error = success ? NULL : "data.machineId is missing";
	ee.data = data;
	ee.event_id = id;
	ee.finished = 1700000000;
	json = embed_build_json(&ee, &chars);
	json_object_put(data);
	memset(&ne, 0, sizeof ne);
	ne.type = type;
	ne.success = success;
	ne.icon = ee.icon;
	ne.title = ee.title;
	ne.error = ee.error;
	ne.event_id = id;
	ne.finished = ee.finished;
	notifier_submit(n, json, chars, &ne);
}

/* Starts the thread, which sends everything at once as it is stopping. */
static void
flush(struct notifier *n)
{
	ck_assert_int_eq(notifier_start(n), 0);
	notifier_stop(n, 60000);
	ck_assert(notifier_idle(n));
	notifier_destroy(n);
}

/*
 * A ring filled with successes still takes failures: successes past three
 * quarters of it are folded into the digest, failures keep their embeds.
 */
START_TEST(test_ring_reserves_failures)
{
	FILE *out = tmpfile();
	struct notifier *n = dry_notifier(out, RING);
	struct seen s;
	char id[32];

	for (int i = 0; i < RING; i++) {
		snprintf(id, sizeof id, "ok-%d", i);
		submit(n, "contact.created", id, 1);
	}
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "fail-%d", i);
		submit(n, "request.created", id, 0);
	}
	flush(n);
	read_payloads(out, &s);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "fail-%d", i);
		ck_assert_msg(seen_has(&s, id), "failure %s has no red embed", id);
	}
	ck_assert_uint_eq(s.own_fail, 100);
	ck_assert_uint_eq(s.overflow_embeds, 0);
	ck_assert_int_eq(digest_total(&s), RING / 4);
	ck_assert_uint_eq(s.own_ok, RING - RING / 4);
	ck_assert_uint_eq(SENT(), RING - RING / 4 + 100);
	ck_assert_uint_eq(DIGESTED(), RING / 4);
	ck_assert_uint_eq(DROPPED(), 0);
	seen_free(&s);
	fclose(out);
}
END_TEST

/*
 * Failures alone overflow the ring: the rest go to one red "❗ N more
 * failures" embed listing the Event IDs that fit, within every limit; the
 * ids that do not fit are counted in failures_unlisted.
 */
START_TEST(test_ring_overflow_red)
{
	FILE *out = tmpfile();
	struct notifier *n = dry_notifier(out, RING);
	struct seen s;
	char id[96];
	const int extra = 500;
	size_t listed = 0;

	for (int i = 0; i < RING + extra; i++) {
		/* Long ids (and an emoji in some), so not all of them fit. */
		snprintf(id, sizeof id, "order-%06d-%s-0123456789abcdef", i,
		    i % 3 == 0 ? EMOJI : "x");
		submit(n, i % 2 ? "request.created" : "machine.created", id, 0);
	}
	flush(n);
	read_payloads(out, &s);
	ck_assert_uint_eq(s.own_fail, RING);
	ck_assert_uint_eq(s.overflow_embeds, 1);
	ck_assert_int_eq(s.overflowed, extra);
	/* It had to leave ids out: it goes before the 16384 failures. */
	ck_assert_uint_eq(s.overflow_payload, 0);
	ck_assert_int_eq(digest_total(&s), 0);
	for (int i = RING; i < RING + extra; i++) {
		snprintf(id, sizeof id, "order-%06d-%s-0123456789abcdef", i,
		    i % 3 == 0 ? EMOJI : "x");
		listed += seen_has(&s, id);
	}
	ck_assert_uint_eq(s.nfail_ids, RING + listed);	/* only those */
	ck_assert_uint_gt(listed, 50);
	ck_assert_uint_lt(listed, (size_t)extra);
	ck_assert_uint_eq(listed + UNLISTED(), (size_t)extra);
	ck_assert_uint_eq(SENT(), RING);
	ck_assert_uint_eq(DIGESTED(), extra);
	ck_assert_uint_eq(DROPPED(), 0);
	seen_free(&s);
	fclose(out);
}
END_TEST

/*
 * More failures than [discord] queue.size wait: the others are listed in
 * the red overflow embed, not dropped, and never digested, while the
 * successes beyond queue.size are.
 */
START_TEST(test_queue_size_overflow_red)
{
	FILE *out = tmpfile();
	struct notifier *n = dry_notifier(out, 50);
	struct seen s;
	char id[32];

	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "f-%d", i);
		submit(n, "request.created", id, 0);
		snprintf(id, sizeof id, "s-%d", i);
		submit(n, "contact.created", id, 1);
	}
	flush(n);
	read_payloads(out, &s);
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "f-%d", i);
		ck_assert_msg(seen_has(&s, id), "failure %s in no red embed", id);
	}
	ck_assert_uint_eq(s.own_fail, 50);
	ck_assert_int_eq(s.overflowed, 250);
	ck_assert_uint_eq(UNLISTED(), 0);
	ck_assert_int_eq(digest_total(&s) + (long)s.own_ok, 300);
	ck_assert_uint_eq(DROPPED(), 0);
	seen_free(&s);
	fclose(out);
}
END_TEST

/*
 * More types than a digest has rows: each row names the type it counts,
 * the last one "other types", and the rows add up to the title's N.
 */
START_TEST(test_digest_rows_named)
{
	FILE *out = tmpfile();
	struct notifier *n = dry_notifier(out, 1);
	struct seen s;
	json_object *e, *fields;
	char id[32], type[16];
	long want[40], other = 0, total = 0;

	for (int t = 0; t < 40; t++) {
		snprintf(type, sizeof type, "t%02d.created", t);
		for (int i = 0; i <= t; i++) {
			snprintf(id, sizeof id, "%s-%d", type, i);
			submit(n, type, id, 1);
		}
		want[t] = t + 1;
		total += t + 1;
	}
	want[39]--;	/* the last one keeps its own embed (queue.size 1) */
	flush(n);
	read_payloads(out, &s);
	ck_assert_uint_eq(s.own_ok, 1);
	ck_assert_int_eq(json_object_array_length(s.digests), 1);
	ck_assert_int_eq(digest_total(&s), total - 1);
	e = json_object_array_get_idx(s.digests, 0);
	json_object_object_get_ex(e, "fields", &fields);
	ck_assert_int_eq(json_object_array_length(fields), DIGEST_ROWS);
	for (int t = 0; t < DIGEST_ROWS - 1; t++) {
		json_object *f = json_object_array_get_idx(fields, t);
		char v[64];

		snprintf(type, sizeof type, "t%02d.created", t);
		snprintf(v, sizeof v, "%ld processed, 0 failed", want[t]);
		ck_assert_str_eq(str(f, "name"), type);
		ck_assert_str_eq(str(f, "value"), v);
	}
	for (int t = DIGEST_ROWS - 1; t < 40; t++)
		other += want[t];
	{
		json_object *f = json_object_array_get_idx(fields, DIGEST_ROWS - 1);
		char v[64];

		snprintf(v, sizeof v, "%ld processed, 0 failed", other);
		ck_assert_str_eq(str(f, "name"), DIGEST_OTHER);
		ck_assert_str_eq(str(f, "value"), v);
	}
	seen_free(&s);
	fclose(out);
}
END_TEST

#define SUBMITTERS	4
#define PER_SUBMITTER	5000

static void *
submitter(void *arg)
{
	struct notifier *n = arg;
	static _Atomic int next;
	int w = atomic_fetch_add(&next, 1);
	char id[32];

	for (int i = 0; i < PER_SUBMITTER; i++) {
		int fail = i % 4 == 0;

		snprintf(id, sizeof id, "%s-%d-%d", fail ? "f" : "s", w, i);
		submit(n, fail ? "request.created" : "contact.created", id, !fail);
	}
	return NULL;
}

/*
 * Workers submitting while the thread runs (queue.size 100): every event
 * is accounted for once, every failure shown in red or counted unlisted,
 * no failure digested. Under --enable-tsan this is the race test.
 */
START_TEST(test_concurrent_submit)
{
	FILE *out = tmpfile();
	struct notifier *n = dry_notifier(out, 100);
	pthread_t t[SUBMITTERS];
	struct seen s;
	const long total = SUBMITTERS * PER_SUBMITTER, fails = total / 4;

	ck_assert_int_eq(notifier_start(n), 0);
	for (int i = 0; i < SUBMITTERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, submitter, n), 0);
	for (int i = 0; i < SUBMITTERS; i++)
		pthread_join(t[i], NULL);
	notifier_stop(n, 60000);
	ck_assert(notifier_idle(n));
	notifier_destroy(n);
	read_payloads(out, &s);
	ck_assert_int_eq((long)s.nfail_ids + (long)UNLISTED(), fails);
	ck_assert_int_eq((long)s.own_fail + s.overflowed, fails);
	ck_assert_int_eq(digest_total(&s) + (long)s.own_ok, total - fails);
	ck_assert_int_eq((long)(SENT() + DIGESTED()), total);
	ck_assert_uint_eq(DROPPED(), 0);
	seen_free(&s);
	fclose(out);
}
END_TEST

/*
 * The same race with grouping on (group.failures = 3): the submitters'
 * failures share one error, so most go out in grouped embeds; each is
 * still shown or counted exactly once, never digested.
 */
START_TEST(test_concurrent_submit_grouped)
{
	FILE *out = tmpfile();
	struct notifier *n;
	pthread_t t[SUBMITTERS];
	struct seen s;
	const long total = SUBMITTERS * PER_SUBMITTER, fails = total / 4;

	group_failures = 3;
	n = dry_notifier(out, 100);
	ck_assert_int_eq(notifier_start(n), 0);
	for (int i = 0; i < SUBMITTERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, submitter, n), 0);
	for (int i = 0; i < SUBMITTERS; i++)
		pthread_join(t[i], NULL);
	notifier_stop(n, 60000);
	ck_assert(notifier_idle(n));
	notifier_destroy(n);
	read_payloads(out, &s);
	ck_assert_int_gt(s.grouped, 0);
	ck_assert_int_eq((long)s.nfail_ids + (long)UNLISTED() + s.grouped_unlisted,
	    fails);
	ck_assert_int_eq((long)s.own_fail + s.overflowed + s.grouped, fails);
	ck_assert_int_eq(digest_total(&s) + (long)s.own_ok, total - fails);
	ck_assert_int_eq((long)(SENT() + DIGESTED()), total);
	ck_assert_uint_eq(metrics_get(M_FAILURES_GROUPED) - base_grouped,
	    (unsigned long)s.grouped);
	ck_assert_uint_eq(DROPPED(), 0);
	seen_free(&s);
	fclose(out);
}
END_TEST

/* A reader that drains a pipe slowly, as a metering pipe does. */
static void *
slow_reader(void *arg)
{
	int fd = *(int *)arg;
	char buf[4096];

	while (read(fd, buf, sizeof buf) > 0)
		usleep(100);
	return NULL;
}

/*
 * A dry run behind a slow stdout prints every embed (issue 11 item 4):
 * stdout has no rate limit, so submitters wait for room, and nothing is
 * digested or dropped however far the printer falls behind.
 */
START_TEST(test_dry_run_never_digests)
{
	const int total = 3 * RING;
	struct notifier *n;
	pthread_t reader;
	int fds[2];
	FILE *out;
	char id[32];

	ck_assert_int_eq(pipe(fds), 0);
	out = fdopen(fds[1], "w");
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pthread_create(&reader, NULL, slow_reader, &fds[0]), 0);
	n = dry_notifier_printing(out, 100);
	ck_assert_int_eq(notifier_start(n), 0);
	for (int i = 0; i < total; i++) {
		snprintf(id, sizeof id, "ok-%d", i);
		submit(n, "contact.created", id, 1);
	}
	notifier_stop(n, 120000);
	ck_assert(notifier_idle(n));
	notifier_destroy(n);
	fclose(out);
	pthread_join(reader, NULL);
	close(fds[0]);
	ck_assert_uint_eq(DIGESTED(), 0);
	ck_assert_uint_eq(DROPPED(), 0);
	ck_assert_uint_eq(SENT(), (unsigned long)total);
}
END_TEST

/* A stream that counts its write(2)s, as stdout would make them. */
struct counted {
	size_t	 writes;
	size_t	 bytes;
	size_t	 lines;
	size_t	 ids;		/* "Event ID" fields seen */
	char	 tail[16];	/* for a field cut between two writes */
};

static ssize_t
counted_write(void *cookie, const char *p, size_t n)
{
	struct counted *c = cookie;
	char *s = xmalloc(sizeof c->tail + n + 1), *q;
	size_t t = strlen(c->tail);

	memcpy(s, c->tail, t);
	memcpy(s + t, p, n);
	s[t + n] = '\0';
	for (q = s; (q = strstr(q, "Event ID")) != NULL; q++)
		c->ids++;
	/* Keep the last bytes, less than a whole "Event ID". */
	t += n;
	str_copy(c->tail, s + (t > 7 ? t - 7 : 0), sizeof c->tail);
	free(s);
	for (size_t i = 0; i < n; i++)
		c->lines += p[i] == '\n';
	c->writes++;
	c->bytes += n;
	return (ssize_t)n;
}

/*
 * A dry run writes its payloads a burst at a time, not a payload at a
 * time (issue 11 item 3): through an unbuffered stream every fputs() was
 * a write, two per payload.
 */
START_TEST(test_dry_run_writes_bursts)
{
	cookie_io_functions_t io = { .write = counted_write };
	struct counted c = { 0 };
	struct notifier *n;
	FILE *out;
	char id[32];

	out = fopencookie(&c, "w", io);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(setvbuf(out, NULL, _IONBF, 0), 0);
	n = dry_notifier_printing(out, 1000);
	for (int i = 0; i < 200; i++) {
		snprintf(id, sizeof id, "ok-%d", i);
		submit(n, "contact.created", id, 1);
	}
	flush(n);
	fclose(out);
	ck_assert_uint_eq(SENT(), 200);
	ck_assert_uint_eq(c.ids, 200);
	ck_assert_uint_ge(c.lines, 20);	/* at most 10 embeds a payload */
	/* 20 payloads of ~3 kB: one or two bursts, not 40 writes. */
	ck_assert_msg(c.writes <= 4, "%zu writes for %zu payloads (%zu bytes)",
	    c.writes, c.lines, c.bytes);
}
END_TEST

/* digest.c alone: rows, "other types", merging. */
START_TEST(test_digest_pure)
{
	struct digest a, b;
	char type[16];

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	digest_add(&a, "contact.created", 3);
	digest_add(&a, "request.created", 2);
	digest_add(&a, "contact.created", 1);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_uint_eq(a.processed[0], 4);
	ck_assert_uint_eq(a.processed[1], 2);
	ck_assert_int_eq(a.total, 6);
	for (int t = 0; t < 30; t++) {
		snprintf(type, sizeof type, "x%02d", t);
		digest_add(&b, type, 10);
	}
	ck_assert_uint_eq(b.n, DIGEST_ROWS - 1);
	ck_assert_uint_eq(b.other, 10 * (30 - (DIGEST_ROWS - 1)));
	digest_merge(&a, &b);
	ck_assert_int_eq(a.total, 306);
	ck_assert_uint_eq(a.n, DIGEST_ROWS - 1);
	ck_assert_str_eq(a.types[2], "x00");
	/* x22 .. x29 and the b's other types */
	ck_assert_uint_eq(a.other, 10 * (30 - (DIGEST_ROWS - 3)));
	digest_reset(&a);
	ck_assert_int_eq(a.total, 0);
	ck_assert_uint_eq(a.other, 0);
}
END_TEST

/* digest.c alone: the overflow embed within limits, whatever the ids. */
START_TEST(test_overflow_pure)
{
	struct overflow o;
	char id[400], *json;
	json_object *e, *fields, *color;
	size_t chars, listed = 0, nf;

	memset(&o, 0, sizeof o);
	ck_assert_int_eq(overflow_add(&o, NULL), 0);
	ck_assert_int_eq(overflow_add(&o, ""), 0);
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(i * 37 % 150) + 1;

		/* Lengths 1..150, every fifth of emoji only. */
		id[0] = '\0';
		for (size_t k = 0; k < len && strlen(id) + 8 < sizeof id; k++)
			strcat(id, i % 5 == 0 ? EMOJI : "a");
		listed += (size_t)overflow_add(&o, id);
	}
	ck_assert_int_eq(o.count, 2002);
	ck_assert_int_eq(o.unlisted, 2002 - (long)listed);
	ck_assert_uint_eq(o.nids, listed);
	ck_assert(overflow_full(&o));
	ck_assert_int_eq(overflow_add(&o, "a"), 0);	/* closed, even for one */
	ck_assert_int_eq(o.unlisted, 2003 - (long)listed);
	listed = 0;
	for (int i = 0; i < 2000 && listed < o.nids; i++) {
		/* A prefix: the first failures, up to the first that did not fit. */
		size_t len = (size_t)(i * 37 % 150) + 1;
		size_t u = i % 5 == 0 ? 2 * len : len;

		if (u <= OVERFLOW_ID_MAX)
			ck_assert_uint_eq(units(o.ids[listed]), u);
		else	/* cut with "…", never inside a surrogate pair */
			ck_assert_uint_ge(units(o.ids[listed]), OVERFLOW_ID_MAX - 1);
		listed++;
	}
	for (size_t i = 0; i < o.nids; i++)
		ck_assert_uint_le(units(o.ids[i]), OVERFLOW_ID_MAX);
	json = overflow_embed_json(&o, 1700000000, &chars);
	e = json_tokener_parse(json);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(check_embed_limits(e), chars);
	ck_assert_str_eq(str(e, "title"), "❗ 2003 more failures");
	json_object_object_get_ex(e, "color", &color);
	ck_assert_int_eq(json_object_get_int(color), RED);
	json_object_object_get_ex(e, "fields", &fields);
	nf = json_object_array_length(fields);
	ck_assert_str_eq(str(json_object_array_get_idx(fields, nf - 1), "name"),
	    "Not listed");
	ck_assert_uint_gt(chars, EMBED_MAX_TOTAL - OVERFLOW_RESERVE - 200);
	json_object_put(e);
	free(json);
	overflow_reset(&o);
	ck_assert_int_eq(o.count, 0);
	ck_assert_int_eq(overflow_full(&o), 0);
}
END_TEST

Suite *
suite_notify(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("overload");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ring_reserves_failures);
	tcase_add_test(tc, test_ring_overflow_red);
	tcase_add_test(tc, test_queue_size_overflow_red);
	tcase_add_test(tc, test_digest_rows_named);
	tcase_add_test(tc, test_concurrent_submit);
	tcase_add_test(tc, test_concurrent_submit_grouped);
	tcase_add_test(tc, test_dry_run_never_digests);
	tcase_add_test(tc, test_dry_run_writes_bursts);
	suite_add_tcase(s, tc);
	tc = tcase_create("pure");
	tcase_add_test(tc, test_digest_pure);
	tcase_add_test(tc, test_overflow_pure);
	suite_add_tcase(s, tc);
	return s;
}
