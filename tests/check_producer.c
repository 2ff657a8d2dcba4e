/*
 * check_producer.c -- producer.c against librdkafka's mock cluster, in
 * process (one broker, no added latency): many small concurrent sends,
 * each waiting for its own delivery report (issue 9 item 2: a report that
 * came before the sender took its lock freed the sender's struct; ASan
 * reports it at once as a heap-use-after-free -- CI runs make check
 * under ASan; a plain build mostly survives it by luck); and the bounded
 * waits of shutdown
 * (sends and flushes end at their deadline or once the stop flag is set,
 * with a broker down).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "config.h"
#include "log.h"
#include "producer.h"
#include "util.h"

#define TOPIC		"check.producer"
#define THREADS		64

/*
 * The test links with -Wl,--wrap=rd_kafka_produceva: each call of
 * producer.c goes through here, and a successful one pauses for pause_us
 * before it returns -- the sender thread descheduled right after queueing
 * its record, so that the report comes first, as it sometimes does.
 */
static _Atomic int	pause_us;

rd_kafka_error_t	*__real_rd_kafka_produceva(rd_kafka_t *, const rd_kafka_vu_t *,
			     size_t);
rd_kafka_error_t	*__wrap_rd_kafka_produceva(rd_kafka_t *, const rd_kafka_vu_t *,
			     size_t);

rd_kafka_error_t *
__wrap_rd_kafka_produceva(rd_kafka_t *rk, const rd_kafka_vu_t *vus, size_t cnt)
{
	rd_kafka_error_t *error = __real_rd_kafka_produceva(rk, vus, cnt);
	int us = atomic_load(&pause_us);

	if (error == NULL && us > 0)
		sleep_ms(us / 1000 > 0 ? us / 1000 : 1);
	return error;
}

static rd_kafka_t		*mock_rk;
static rd_kafka_mock_cluster_t	*mock;
static struct config		*cfg;

static void
setup(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];

	log_set_level(LOG_LVL_ERROR);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	ck_assert_msg(mock_rk != NULL, "%s", err);
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	ck_assert_ptr_nonnull(mock);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mock, TOPIC, 4, 1), 0);
	cfg = config_new();
	config_set_kafka(cfg, "bootstrap.servers",
	    rd_kafka_mock_cluster_bootstraps(mock));
	/* No batching delay: reports come as fast as the mock answers. */
	config_set_kafka(cfg, "linger.ms", "0");
}

static void
teardown(void)
{
	config_free(cfg);
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
}

struct sender {
	struct producer	*p;
	int		 index;
	int		 n;
	int		 ok;
	char		 err[256];
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;
	struct producer_header hdrs[2] = {
		{ "sipeat-event-id", "stress" },
		{ "sipeat-stage", "check" },
	};
	char key[32], value[64];

	for (int i = 0; i < s->n; i++) {
		int klen = snprintf(key, sizeof key, "k%d-%d", s->index, i % 50);
		int vlen = snprintf(value, sizeof value, "{\"n\":%d}", i);

		if (producer_send_timed(s->p, TOPIC, key, (size_t)klen, value,
		    (size_t)vlen, hdrs, 2, 30000, NULL, s->err,
		    sizeof s->err) != 0)
			break;
		s->ok++;
	}
	return NULL;
}

/*
 * Issue 9 item 2, made certain: every report arrives before producev()
 * returned to the sender.
 */
START_TEST(test_report_first)
{
	struct sender s = { 0 };
	char err[256];
	struct producer *p = producer_create(cfg, err, sizeof err);

	ck_assert_msg(p != NULL, "%s", err);
	atomic_store(&pause_us, 3000);
	s.p = p;
	s.n = 200;
	sender_main(&s);
	atomic_store(&pause_us, 0);
	ck_assert_msg(s.ok == s.n, "%d of %d sent: %s", s.ok, s.n, s.err);
	producer_destroy(p, 1000);
}
END_TEST

/*
 * Issue 9 item 2: THREADS threads send PRODUCER_SENDS (default 24000)
 * records in all, one at a time each; every send must return its own
 * successful report.
 */
