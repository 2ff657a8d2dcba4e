/*
 * producer.c -- one librdkafka producer for the whole daemon.
 *
 * Design: librdkafka serves delivery reports from rd_kafka_poll(); one
 * small thread ("sipeatd-dr") polls, and each producer_send() waits on its
 * own mutex/condvar pair that lives on the sender's stack. The report always
 * arrives (librdkafka fails a record after message.timeout.ms at the
 * latest), so the waiter never leaves before its report has been written:
 * the stack frame outlives every use of it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	rd_kafka_resp_err_t	err;
};

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
	pthread_mutex_unlock(&dv->lock);
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
	struct delivery dv = { .done = 0 };
	rd_kafka_headers_t *h = NULL;
	rd_kafka_resp_err_t rerr;

	pthread_mutex_init(&dv.lock, NULL);
	pthread_cond_init(&dv.cond, NULL);
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
		    RD_KAFKA_V_OPAQUE(&dv),
		    RD_KAFKA_V_END);
		if (rerr != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		/* The local queue is full: the report thread drains it. */
		sleep_ms(10);
	}
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		/* On failure the headers were not handed over. */
		if (h != NULL)
			rd_kafka_headers_destroy(h);
		snprintf(err, errsz, "produce to %s: %s", topic, rd_kafka_err2str(rerr));
		goto out;
	}
	pthread_mutex_lock(&dv.lock);
	while (!dv.done)
		pthread_cond_wait(&dv.cond, &dv.lock);
	pthread_mutex_unlock(&dv.lock);
	rerr = dv.err;
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR)
		snprintf(err, errsz, "delivery to %s: %s", topic, rd_kafka_err2str(rerr));
out:
	pthread_cond_destroy(&dv.cond);
	pthread_mutex_destroy(&dv.lock);
	return rerr == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
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
