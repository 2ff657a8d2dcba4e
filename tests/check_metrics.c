/*
 * check_metrics.c -- the per-webhook label of the sipeatd_discord_*
 * families and /healthz's per-webhook reasons (SPEC section 9): every
 * sample names its webhook by NAME, counters are kept apart per webhook
 * and summed into the process totals, one broken webhook is named alone.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "metrics.h"

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
	METRIC_WH_ADD(d, embeds_sent, 7);
	METRIC_WH_INC(a, embeds_sent);
	METRIC_WH_INC(a, discord_requests[METRIC_DISCORD_404]);
	METRIC_WH_INC(d, discord_requests[METRIC_DISCORD_2XX]);
	METRIC_WH_ADD(a, embeds_dropped, 3);
	METRIC_WH_INC(d, payloads);
	ck_assert_uint_eq(METRIC_GET(embeds_sent), 8);
	ck_assert_uint_eq(METRIC_GET(embeds_dropped), 3);

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
	METRIC_ADD(embeds_sent, 2);
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

Suite *
suite_metrics(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("webhooks");

	tcase_add_test(tc, test_webhook_label);
	tcase_add_test(tc, test_no_webhooks);
	tcase_add_test(tc, test_health_per_webhook);
	suite_add_tcase(s, tc);
	return s;
}
