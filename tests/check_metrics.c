/*
 * check_metrics.c -- the per-webhook label of the sipeatd_discord_*
 * families and /healthz's per-webhook reasons (SPEC section 9): every
 * sample names its webhook by NAME, counters are kept apart per webhook
 * and summed into the process totals, one broken webhook is named alone.
 * And the whole /metrics text of a populated state, byte for byte (case
 * "render"): the rendering may be rewritten, never its output.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "handler.h"
#include "metrics.h"
#include "queue.h"
#include "stage.h"
#include "util.h"

/* Whether the rendering holds line (a whole line). */
static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	}
	return 0;
}

/*
 * text with the value of every line that starts with prefix replaced by
 * "X", after checking that it lies in [lo, hi]: the start time and the
 * histogram sums, the only samples a test cannot fix. Returns a string
 * to free.
 */
static char *
mask_values(const char *text, const char *prefix, double lo, double hi)
{
	size_t plen = strlen(prefix), n = 0;
	char *out = malloc(strlen(text) + 1);
	const char *p, *eol, *sp;

	ck_assert_ptr_nonnull(out);
	for (p = text; *p != '\0'; p = eol + 1) {
		eol = strchr(p, '\n');
		ck_assert_ptr_nonnull(eol);
		if (strncmp(p, prefix, plen) != 0) {
			memcpy(out + n, p, (size_t)(eol - p) + 1);
			n += (size_t)(eol - p) + 1;
			continue;
		}
		for (sp = eol; sp[-1] != ' '; sp--)
			;
		{
			double v = strtod(sp, NULL);

			ck_assert_msg(v >= lo && v <= hi, "%.*s: not in [%g, %g]",
			    (int)(eol - p), p, lo, hi);
		}
		memcpy(out + n, p, (size_t)(sp - p));
		n += (size_t)(sp - p);
		out[n++] = 'X';
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

/* The render of a populated state, every family (metrics_render's order). */
static const char golden_full[] =
"# HELP sipeatd_build_info Always 1; the version of sipeatd in the label.\n"
"# TYPE sipeatd_build_info gauge\n"
"sipeatd_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
"# HELP sipeatd_start_time_seconds Start time of the process since the Unix epoch.\n"
"# TYPE sipeatd_start_time_seconds gauge\n"
"sipeatd_start_time_seconds X\n"
"# HELP sipeatd_up 1 while /healthz answers 200, 0 while it answers 503.\n"
"# TYPE sipeatd_up gauge\n"
"sipeatd_up 0\n"
"# HELP sipeatd_events_total Events processed, by handler type and status (ok, failed: a stage failed, invalid: not a usable event, type \"unknown\").\n"
"# TYPE sipeatd_events_total counter\n"
"sipeatd_events_total{type=\"order\",status=\"ok\"} 3\n"
"sipeatd_events_total{type=\"order\",status=\"failed\"} 1\n"
"sipeatd_events_total{type=\"signup\",status=\"ok\"} 1\n"
"sipeatd_events_total{type=\"signup\",status=\"failed\"} 0\n"
"sipeatd_events_total{type=\"unknown\",status=\"invalid\"} 2\n"
"# HELP sipeatd_stage_duration_seconds Time of one stage run, retries included, by stage.\n"
"# TYPE sipeatd_stage_duration_seconds histogram\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.0005\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.001\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.0025\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.005\"} 2\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.01\"} 2\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.025\"} 2\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.05\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.1\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.25\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"0.5\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"1\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"2.5\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"5\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"10\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"30\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"validate\",le=\"+Inf\"} 3\n"
"sipeatd_stage_duration_seconds_sum{stage=\"validate\"} X\n"
"sipeatd_stage_duration_seconds_count{stage=\"validate\"} 3\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.0005\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.001\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.0025\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.005\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.01\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.025\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.05\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.1\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.25\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"0.5\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"1\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"2.5\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"5\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"10\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"30\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"refund\",le=\"+Inf\"} 1\n"
"sipeatd_stage_duration_seconds_sum{stage=\"refund\"} X\n"
"sipeatd_stage_duration_seconds_count{stage=\"refund\"} 1\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.0005\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.001\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.0025\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.005\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.01\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.025\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.05\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.1\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.25\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"0.5\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"1\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"2.5\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"5\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"10\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"30\"} 0\n"
"sipeatd_stage_duration_seconds_bucket{stage=\"mail\",le=\"+Inf\"} 0\n"
"sipeatd_stage_duration_seconds_sum{stage=\"mail\"} X\n"
"sipeatd_stage_duration_seconds_count{stage=\"mail\"} 0\n"
"# HELP sipeatd_queue_depth Events waiting in the work queue for a worker.\n"
"# TYPE sipeatd_queue_depth gauge\n"
"sipeatd_queue_depth 2\n"
"# HELP sipeatd_inflight_events Events received and not yet completed (queued, parked behind their key, or running).\n"
"# TYPE sipeatd_inflight_events gauge\n"
"sipeatd_inflight_events 5\n"
"# HELP sipeatd_consumer_lag Messages between the committed offset and the end of each partition this member consumes (librdkafka statistics).\n"
"# TYPE sipeatd_consumer_lag gauge\n"
"sipeatd_consumer_lag{topic=\"sipeat.order\",partition=\"0\"} 12\n"
"sipeatd_consumer_lag{topic=\"sipeat.order\",partition=\"1\"} 3\n"
"# HELP sipeatd_dead_letters_total Failed events written to the dead-letter topic.\n"
"# TYPE sipeatd_dead_letters_total counter\n"
"sipeatd_dead_letters_total 4\n"
"# HELP sipeatd_dlq_errors_total Dead-letter writes that failed (each attempt; the event stays uncommitted and is written again).\n"
"# TYPE sipeatd_dlq_errors_total counter\n"
"sipeatd_dlq_errors_total 1\n"
"# HELP sipeatd_discord_requests_total Webhook requests by webhook and answer: 2xx, 400, 401, 403, 404, 429, 5xx, or error (no answer).\n"
"# TYPE sipeatd_discord_requests_total counter\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"2xx\"} 2\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"400\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"401\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"403\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"404\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"429\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"5xx\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"default\",code=\"error\"} 1\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"2xx\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"400\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"401\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"403\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"404\"} 1\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"429\"} 1\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"5xx\"} 0\n"
"sipeatd_discord_requests_total{webhook=\"team \\\"ops\\\"\",code=\"error\"} 0\n"
"# HELP sipeatd_discord_embeds_total Events by webhook and notification outcome: sent (own embed delivered), digested (counted in a delivered digest), dropped (never delivered).\n"
"# TYPE sipeatd_discord_embeds_total counter\n"
"sipeatd_discord_embeds_total{webhook=\"default\",outcome=\"sent\"} 6\n"
"sipeatd_discord_embeds_total{webhook=\"default\",outcome=\"digested\"} 2\n"
"sipeatd_discord_embeds_total{webhook=\"default\",outcome=\"dropped\"} 0\n"
"sipeatd_discord_embeds_total{webhook=\"team \\\"ops\\\"\",outcome=\"sent\"} 0\n"
"sipeatd_discord_embeds_total{webhook=\"team \\\"ops\\\"\",outcome=\"digested\"} 0\n"
"sipeatd_discord_embeds_total{webhook=\"team \\\"ops\\\"\",outcome=\"dropped\"} 9\n"
"# HELP sipeatd_discord_failures_unlisted_total Failed events whose own embed found no room in the notifier and whose Event ID did not fit in its red overflow embed either: counted there, not listed.\n"
"# TYPE sipeatd_discord_failures_unlisted_total counter\n"
"sipeatd_discord_failures_unlisted_total{webhook=\"default\"} 0\n"
"sipeatd_discord_failures_unlisted_total{webhook=\"team \\\"ops\\\"\"} 4\n"
"# HELP sipeatd_discord_grouped_total Failed events delivered in a grouped embed (\"... event failed xN\", [discord] group.failures), counted as sent.\n"
"# TYPE sipeatd_discord_grouped_total counter\n"
"sipeatd_discord_grouped_total{webhook=\"default\"} 3\n"
"sipeatd_discord_grouped_total{webhook=\"team \\\"ops\\\"\"} 0\n"
"# HELP sipeatd_discord_payloads_total Webhook messages delivered (printed with --dry-run).\n"
"# TYPE sipeatd_discord_payloads_total counter\n"
"sipeatd_discord_payloads_total{webhook=\"default\"} 5\n"
"sipeatd_discord_payloads_total{webhook=\"team \\\"ops\\\"\"} 1\n"
"# HELP sipeatd_discord_rate_limited_total Webhook requests answered 429 (rate limited).\n"
"# TYPE sipeatd_discord_rate_limited_total counter\n"
"sipeatd_discord_rate_limited_total{webhook=\"default\"} 0\n"
"sipeatd_discord_rate_limited_total{webhook=\"team \\\"ops\\\"\"} 1\n"
"# HELP sipeatd_discord_webhook_gone 1 once the webhook answered 404 (deleted), until restart.\n"
"# TYPE sipeatd_discord_webhook_gone gauge\n"
"sipeatd_discord_webhook_gone{webhook=\"default\"} 0\n"
"sipeatd_discord_webhook_gone{webhook=\"team \\\"ops\\\"\"} 1\n";

/* Records a run of name that took ms milliseconds, looked up by name. */
static void
observe_ms(const char *name, unsigned ms)
{
	metrics_stage_observe(SIZE_MAX, name, (uint64_t)ms * 1000000);
}

START_TEST(test_render_golden)
{
	static const char *const names[] = { "default", "team \"ops\"" };
	static const char stats[] =
	    "{\"brokers\": {\"b1:9092/1\": {\"state\": \"UP\", "
	    "\"source\": \"learned\"}},"
	    " \"topics\": {\"sipeat.order\": {\"partitions\": {"
	    "\"1\": {\"partition\": 1, \"consumer_lag\": 3},"
	    " \"0\": {\"partition\": 0, \"consumer_lag\": 12},"
	    " \"-1\": {\"partition\": -1, \"consumer_lag\": 7}}},"
	    " \"sipeat.user\": {\"partitions\": {"
	    "\"0\": {\"partition\": 0, \"consumer_lag\": -1}}}}}";
	struct stage validate = { .name = "validate" },
	    refund = { .name = "refund" }, mail = { .name = "mail" };
	struct stage *order_st[] = { &validate },
	    *order_undo[] = { &refund }, *signup_st[] = { &validate, &mail };
	struct handler hv[] = {
		{ .type = "order", .stages = order_st, .nstages = 1,
		  .undo_stages = order_undo, .nundo = 1 },
		{ .type = "signup", .stages = signup_st, .nstages = 2 },
	};
	struct handlers hs = { hv, 2 };
	struct queue *q = queue_create(8);
	struct metrics_webhook *d, *o;
	time_t t0, t1;
	char *text, *masked, *masked2;
	void *item;
	size_t len;
	int x;

	ck_assert_ptr_nonnull(q);
	ck_assert_int_eq(queue_try_push(q, &x), 0);
	ck_assert_int_eq(queue_try_push(q, &x), 0);
	t0 = time(NULL);
	metrics_init(&hs, q);
	t1 = time(NULL);
	metrics_webhooks_init(names, 2);
	d = metrics_webhook(0);
	o = metrics_webhook(1);

	for (int i = 0; i < 3; i++)
		metrics_event("order", METRIC_EVENT_OK);
	metrics_event("order", METRIC_EVENT_FAILED);
	metrics_event("signup", METRIC_EVENT_OK);
	metrics_event("signup", METRIC_EVENT_INVALID);	/* "unknown" */
	metrics_event(NULL, METRIC_EVENT_INVALID);
	metrics_event("nosuch", METRIC_EVENT_FAILED);	/* "unknown" too */
	observe_ms("validate", 3);
	observe_ms("validate", 3);
	observe_ms("validate", 40);
	observe_ms("refund", 200);
	observe_ms("nosuch", 1);			/* ignored */
	ck_assert_int_eq(metrics_kafka_stats(stats, sizeof stats - 1), 1);
	metrics_set_inflight(5);
	metrics_add(M_DLQ_PRODUCED, 4);
	metrics_inc(M_DLQ_ERRORS);

	metrics_webhook_inc(d, M_DISCORD_REQUEST(METRIC_DISCORD_2XX));
	metrics_webhook_inc(d, M_DISCORD_REQUEST(METRIC_DISCORD_2XX));
	metrics_webhook_inc(d, M_DISCORD_REQUEST(METRIC_DISCORD_ERROR));
	metrics_webhook_inc(o, M_DISCORD_REQUEST(METRIC_DISCORD_429));
	metrics_webhook_inc(o, M_DISCORD_REQUEST(METRIC_DISCORD_404));
	metrics_webhook_inc(o, M_DISCORD_RATE_LIMITED);
	metrics_webhook_add(d, M_EMBEDS_SENT, 6);
	metrics_webhook_add(d, M_EMBEDS_DIGESTED, 2);
	metrics_webhook_add(o, M_EMBEDS_DROPPED, 9);
	metrics_webhook_add(o, M_FAILURES_UNLISTED, 4);
	metrics_webhook_add(d, M_FAILURES_GROUPED, 3);
	metrics_webhook_add(d, M_PAYLOADS, 5);
	metrics_webhook_inc(o, M_PAYLOADS);
	metrics_webhook_state(o, METRIC_WEBHOOK_GONE);

	text = metrics_render(&len);
	ck_assert_uint_eq(len, strlen(text));
	masked = mask_values(text, "sipeatd_start_time_seconds ", (double)t0,
	    (double)t1);
	masked2 = mask_values(masked, "sipeatd_stage_duration_seconds_sum",
	    0, 0.25 + 0.046 + 60);
	if (strcmp(masked2, golden_full) != 0)
		fprintf(stderr, "render:\n%s", masked2);
	ck_assert_str_eq(masked2, golden_full);
	/* A sum's format, on the one stage never run. */
	ck_assert(has_line(text,
	    "sipeatd_stage_duration_seconds_sum{stage=\"mail\"} 0.000000000"));
	free(masked2);
	free(masked);
	free(text);
	metrics_free();
	while (queue_try_pop(q, &item) == 0)
		;
	queue_destroy(q);
}
END_TEST

/* The same without webhooks, a queue or handlers: the process totals. */
static const char golden_bare[] =
"# HELP sipeatd_build_info Always 1; the version of sipeatd in the label.\n"
"# TYPE sipeatd_build_info gauge\n"
"sipeatd_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"
"# HELP sipeatd_start_time_seconds Start time of the process since the Unix epoch.\n"
"# TYPE sipeatd_start_time_seconds gauge\n"
"sipeatd_start_time_seconds X\n"
"# HELP sipeatd_up 1 while /healthz answers 200, 0 while it answers 503.\n"
"# TYPE sipeatd_up gauge\n"
"sipeatd_up 1\n"
"# HELP sipeatd_events_total Events processed, by handler type and status (ok, failed: a stage failed, invalid: not a usable event, type \"unknown\").\n"
"# TYPE sipeatd_events_total counter\n"
"sipeatd_events_total{type=\"unknown\",status=\"invalid\"} 1\n"
"# HELP sipeatd_stage_duration_seconds Time of one stage run, retries included, by stage.\n"
"# TYPE sipeatd_stage_duration_seconds histogram\n"
"# HELP sipeatd_queue_depth Events waiting in the work queue for a worker.\n"
"# TYPE sipeatd_queue_depth gauge\n"
"sipeatd_queue_depth 0\n"
"# HELP sipeatd_inflight_events Events received and not yet completed (queued, parked behind their key, or running).\n"
"# TYPE sipeatd_inflight_events gauge\n"
"sipeatd_inflight_events 2\n"
"# HELP sipeatd_consumer_lag Messages between the committed offset and the end of each partition this member consumes (librdkafka statistics).\n"
"# TYPE sipeatd_consumer_lag gauge\n"
"# HELP sipeatd_dead_letters_total Failed events written to the dead-letter topic.\n"
"# TYPE sipeatd_dead_letters_total counter\n"
"sipeatd_dead_letters_total 0\n"
"# HELP sipeatd_dlq_errors_total Dead-letter writes that failed (each attempt; the event stays uncommitted and is written again).\n"
"# TYPE sipeatd_dlq_errors_total counter\n"
"sipeatd_dlq_errors_total 0\n"
"# HELP sipeatd_discord_requests_total Webhook requests by webhook and answer: 2xx, 400, 401, 403, 404, 429, 5xx, or error (no answer).\n"
"# TYPE sipeatd_discord_requests_total counter\n"
"sipeatd_discord_requests_total{code=\"2xx\"} 0\n"
"sipeatd_discord_requests_total{code=\"400\"} 0\n"
"sipeatd_discord_requests_total{code=\"401\"} 0\n"
"sipeatd_discord_requests_total{code=\"403\"} 0\n"
"sipeatd_discord_requests_total{code=\"404\"} 0\n"
"sipeatd_discord_requests_total{code=\"429\"} 0\n"
"sipeatd_discord_requests_total{code=\"5xx\"} 0\n"
"sipeatd_discord_requests_total{code=\"error\"} 0\n"
"# HELP sipeatd_discord_embeds_total Events by webhook and notification outcome: sent (own embed delivered), digested (counted in a delivered digest), dropped (never delivered).\n"
"# TYPE sipeatd_discord_embeds_total counter\n"
"sipeatd_discord_embeds_total{outcome=\"sent\"} 0\n"
"sipeatd_discord_embeds_total{outcome=\"digested\"} 0\n"
"sipeatd_discord_embeds_total{outcome=\"dropped\"} 0\n"
"# HELP sipeatd_discord_failures_unlisted_total Failed events whose own embed found no room in the notifier and whose Event ID did not fit in its red overflow embed either: counted there, not listed.\n"
"# TYPE sipeatd_discord_failures_unlisted_total counter\n"
"sipeatd_discord_failures_unlisted_total 0\n"
"# HELP sipeatd_discord_grouped_total Failed events delivered in a grouped embed (\"... event failed xN\", [discord] group.failures), counted as sent.\n"
"# TYPE sipeatd_discord_grouped_total counter\n"
"sipeatd_discord_grouped_total 0\n"
"# HELP sipeatd_discord_payloads_total Webhook messages delivered (printed with --dry-run).\n"
"# TYPE sipeatd_discord_payloads_total counter\n"
"sipeatd_discord_payloads_total 1\n"
"# HELP sipeatd_discord_rate_limited_total Webhook requests answered 429 (rate limited).\n"
"# TYPE sipeatd_discord_rate_limited_total counter\n"
"sipeatd_discord_rate_limited_total 0\n"
"# HELP sipeatd_discord_webhook_gone 1 once the webhook answered 404 (deleted), until restart.\n"
"# TYPE sipeatd_discord_webhook_gone gauge\n"
"sipeatd_discord_webhook_gone 0\n";

START_TEST(test_render_golden_bare)
{
	char *text, *masked;
	size_t len;

	metrics_init(NULL, NULL);
	metrics_event("order", METRIC_EVENT_OK);		/* "unknown" */
	metrics_event(NULL, METRIC_EVENT_INVALID);
	metrics_set_inflight(2);
	metrics_inc(M_PAYLOADS);
	text = metrics_render(&len);
	masked = mask_values(text, "sipeatd_start_time_seconds ", 0, 1e12);
	if (strcmp(masked, golden_bare) != 0)
		fprintf(stderr, "render:\n%s", masked);
	ck_assert_str_eq(masked, golden_bare);
	free(masked);
	free(text);
	metrics_free();
}
END_TEST

START_TEST(test_webhook_label)
{
	static const char *const names[] = { "default", "alerts" };
	struct metrics_webhook *d, *a;
	size_t len;
	char *text;

	metrics_webhooks_init(names, 2);
	metrics_init(NULL, NULL);	/* keeps the webhooks */
	d = metrics_webhook(0);
	a = metrics_webhook(1);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(metrics_webhook(2));
	metrics_webhook_add(d, M_EMBEDS_SENT, 7);
	metrics_webhook_inc(a, M_EMBEDS_SENT);
	metrics_webhook_inc(a, M_DISCORD_REQUEST(METRIC_DISCORD_404));
	metrics_webhook_inc(d, M_DISCORD_REQUEST(METRIC_DISCORD_2XX));
	metrics_webhook_add(a, M_EMBEDS_DROPPED, 3);
	metrics_webhook_inc(d, M_PAYLOADS);
	ck_assert_uint_eq(metrics_get(M_EMBEDS_SENT), 8);
	ck_assert_uint_eq(metrics_get(M_EMBEDS_DROPPED), 3);

	text = metrics_render(&len);
	ck_assert(has_line(text, "sipeatd_discord_embeds_total{webhook=\"default\","
	    "outcome=\"sent\"} 7"));
	ck_assert(has_line(text, "sipeatd_discord_embeds_total{webhook=\"alerts\","
	    "outcome=\"sent\"} 1"));
	ck_assert(has_line(text, "sipeatd_discord_embeds_total{webhook=\"alerts\","
	    "outcome=\"dropped\"} 3"));
	ck_assert(has_line(text, "sipeatd_discord_requests_total{webhook=\"alerts\","
	    "code=\"404\"} 1"));
	ck_assert(has_line(text, "sipeatd_discord_requests_total{webhook=\"default\","
	    "code=\"404\"} 0"));
	ck_assert(has_line(text, "sipeatd_discord_requests_total{webhook=\"default\","
	    "code=\"2xx\"} 1"));
	ck_assert(has_line(text, "sipeatd_discord_payloads_total{webhook=\"default\"} 1"));
	ck_assert(has_line(text, "sipeatd_discord_payloads_total{webhook=\"alerts\"} 0"));
	ck_assert(has_line(text, "sipeatd_discord_rate_limited_total{webhook=\"alerts\"} 0"));
	ck_assert(has_line(text, "sipeatd_discord_failures_unlisted_total{webhook=\"alerts\"} 0"));
	ck_assert(has_line(text, "sipeatd_discord_webhook_gone{webhook=\"alerts\"} 0"));
	/* No sample of these families without its webhook. */
	ck_assert_ptr_null(strstr(text, "\nsipeatd_discord_embeds_total{outcome"));
	ck_assert_ptr_null(strstr(text, "\nsipeatd_discord_payloads_total "));
	free(text);
	metrics_free();
}
END_TEST

START_TEST(test_no_webhooks)
{
	size_t len;
	char *text;

	metrics_init(NULL, NULL);
	metrics_add(M_EMBEDS_SENT, 2);
	text = metrics_render(&len);
	ck_assert(has_line(text, "sipeatd_discord_embeds_total{outcome=\"sent\"} 2"));
	ck_assert(has_line(text, "sipeatd_discord_payloads_total 0"));
	ck_assert_ptr_null(strstr(text, "webhook=\""));
	free(text);
	metrics_free();
}
END_TEST

START_TEST(test_health_per_webhook)
{
	static const char *const names[] = { "default", "alerts", "forum" };
	char why[1024];
	size_t len;
	char *text;

	metrics_init(NULL, NULL);
	metrics_webhooks_init(names, 3);
	ck_assert_int_eq(metrics_health(why, sizeof why), 0);
	metrics_webhook_state(metrics_webhook(1), METRIC_WEBHOOK_GONE);
	ck_assert_int_eq(metrics_health(why, sizeof why), -1);
	ck_assert_str_eq(why, "discord: webhook alerts: the webhook was deleted "
	    "(404); notifications to it stop until sipeatd restarts with a new "
	    "one\n");
	metrics_webhook_state(metrics_webhook(2), METRIC_WEBHOOK_FORUM);
	ck_assert_int_eq(metrics_health(why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "webhook forum: its channel is a forum"));
	ck_assert_ptr_null(strstr(why, "webhook default"));
	text = metrics_render(&len);
	ck_assert(has_line(text, "sipeatd_discord_webhook_gone{webhook=\"alerts\"} 1"));
	ck_assert(has_line(text, "sipeatd_discord_webhook_gone{webhook=\"forum\"} 0"));
	ck_assert(has_line(text, "sipeatd_up 0"));
	free(text);
	metrics_webhook_state(metrics_webhook(1), METRIC_WEBHOOK_OK);
	metrics_webhook_state(metrics_webhook(2), METRIC_WEBHOOK_OK);
	ck_assert_int_eq(metrics_health(why, sizeof why), 0);
	metrics_free();
}
END_TEST

START_TEST(test_counters)
{
	static const char *const names[] = { "default" };
	struct metrics_webhook *w;

	metrics_init(NULL, NULL);
	metrics_webhooks_init(names, 1);
	w = metrics_webhook(0);
	metrics_inc(M_DLQ_ERRORS);
	metrics_add(M_DLQ_ERRORS, 3);
	ck_assert_uint_eq(metrics_get(M_DLQ_ERRORS), 4);
	ck_assert_uint_eq(metrics_get(M_DLQ_PRODUCED), 0);
	/* A process-only counter is not kept per webhook: a no-op. */
	metrics_webhook_add(w, M_EVENTS_OK, 5);
	ck_assert_uint_eq(metrics_get(M_EVENTS_OK), 0);
	ck_assert_uint_eq(metrics_webhook_get(w, M_EVENTS_OK), 0);
	metrics_webhook_inc(w, M_DISCORD_REQUEST(METRIC_DISCORD_5XX));
	ck_assert_uint_eq(metrics_webhook_get(w,
	    M_DISCORD_REQUEST(METRIC_DISCORD_5XX)), 1);
	ck_assert_uint_eq(metrics_get(M_DISCORD_REQUEST(METRIC_DISCORD_5XX)), 1);
	ck_assert_uint_eq(metrics_get(M_DISCORD_REQUEST(METRIC_DISCORD_ERROR)),
	    0);
	/* Out of range: ignored, read as 0. */
	metrics_add(M_COUNTERS, 1);
	metrics_add((enum metric)-1, 1);
	ck_assert_uint_eq(metrics_get(M_COUNTERS), 0);
	ck_assert_uint_eq(metrics_get((enum metric)-1), 0);
	metrics_free();
}
END_TEST

#define BUMPERS	4
#define BUMPS	20000

static void *
bumper(void *arg)
{
	struct metrics_webhook *w = arg;

	for (int i = 0; i < BUMPS; i++) {
		metrics_inc(M_EVENTS_OK);
		metrics_webhook_inc(w, M_PAYLOADS);
		metrics_webhook_add(w, M_EMBEDS_SENT, 2);
		metrics_event("order", METRIC_EVENT_OK);
		/* 1 ms, in the le="0.001" bucket: one shard per thread. */
		metrics_stage_observe(0, "check", 1000000);
	}
	return NULL;
}

/* Writers on several threads, a scraper beside them: no count lost. */
START_TEST(test_concurrent)
{
	static const char *const names[] = { "a", "b" };
	struct stage check = { .name = "check" };
	struct stage *st[] = { &check };
	struct handler hv[] = { { .type = "order", .stages = st, .nstages = 1 } };
	struct handlers hs = { hv, 1 };
	pthread_t t[BUMPERS];
	char line[128];
	size_t len;
	char *text;

	metrics_init(&hs, NULL);
	metrics_webhooks_init(names, 2);
	for (int i = 0; i < BUMPERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, bumper,
		    metrics_webhook((size_t)i % 2)), 0);
	for (int i = 0; i < 20; i++)
		free(metrics_render(&len));
	for (int i = 0; i < BUMPERS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(metrics_get(M_EVENTS_OK), BUMPERS * BUMPS);
	ck_assert_uint_eq(metrics_get(M_PAYLOADS), BUMPERS * BUMPS);
	ck_assert_uint_eq(metrics_get(M_EMBEDS_SENT), 2 * BUMPERS * BUMPS);
	ck_assert_uint_eq(metrics_webhook_get(metrics_webhook(1), M_PAYLOADS),
	    BUMPERS / 2 * BUMPS);
	text = metrics_render(&len);
	snprintf(line, sizeof line, "sipeatd_events_total{type=\"order\","
	    "status=\"ok\"} %d", BUMPERS * BUMPS);
	ck_assert(has_line(text, line));
	snprintf(line, sizeof line, "sipeatd_discord_embeds_total{webhook=\"a\","
	    "outcome=\"sent\"} %d", BUMPERS / 2 * 2 * BUMPS);
	ck_assert(has_line(text, line));
	/* The stage histogram: every thread's shard summed. */
	snprintf(line, sizeof line, "sipeatd_stage_duration_seconds_bucket{"
	    "stage=\"check\",le=\"0.0005\"} 0");
	ck_assert(has_line(text, line));
	snprintf(line, sizeof line, "sipeatd_stage_duration_seconds_bucket{"
	    "stage=\"check\",le=\"0.001\"} %d", BUMPERS * BUMPS);
	ck_assert(has_line(text, line));
	snprintf(line, sizeof line, "sipeatd_stage_duration_seconds_count{"
	    "stage=\"check\"} %d", BUMPERS * BUMPS);
	ck_assert(has_line(text, line));
	snprintf(line, sizeof line, "sipeatd_stage_duration_seconds_sum{"
	    "stage=\"check\"} %d.000000000", BUMPERS * BUMPS / 1000);
	ck_assert(has_line(text, line));
	free(text);
	metrics_free();
}
END_TEST

Suite *
suite_metrics(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("webhooks");

	tcase_add_test(tc, test_webhook_label);
	tcase_add_test(tc, test_no_webhooks);
	tcase_add_test(tc, test_health_per_webhook);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_test(tc, test_render_golden);
	tcase_add_test(tc, test_render_golden_bare);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters");
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}
