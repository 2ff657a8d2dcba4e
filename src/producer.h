/*
 * producer.h -- the daemon's one Kafka producer (librdkafka producers are
 * thread-safe), used by every worker for the dead-letter topic and, later,
 * the kafka stage. A send waits for its own delivery report, so a caller
 * knows the record is durable before the event's offset may be committed.
 */
#ifndef SIPEAT_PRODUCER_H
#define SIPEAT_PRODUCER_H

#include <stddef.h>

#include "config.h"

struct producer;

struct producer_header {
	const char	*name;
	const char	*value;
};

/*
 * Creates the producer from cfg's [kafka] properties (consumer-only ones are
 * left out) and starts its delivery-report thread. NULL with err on failure.
 */
struct producer	*producer_create(const struct config *cfg, char *err, size_t errsz);
/*
 * Produces one record and waits for its delivery report (bounded by the
 * producer's message.timeout.ms). Returns 0, or -1 with err. Any thread.
 */
int		 producer_send(struct producer *p, const char *topic,
		     const void *key, size_t keylen, const void *value, size_t len,
		     const struct producer_header *hdrs, size_t nhdrs,
		     char *err, size_t errsz);
/*
 * The same, waiting at most timeout_ms (<= 0: until the report) and no
 * longer once *stopping is set (NULL: never). On a timeout the record may
 * still be delivered later; the caller treats it as a transient failure.
 */
int		 producer_send_timed(struct producer *p, const char *topic,
		     const void *key, size_t keylen, const void *value, size_t len,
		     const struct producer_header *hdrs, size_t nhdrs, int timeout_ms,
		     volatile int *stopping, char *err, size_t errsz);
/* Flushes (bounded by timeout_ms), stops the report thread, destroys. */
void		 producer_destroy(struct producer *p, int timeout_ms);

#endif
