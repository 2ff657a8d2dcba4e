/*
 * dlq.h -- dead letters (SPEC section 6). A failed event is written to the
 * dead-letter topic with its key and value (a tombstone's value as empty,
 * never null), every header of the source message, and the sipeat-error,
 * sipeat-source-topic, sipeat-source-partition and sipeat-source-offset
 * headers (plus sipeat-truncated when the value had to be cut). The event
 * may only be committed once the broker acknowledged its dead letter.
 * Being a source header, a replayed event's sipeat-replay-count (written
 * by sipeat-replay, SPEC section 9) is copied into its new dead letter.
 *
 * Threads: dlq_headers, dlq_send, dlq_write: workers, each with its own
 * message; dlq_header_is_ours: any (pure).
 */
#ifndef SIPEAT_DLQ_H
#define SIPEAT_DLQ_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "producer.h"

#define DLQ_BACKOFF_MIN_MS	100	/* wait after the first failed write */
#define DLQ_BACKOFF_MAX_MS	5000	/* doubling up to this */

/* Header names of a dead letter (the four of SPEC section 6, and more). */
#define DLQ_H_ERROR		"sipeat-error"
#define DLQ_H_SOURCE_TOPIC	"sipeat-source-topic"
#define DLQ_H_TRUNCATED		"sipeat-truncated"
/* How often sipeat-replay replayed the event; kept from the source. */
#define DLQ_H_REPLAY_COUNT	"sipeat-replay-count"

/*
 * 1 if name is one of the headers dlq_headers() adds (sipeat-error,
 * sipeat-source-topic, -partition, -offset, sipeat-truncated), else 0.
 */
int			 dlq_header_is_ours(const char *name);

/*
 * The dead letter's headers for rkm: the source message's, in order,
 * without any of the sipeat-* names added here, then those. truncated_from
 * > 0 adds sipeat-truncated (the original value length). Caller owns it.
 */
rd_kafka_headers_t	*dlq_headers(const rd_kafka_message_t *rkm, const char *reason,
			     size_t truncated_from);
/*
 * Writes rkm's dead letter to topic, retrying every failure (a broker
 * down longer than message.timeout.ms, a topic missing...) after
 * DLQ_BACKOFF_MIN_MS, doubling to DLQ_BACKOFF_MAX_MS, until the broker
 * acknowledges it. Each failed attempt is logged (as what, e.g.
 * "TOPIC/PARTITION/OFFSET") and counted in sipeatd_dlq_errors_total.
 * Returns 0 once written; -1 once stopping is set (NULL: never) or
 * deadline_ms (now_ms()'s clock; 0: none) passed, and the event must then
 * stay uncommitted. max_bytes is the producer's message.max.bytes: a
 * longer value is cut to fit. Any worker thread.
 */
/*
 * The first attempt of dlq_write() without waiting for it: queues rkm's
 * dead letter and returns its delivery (producer.h), or NULL with err.
 * The caller waits for it or lets it go, and on a failure calls
 * dlq_write(), which retries until it is written. Any worker thread.
 */
struct delivery		*dlq_send(struct producer *p, const char *topic,
			     size_t max_bytes, const rd_kafka_message_t *rkm,
			     const char *reason, char *err, size_t errsz);
int			 dlq_write(struct producer *p, const char *topic,
			     size_t max_bytes, const rd_kafka_message_t *rkm,
			     const char *reason, const char *what, int64_t deadline_ms,
			     struct stopflag *stopping);

#endif
