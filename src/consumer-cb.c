/*
 * consumer-cb.c -- what librdkafka reports to the consumer thread besides
 * messages: error_cb (all brokers down, fatal errors), stats_cb (consumer
 * lag, a broker up again), and messages that carry an error (end of a
 * partition, consumer group errors an operator must act on).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "consumer-int.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

void
consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct consumer *c = opaque;

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (c->brokers_down_since == 0)
			c->brokers_down_since = now_ms();
		metrics_kafka_brokers_down(c->brokers_down_since);
		log_warn("consumer", "all brokers are down: %s", reason);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char fatal[512];

		rd_kafka_fatal_error(rk, fatal, sizeof fatal);
		log_error("consumer", "fatal Kafka error: %s", fatal);
		metrics_kafka_fatal(fatal);
		c->result = 1;
		atomic_store(&c->stop, 1);
		return;
	}
	/* Most consumer errors are informational: librdkafka recovers. */
	log_warn("consumer", "%s: %s", rd_kafka_err2name(err), reason);
}

/*
 * librdkafka's statistics (statistics.interval.ms), on this thread: the
 * consumer lag for /metrics, and a broker that is UP again ends an outage
 * even when no message arrives. librdkafka frees json (return 0).
 */
int
consumer_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	struct consumer *c = opaque;

	(void)rk;
	if (metrics_kafka_stats(json, len) == 1 && c->brokers_down_since != 0) {
		c->brokers_down_since = 0;
		metrics_kafka_brokers_down(0);
	}
	return 0;
}

/*
 * Errors of the consumer group that librdkafka reports and then keeps
 * retrying (the join is intervalled) but that will not go away by
 * themselves: an operator must act (ACL, assignor, session timeout).
 */
static int
group_error_unrecoverable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_INCONSISTENT_GROUP_PROTOCOL:
	case RD_KAFKA_RESP_ERR_INVALID_SESSION_TIMEOUT:
	case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
	case RD_KAFKA_RESP_ERR_GROUP_MAX_SIZE_REACHED:
		return 1;
	default:
		return 0;
	}
}

/*
 * A message that carries an error. librdkafka delivers many consumer
 * errors without a topic (rkt NULL: JoinGroup and FindCoordinator
 * failures, MAX_POLL_EXCEEDED), so nothing here assumes one.
 */
void
consumer_handle_error(struct consumer *c, const rd_kafka_message_t *rkm)
{
	const char *topic = rkm->rkt != NULL ? rd_kafka_topic_name(rkm->rkt) : NULL;
	const char *name = rd_kafka_err2name(rkm->err);
	char why[512];

	if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (topic != NULL) {
			struct partition *p = ledger_part(&c->ledger, topic, rkm->partition);

			if (p->assigned)
				p->eof = 1;
		}
		return;
	}
	if (rkm->err == RD_KAFKA_RESP_ERR__FATAL) {
		/* error_cb stops the consumer and marks /healthz. */
		rd_kafka_fatal_error(c->rk, why, sizeof why);
		log_error("consumer", "fatal Kafka error: %s", why);
		metrics_kafka_fatal(why);
		return;
	}
	snprintf(why, sizeof why, "%s: %s", name, rd_kafka_message_errstr(rkm));
	if (group_error_unrecoverable(rkm->err)) {
		log_error("consumer", "consumer group: %s", why);
		metrics_kafka_group_error(why);
	} else if (topic != NULL)
		log_warn("consumer", "%s [%" PRId32 "]: %s", topic, rkm->partition, why);
	else
		log_warn("consumer", "%s", why);
}
