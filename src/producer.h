/*
 * producer.h -- the daemon's one Kafka producer (librdkafka producers are
 * thread-safe), used by every worker for the dead-letter topic and the
 * kafka stage. A send waits for its own delivery report, so a caller knows
 * the record is durable before the event's offset may be committed.
 *
 * Everything the producer produces uses the murmur2_random partitioner
 * unless [kafka] partitioner says otherwise (kafka.c, SPEC section 6).
 *
 * Waits are bounded: every send and flush takes a deadline and a stop flag
 * (struct stopflag *, NULL: none) and returns soon after either, so that
 * shutdown (SPEC section 5) is never held up by a broker that is down.
 *
 * Threads:
 *   producer_create, producer_destroy: main
 *   producer_send_timed, producer_send_until, producer_send_start,
 *   producer_delivery_*, producer_prepare, producer_flush: any
 *   (workers: the dead-letter topic and kafka stages)
 */
#ifndef SIPEAT_PRODUCER_H
#define SIPEAT_PRODUCER_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

struct stopflag;		/* util.h */

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
 * Produces one record and waits for its delivery report, at most
 * timeout_ms (<= 0: until the report, which message.timeout.ms bounds)
 * and no longer once stopping is set. Returns 0, or -1 with err. On a
 * timeout or stop the record may still be delivered later; the caller
 * treats it as a transient failure. Any thread.
 */
int		 producer_send_timed(struct producer *p, const char *topic,
		     const void *key, size_t keylen, const void *value, size_t len,
		     const struct producer_header *hdrs, size_t nhdrs, int timeout_ms,
		     struct stopflag *stopping, char *err, size_t errsz);
/*
 * The same with the headers already made (h may be NULL; it is taken over
 * in every case) and an absolute deadline on now_ms()'s clock (0: none).
 * A NULL value is a tombstone; an empty value is value "" with len 0.
 */
int		 producer_send_until(struct producer *p, const char *topic,
		     const void *key, size_t keylen, const void *value, size_t len,
		     rd_kafka_headers_t *h, int64_t deadline_ms,
		     struct stopflag *stopping, char *err, size_t errsz);
/*
 * The same in two steps, so a caller can go on while the record travels:
 * producer_send_start() queues it (waiting, until deadline_ms or stopping,
 * only while librdkafka's queue is full) and returns its delivery, NULL
 * with err when it was not queued (h is taken over in every case);
 * producer_delivery_done() says whether its report came; producer_delivery_wait()
 * waits for it until deadline_ms (0: none) or stopping and returns 0
 * (delivered), -1 (failed, err) or 1 (still on its way, err says why the
 * wait ended); producer_delivery_release() lets go of it, done or not (a
 * late report then only frees it). Any thread; one delivery is the
 * sender's alone.
 */
struct delivery;
struct delivery	*producer_send_start(struct producer *p, const char *topic,
		     const void *key, size_t keylen, const void *value, size_t len,
		     rd_kafka_headers_t *h, int64_t deadline_ms,
		     struct stopflag *stopping, char *err, size_t errsz);
int		 producer_delivery_done(struct delivery *dv);
int		 producer_delivery_wait(struct delivery *dv, const char *topic,
		     int64_t deadline_ms, struct stopflag *stopping, char *err,
		     size_t errsz);
void		 producer_delivery_release(struct delivery *dv);
/*
 * Looks the topic's partitions and leaders up now, in the background, so
 * the first record sent to it does not wait for that (a few topics per
 * producer; more are ignored). Never blocks. Any thread.
 */
void		 producer_prepare(struct producer *p, const char *topic);
/*
 * Waits until every record produced so far has its delivery report, until
 * deadline_ms (now_ms()'s clock; 0: none) or until stopping is set.
 * Returns how many records are still undelivered (0: all done).
 */
int		 producer_flush(struct producer *p, int64_t deadline_ms,
		     struct stopflag *stopping);
/*
 * Flushes for at most timeout_ms (0: what is already acknowledged), purges
 * what is left (counted in the log: its senders already gave up), stops
 * the report thread and destroys. NULL is a no-op.
 */
void		 producer_destroy(struct producer *p, int timeout_ms);

#endif
