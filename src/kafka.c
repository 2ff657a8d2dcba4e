/*
 * kafka.c -- builds librdkafka configurations from the [kafka] section and
 * routes librdkafka's log lines to log.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kafka.h"
#include "log.h"

/*
 * Properties that only make sense for one side. Passing a consumer
 * property to the producer makes librdkafka warn at every start, and an
 * operator would then learn to ignore warnings.
 */
static const char *const consumer_only[] = {
	"group.id", "group.instance.id", "partition.assignment.strategy",
	"session.timeout.ms", "heartbeat.interval.ms", "group.protocol.type",
	"coordinator.query.interval.ms", "max.poll.interval.ms",
	"enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store",
	"queued.min.messages", "queued.max.messages.kbytes", "fetch.wait.max.ms",
	"fetch.message.max.bytes", "fetch.max.bytes", "fetch.min.bytes",
	"fetch.error.backoff.ms", "isolation.level", "enable.partition.eof",
	"check.crcs", "auto.offset.reset", "consume.callback.max.messages",
	"allow.auto.create.topics", "client.rack",
	NULL
};

static const char *const producer_only[] = {
	"transactional.id", "transaction.timeout.ms", "enable.idempotence",
	"enable.gapless.guarantee", "queue.buffering.max.messages",
	"queue.buffering.max.kbytes", "queue.buffering.max.ms", "linger.ms",
	"message.send.max.retries", "retries", "retry.backoff.ms",
	"queue.buffering.backpressure.threshold", "compression.codec",
	"compression.type", "batch.num.messages", "batch.size",
	"delivery.report.only.error", "sticky.partitioning.linger.ms",
	"acks", "request.required.acks", "request.timeout.ms",
	"message.timeout.ms", "delivery.timeout.ms", "partitioner",
	"compression.level",
	NULL
};

static int
in_list(const char *const *list, const char *key)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, key) == 0)
			return 1;
	}
	return 0;
}

static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	enum log_level lvl;

	if (level <= LOG_ERR)
		lvl = LOG_LVL_ERROR;
	else if (level <= LOG_WARNING)
		lvl = LOG_LVL_WARN;
	else if (level <= LOG_INFO)
		lvl = LOG_LVL_INFO;
	else
		lvl = LOG_LVL_DEBUG;
	log_msg(lvl, "kafka", "%s: %s: %s", rd_kafka_name(rk), fac, buf);
}

void
kafka_conf_must(rd_kafka_conf_t *conf, const char *key, const char *value)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
		log_error("kafka", "internal property %s: %s", key, err);
		abort();
	}
}

rd_kafka_conf_t *
kafka_conf_build(const struct config *cfg, enum kafka_role role, struct diag *d)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	size_t errors = diag_errors(d);
	char err[512];

	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
	/*
	 * One key, one partition, whoever produced it (SPEC section 6): the
	 * Java client and KafkaJS hash keys with murmur2, librdkafka's default
	 * (consistent_random) with CRC32. A [kafka] partitioner, set below,
	 * still wins.
	 */
	if (role == KAFKA_PRODUCER)
		kafka_conf_must(conf, "partitioner", KAFKA_PARTITIONER);
	for (size_t i = 0; i < cfg->nkafka; i++) {
		const struct config_kv *kv = &cfg->kafka[i];

		if (role == KAFKA_PRODUCER && in_list(consumer_only, kv->key))
			continue;
		if (role == KAFKA_CONSUMER && in_list(producer_only, kv->key))
			continue;
		if (rd_kafka_conf_set(conf, kv->key, kv->value, err,
		    sizeof err) == RD_KAFKA_CONF_OK)
			continue;
		if (kv->line > 0)
			diag_add(d, cfg->path, kv->line, "[kafka] %s: %s", kv->key, err);
		else
			diag_add(d, "command line", 0, "-X %s: %s", kv->key, err);
	}
	if (diag_errors(d) > errors) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}