START_TEST(test_stress)
{
	struct sender s[THREADS];
	pthread_t t[THREADS];
	const char *env = getenv("PRODUCER_SENDS");
	int total = env != NULL ? atoi(env) : 24000;
	char err[256];
	struct producer *p = producer_create(cfg, err, sizeof err);

	ck_assert_msg(p != NULL, "%s", err);
	for (int i = 0; i < THREADS; i++) {
		memset(&s[i], 0, sizeof s[i]);
		s[i].p = p;
		s[i].index = i;
		s[i].n = total / THREADS;
		ck_assert_int_eq(pthread_create(&t[i], NULL, sender_main, &s[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_msg(s[i].ok == s[i].n, "sender %d: %d of %d sent: %s",
		    i, s[i].ok, s[i].n, s[i].err);
	}
	ck_assert_int_eq(producer_flush(p, now_ms() + 5000, NULL), 0);
	producer_destroy(p, 1000);
}
END_TEST

/* Sets *flag after the given delay, from another thread. */
struct setter {
	struct stopflag	*flag;
	int		 after_ms;
};

static void *
setter_main(void *arg)
{
	struct setter *s = arg;

	sleep_ms(s->after_ms);
	stop_flag_set(s->flag);
	return NULL;
}

/*
 * Issue 9 item 3: with the broker down, a send that waits for its report
 * (no timeout of its own: a dead letter) returns once the stop flag is
 * set, and one with a deadline returns at the deadline; a flush obeys its
 * deadline and the stop flag; destroy does not wait for records that can
 * no longer be delivered, and frees their senders' state (ASan: no leak).
 */
START_TEST(test_bounded_waits)
{
	struct stopflag stopping = { 0 };
	struct setter set = { &stopping, 300 };
	pthread_t t;
	char err[256];
	struct producer *p;
	int64_t t0, took;

	config_set_kafka(cfg, "message.timeout.ms", "60000");
	p = producer_create(cfg, err, sizeof err);
	ck_assert_msg(p != NULL, "%s", err);
	/* A first record, so that the producer knows the topic and broker. */
	ck_assert_msg(producer_send_until(p, TOPIC, "k", 1, "v", 1, NULL,
	    now_ms() + 10000, NULL, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(rd_kafka_mock_broker_set_down(mock, 1), 0);

	t0 = now_ms();
	ck_assert_int_eq(pthread_create(&t, NULL, setter_main, &set), 0);
	ck_assert_int_eq(producer_send_until(p, TOPIC, "k", 1, "v", 1, NULL, 0,
	    &stopping, err, sizeof err), -1);
	took = now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_msg(took >= 250 && took < 2000, "stop flag: returned after %lld ms",
	    (long long)took);
	ck_assert_msg(strstr(err, "shutdown") != NULL, "%s", err);

	t0 = now_ms();
	ck_assert_int_eq(producer_send_until(p, TOPIC, "k", 1, "", 0, NULL,
	    t0 + 300, NULL, err, sizeof err), -1);
	took = now_ms() - t0;
	ck_assert_msg(took >= 250 && took < 2000, "deadline: returned after %lld ms",
	    (long long)took);
	ck_assert_msg(strstr(err, "deadline") != NULL, "%s", err);

	t0 = now_ms();
	ck_assert_int_gt(producer_flush(p, t0 + 300, NULL), 0);
	took = now_ms() - t0;
	ck_assert_msg(took >= 250 && took < 2000, "flush deadline: %lld ms",
	    (long long)took);

	stop_flag_clear(&stopping);
	t0 = now_ms();
	ck_assert_int_eq(pthread_create(&t, NULL, setter_main, &set), 0);
	ck_assert_int_gt(producer_flush(p, 0, &stopping), 0);
	took = now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_msg(took >= 250 && took < 2000, "flush stop flag: %lld ms",
	    (long long)took);

	t0 = now_ms();
	producer_destroy(p, 200);
	took = now_ms() - t0;
	ck_assert_msg(took < 5000, "destroy took %lld ms", (long long)took);
}
END_TEST

Suite *
suite_producer(void)
{
	Suite	*s = suite_create("producer");
	TCase	*tc = tcase_create("mock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_report_first);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_bounded_waits);
	suite_add_tcase(s, tc);
	return s;
}
