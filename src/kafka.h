/*
 * kafka.h -- librdkafka configuration shared by the consumer and the
 * producer: the [kafka] section and -X properties pass through
 * rd_kafka_conf_set(), which validates and explains; a bad one is reported
 * as FILE:LINE (or "command line"). librdkafka's own log lines are routed
 * into log.c.
 *
 * Threads: main, building the consumer's and the producer's handles
 * before their threads start.
 */
#ifndef SIPEAT_KAFKA_H
#define SIPEAT_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "diag.h"

/* The partitioner of everything sipeatd and its tools produce. */
#define KAFKA_PARTITIONER	"murmur2_random"

enum kafka_role {
	KAFKA_CONSUMER,
	KAFKA_PRODUCER,
};

/*
 * A new librdkafka conf with cfg's properties for role (consumer-only
 * properties are left out of a producer's conf, and the other way round)
 * and the log callback set; a producer's partitioner is KAFKA_PARTITIONER
 * unless cfg names one. Problems are appended to d; returns NULL if any.
 */
rd_kafka_conf_t	*kafka_conf_build(const struct config *cfg, enum kafka_role role,
		     struct diag *d);
/* Sets one property that sipeatd itself needs; aborts on failure (a bug). */
void		 kafka_conf_must(rd_kafka_conf_t *conf, const char *key, const char *value);

#endif
