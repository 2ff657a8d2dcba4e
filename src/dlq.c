/*
 * dlq.c -- writes dead letters, and keeps trying until one is written.
 *
 * A dead letter that cannot be written is not a reason to lose the event:
 * the worker keeps the event in flight (its offset is not stored) and
 * tries again with backoff; only shutdown makes it give up, and then the
 * next run processes the event again. The worker does not wait for the
 * first attempt (dlq_send; pool.c settles it later) and released the key
 * when the stages finished: order per key is about running, and the
 * uncommitted event holds its partition's watermark.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlq.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define DLQ_HEADROOM	4096	/* framing of a dead letter, and our headers */

/*
 * Names dlq_headers() sets; a source header of the same name is dropped.
 * DLQ_H_REPLAY_COUNT is not one of them: a replayed event's count is a
 * source header, kept like the others, so its next dead letter carries it
 * (sipeat-replay's loop guard, SPEC section 9).
 */
static const char *const dlq_names[] = {
	DLQ_H_ERROR, DLQ_H_SOURCE_TOPIC, "sipeat-source-partition",
	"sipeat-source-offset", DLQ_H_TRUNCATED, NULL,
};

int
dlq_header_is_ours(const char *name)
{
	for (const char *const *n = dlq_names; *n != NULL; n++) {
		if (strcmp(*n, name) == 0)
			return 1;
	}
	return 0;
}

/* The source message's headers, or NULL when it has none. */
static rd_kafka_headers_t *
source_headers(const rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *src = NULL;

	if (rd_kafka_message_headers(rkm, &src) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return NULL;
	return src;
}

rd_kafka_headers_t *
dlq_headers(const rd_kafka_message_t *rkm, const char *reason,
    size_t truncated_from)
{
	rd_kafka_headers_t *src = source_headers(rkm), *h;
	const char *name;
	const void *val;
	size_t size;
	char num[24];

	h = rd_kafka_headers_new(src != NULL ? rd_kafka_header_cnt(src) + 5 : 5);
	for (size_t i = 0; src != NULL &&
	    rd_kafka_header_get_all(src, i, &name, &val, &size) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		if (!dlq_header_is_ours(name))
			rd_kafka_header_add(h, name, -1, val, val != NULL ?
			    (ssize_t)size : 0);
	}
	rd_kafka_header_add(h, DLQ_H_ERROR, -1, reason, -1);
	rd_kafka_header_add(h, DLQ_H_SOURCE_TOPIC, -1,
	    rd_kafka_topic_name(rkm->rkt), -1);
	snprintf(num, sizeof num, "%" PRId32, rkm->partition);
	rd_kafka_header_add(h, "sipeat-source-partition", -1, num, -1);
	snprintf(num, sizeof num, "%" PRId64, rkm->offset);
	rd_kafka_header_add(h, "sipeat-source-offset", -1, num, -1);
	if (truncated_from > 0) {
		snprintf(num, sizeof num, "%zu", truncated_from);
		rd_kafka_header_add(h, DLQ_H_TRUNCATED, -1, num, -1);
	}
	return h;
}

/* Bytes of the source headers, names and values. */
static size_t
headers_bytes(const rd_kafka_message_t *rkm)
{
	rd_kafka_headers_t *src = source_headers(rkm);
	const char *name;
	const void *val;
	size_t size, n = 0;

	for (size_t i = 0; src != NULL &&
	    rd_kafka_header_get_all(src, i, &name, &val, &size) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		n += strlen(name) + size + 8;
	return n;
}

static int
stopped(struct stopflag *stopping, int64_t deadline_ms)
{
	return stop_flag_get(stopping) ||
	    (deadline_ms > 0 && now_ms() >= deadline_ms);
}

/*
 * The dead letter's value: rkm's, a tombstone's as empty, not null (SPEC
 * section 2). Sets *len, and *truncated_from (else 0) when it was cut.
 */
static const void *
dlq_value(const rd_kafka_message_t *rkm, size_t max_bytes, size_t *len,
    size_t *truncated_from)
{
	size_t room = DLQ_HEADROOM + rkm->key_len + headers_bytes(rkm);

	*len = rkm->payload != NULL ? rkm->len : 0;
	*truncated_from = 0;
	/*
	 * An event invalid for its size would be refused by the producer
	 * too: keep what fits (leaving room for key and headers) and say how
	 * long it was, rather than lose the dead letter.
	 */
	if (*len + room > max_bytes) {
		size_t cut = max_bytes > 2 * room ? max_bytes - room : max_bytes / 2;

		if (cut < *len) {
			*truncated_from = *len;
			*len = cut;
		}
	}
	return rkm->payload != NULL ? rkm->payload : "";
}

struct delivery *
dlq_send(struct producer *p, const char *topic, size_t max_bytes,
    const rd_kafka_message_t *rkm, const char *reason, char *err, size_t errsz)
{
	size_t len, truncated_from;
	const void *value = dlq_value(rkm, max_bytes, &len, &truncated_from);

	return producer_send_start(p, topic, rkm->key, rkm->key_len, value,
	    len, dlq_headers(rkm, reason, truncated_from), 0, NULL, err, errsz);
}

int
dlq_write(struct producer *p, const char *topic, size_t max_bytes,
    const rd_kafka_message_t *rkm, const char *reason, const char *what,
    int64_t deadline_ms, struct stopflag *stopping)
{
	size_t len, truncated_from;
	const void *value = dlq_value(rkm, max_bytes, &len, &truncated_from);
	int64_t backoff = DLQ_BACKOFF_MIN_MS;
	char err[512];

	for (int attempt = 1;; attempt++) {
		if (producer_send_until(p, topic, rkm->key, rkm->key_len, value,
		    len, dlq_headers(rkm, reason, truncated_from), deadline_ms,
		    stopping, err, sizeof err) == 0) {
			metrics_inc(M_DLQ_PRODUCED);
			if (attempt > 1)
				log_info("dlq", "%s: dead letter written at attempt %d",
				    what, attempt);
			return 0;
		}
		metrics_inc(M_DLQ_ERRORS);
		if (stopped(stopping, deadline_ms)) {
			log_warn("dlq", "%s: dead letter not written (%s); shutdown "
			    "leaves the event uncommitted for the next run", what, err);
			return -1;
		}
		log_error("dlq", "%s: dead-letter write failed (attempt %d, next in "
		    "%" PRId64 " ms; the event stays uncommitted): %s", what,
		    attempt, backoff, err);
		for (int64_t until = now_ms() + backoff; now_ms() < until;) {
			if (stopped(stopping, deadline_ms)) {
				log_warn("dlq", "%s: shutdown: dead letter not written; "
				    "the event is left uncommitted for the next run",
				    what);
				return -1;
			}
			sleep_ms(until - now_ms() < 50 ? until - now_ms() : 50);
		}
		backoff = backoff * 2 > DLQ_BACKOFF_MAX_MS ? DLQ_BACKOFF_MAX_MS :
		    backoff * 2;
	}
}
