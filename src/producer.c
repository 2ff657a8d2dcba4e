/*
 * producer.c -- one librdkafka producer for the whole daemon.
 *
 * Design: librdkafka serves delivery reports from rd_kafka_poll(); one
 * small thread ("sipeatd-dr") polls, and each send waits on its own
 * struct delivery. The struct is shared by the sender and the report
 * callback and freed by whichever lets go last (a reference count), so a
 * sender may stop waiting -- its timeout passed, or the daemon is stopping
 * -- while the record is still on its way; the late report then only
 * frees the struct.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "diag.h"
#include "kafka.h"
#include "log.h"
#include "producer.h"

struct producer {
	rd_kafka_t	*rk;
	pthread_t	 thread;
	_Atomic int	 stop;
};

struct delivery {
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	int			done;
	int			refs;	/* sender + report callback */
	rd_kafka_resp_err_t	err;
};

/* Drops one reference; the caller holds dv->lock, which this releases. */
static void
delivery_unref_locked(struct delivery *dv)
{
	int left = --dv->refs;

	pthread_mutex_unlock(&dv->lock);
	if (left == 0) {
		pthread_cond_destroy(&dv->cond);
		pthread_mutex_destroy(&dv->lock);
		free(dv);
	}
}

static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	struct delivery *dv = rkm->_private;

	if (dv == NULL)
		return;
	pthread_mutex_lock(&dv->lock);
	dv->err = rkm->err;
	dv->done = 1;
	pthread_cond_signal(&dv->cond);
	delivery_unref_locked(dv);
}

static void *
producer_main(void *arg)
{
	struct producer *p = arg;

	pthread_setname_np(pthread_self(), "sipeatd-dr");
	while (!atomic_load(&p->stop))
		rd_kafka_poll(p->rk, 100);
	return NULL;
}

struct producer *
producer_create(const struct config *cfg, char *err, size_t errsz)
{
	struct diag d = { 0 };
	rd_kafka_conf_t *conf;
	struct producer *p;
	int rc;

	conf = kafka_conf_build(cfg, KAFKA_PRODUCER, &d);
	if (conf == NULL) {
		snprintf(err, errsz, "%s", d.n > 0 ? d.msgs[0] : "bad configuration");
		diag_free(&d);
		return NULL;
	}
	diag_free(&d);
	/* Without an explicit bound a report could take librdkafka's 300 s. */
	if (config_kafka(cfg, "message.timeout.ms") == NULL &&
	    config_kafka(cfg, "delivery.timeout.ms") == NULL)
		kafka_conf_must(conf, "message.timeout.ms", "30000");
	kafka_conf_must(conf, "client.id", "sipeatd-producer");
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);

	p = xcalloc(1, sizeof *p);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errsz);
	if (p->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		free(p);
		return NULL;
	}
	rc = pthread_create(&p->thread, NULL, producer_main, p);
	if (rc != 0) {
		snprintf(err, errsz, "pthread_create: %s", strerror(rc));
		rd_kafka_destroy(p->rk);
		free(p);
		return NULL;
	}
	return p;
}

int
producer_send(struct producer *p, const char *topic, const void *key,
    size_t keylen, const void *value, size_t len,
    const struct producer_header *hdrs, size_t nhdrs, char *err, size_t errsz)
{
	return producer_send_timed(p, topic, key, keylen, value, len, hdrs,
	    nhdrs, 0, NULL, err, errsz);
}

int
producer_send_timed(struct producer *p, const char *topic, const void *key,
    size_t keylen, const void *value, size_t len,
    const struct producer_header *hdrs, size_t nhdrs, int timeout_ms,
    volatile int *stopping, char *err, size_t errsz)
{
	struct delivery *dv = xcalloc(1, sizeof *dv);
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t rerr;
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : INT64_MAX;
	int rc = -1;

	pthread_mutex_init(&dv->lock, NULL);
	pthread_cond_init(&dv->cond, NULL);
	dv->refs = 1;
	if (nhdrs > 0) {
		h = rd_kafka_headers_new(nhdrs);
		for (size_t i = 0; i < nhdrs; i++)
			rd_kafka_header_add(h, hdrs[i].name, -1, hdrs[i].value, -1);
	}
	for (;;) {
		rerr = rd_kafka_producev(p->rk,
		    RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY(key, keylen),
		    RD_KAFKA_V_VALUE((void *)value, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_HEADERS(h),
		    RD_KAFKA_V_OPAQUE(dv),
		    RD_KAFKA_V_END);
		if (rerr != RD_KAFKA_RESP_ERR__QUEUE_FULL || now_ms() >= deadline)
			break;
		/* The local queue is full: the report thread drains it. */
		sleep_ms(10);
	}
	pthread_mutex_lock(&dv->lock);
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* On failure the headers were not handed over. */
		if (h != NULL)
			rd_kafka_headers_destroy(h);
		snprintf(err, errsz, "produce to %s: %s", topic, rd_kafka_err2str(rerr));
		goto out;
	}
	dv->refs++;	/* the report callback's */
	while (!dv->done) {
		int64_t now = now_ms(), wake = now + 100;
		struct timespec ts;

		if (now >= deadline || (stopping != NULL &&
		    __atomic_load_n(stopping, __ATOMIC_ACQUIRE))) {
			snprintf(err, errsz, now >= deadline ?
			    "no delivery report for %s within %d ms" :
			    "stopped waiting for the delivery report for %s (shutdown)",
			    topic, timeout_ms);
			goto out;
		}
		if (wake > deadline)
			wake = deadline;
		/* Short slices: the stop flag is not a condition variable. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (wake - now) / 1000;
		ts.tv_nsec += ((wake - now) % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&dv->cond, &dv->lock, &ts);
	}
	if (dv->err != RD_KAFKA_RESP_ERR_NO_ERROR)
		snprintf(err, errsz, "delivery to %s: %s", topic, rd_kafka_err2str(dv->err));
	else
		rc = 0;
out:
	delivery_unref_locked(dv);
	return rc;
}

void
producer_destroy(struct producer *p, int timeout_ms)
{
	if (p == NULL)
		return;
	if (rd_kafka_flush(p->rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("producer", "%d records not delivered at exit",
		    rd_kafka_outq_len(p->rk));
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	rd_kafka_destroy(p->rk);
	free(p);
}
