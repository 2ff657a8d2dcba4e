/*
 * producer.c -- one librdkafka producer for the whole daemon.
 *
 * Design: librdkafka serves delivery reports from rd_kafka_poll(); one
 * small thread ("sipeatd-dr") polls, and each send waits on its own
 * struct delivery. The struct is shared by the sender and the report
 * callback and freed by whichever lets go last (a reference count), so a
 * sender may stop waiting -- its timeout passed, or the daemon is stopping
 * -- while the record is still on its way; the late report then only
 * frees the struct. Both references are taken before the record is
 * handed to librdkafka: its report may come before producev() returns.
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

#define PRODUCER_PREPARED_MAX	4

struct producer {
	rd_kafka_t		*rk;
	pthread_t		 thread;
	struct stopflag		 stop;
	pthread_mutex_t		 lock;		/* prepared, nprepared */
	rd_kafka_topic_t	*prepared[PRODUCER_PREPARED_MAX];
	size_t			 nprepared;
};

struct delivery {
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	_Atomic int		done;		/* set under lock; read without by _done() */
	int			refs;	/* sender + report callback */
	rd_kafka_resp_err_t	err;
};

/*
 * A delivery with both references taken: the report callback may run on
 * the report thread as soon as rd_kafka_producev() has queued the record,
 * before the sender gets the lock back.
 */
static struct delivery *
delivery_new(void)
{
	struct delivery *dv = xcalloc(1, sizeof *dv);

	pthread_mutex_init(&dv->lock, NULL);
	pthread_cond_init(&dv->cond, NULL);
	dv->refs = 2;
	return dv;
}

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
	atomic_store_explicit(&dv->done, 1, memory_order_release);
	pthread_cond_signal(&dv->cond);
	delivery_unref_locked(dv);
}

static void *
producer_main(void *arg)
{
	struct producer *p = arg;

	pthread_setname_np(pthread_self(), "sipeatd-dr");
	while (!stop_flag_get(&p->stop))
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
	pthread_mutex_init(&p->lock, NULL);
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
producer_send_timed(struct producer *p, const char *topic, const void *key,
    size_t keylen, const void *value, size_t len,
    const struct producer_header *hdrs, size_t nhdrs, int timeout_ms,
    struct stopflag *stopping, char *err, size_t errsz)
{
	rd_kafka_headers_t *h = NULL;

	if (nhdrs > 0) {
		h = rd_kafka_headers_new(nhdrs);
		for (size_t i = 0; i < nhdrs; i++)
			rd_kafka_header_add(h, hdrs[i].name, -1, hdrs[i].value, -1);
	}
	return producer_send_until(p, topic, key, keylen, value, len, h,
	    timeout_ms > 0 ? now_ms() + timeout_ms : 0, stopping, err, errsz);
}

static int
stopped(struct stopflag *stopping)
{
	return stop_flag_get(stopping);
}

struct delivery *
producer_send_start(struct producer *p, const char *topic, const void *key,
    size_t keylen, const void *value, size_t len, rd_kafka_headers_t *h,
    int64_t deadline_ms, struct stopflag *stopping, char *err, size_t errsz)
{
	struct delivery *dv = delivery_new();
	rd_kafka_resp_err_t rerr;
	int64_t deadline = deadline_ms > 0 ? deadline_ms : INT64_MAX;
	rd_kafka_error_t *error;
	rd_kafka_vu_t vu[6];
	size_t nvu = 0;

	vu[nvu].vtype = RD_KAFKA_VTYPE_TOPIC;
	vu[nvu++].u.cstr = topic;
	vu[nvu].vtype = RD_KAFKA_VTYPE_KEY;
	vu[nvu].u.mem.ptr = (void *)key;
	vu[nvu++].u.mem.size = keylen;
	vu[nvu].vtype = RD_KAFKA_VTYPE_VALUE;
	vu[nvu].u.mem.ptr = (void *)value;
	vu[nvu++].u.mem.size = len;
	vu[nvu].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
	vu[nvu++].u.i = RD_KAFKA_MSG_F_COPY;
	vu[nvu].vtype = RD_KAFKA_VTYPE_OPAQUE;
	vu[nvu++].u.ptr = dv;
	if (h != NULL) {
		vu[nvu].vtype = RD_KAFKA_VTYPE_HEADERS;
		vu[nvu++].u.headers = h;
	}
	for (;;) {
		/* The array form: the same as rd_kafka_producev(). */
		error = rd_kafka_produceva(p->rk, vu, nvu);
		rerr = RD_KAFKA_RESP_ERR_NO_ERROR;
		if (error != NULL) {
			rerr = rd_kafka_error_code(error);
			rd_kafka_error_destroy(error);
		}
		if (rerr != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
		    now_ms() >= deadline || stopped(stopping))
			break;
		/* The local queue is full: the report thread drains it. */
		sleep_ms(10);
	}
	if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR)
		return dv;
	/* Not queued: no report will come, and h was not taken. */
	if (h != NULL)
		rd_kafka_headers_destroy(h);
	snprintf(err, errsz, "produce to %s: %s", topic, rd_kafka_err2str(rerr));
	pthread_mutex_lock(&dv->lock);
	dv->refs--;
	delivery_unref_locked(dv);
	return NULL;
}

int
producer_delivery_wait(struct delivery *dv, const char *topic,
    int64_t deadline_ms, struct stopflag *stopping, char *err, size_t errsz)
{
	int64_t deadline = deadline_ms > 0 ? deadline_ms : INT64_MAX;
	int rc;

	pthread_mutex_lock(&dv->lock);
	while (!dv->done) {
		int64_t now = now_ms(), wake = now + 100;
		struct timespec ts;

		if (now >= deadline || stopped(stopping)) {
			if (now >= deadline)
				snprintf(err, errsz, "no delivery report for %s "
				    "before the deadline", topic);
			else
				snprintf(err, errsz, "stopped waiting for the "
				    "delivery report for %s (shutdown)", topic);
			pthread_mutex_unlock(&dv->lock);
			return 1;
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
	rc = 0;
	if (dv->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errsz, "delivery to %s: %s", topic, rd_kafka_err2str(dv->err));
		rc = -1;
	}
	pthread_mutex_unlock(&dv->lock);
	return rc;
}

int
producer_delivery_done(struct delivery *dv)
{
	/* Acquire: err, written before done, is seen too. */
	return atomic_load_explicit(&dv->done, memory_order_acquire);
}

void
producer_delivery_release(struct delivery *dv)
{
	pthread_mutex_lock(&dv->lock);
	delivery_unref_locked(dv);
}

int
producer_send_until(struct producer *p, const char *topic, const void *key,
    size_t keylen, const void *value, size_t len, rd_kafka_headers_t *h,
    int64_t deadline_ms, struct stopflag *stopping, char *err, size_t errsz)
{
	struct delivery *dv;
	int rc;

	dv = producer_send_start(p, topic, key, keylen, value, len, h,
	    deadline_ms, stopping, err, errsz);
	if (dv == NULL)
		return -1;
	rc = producer_delivery_wait(dv, topic, deadline_ms, stopping, err, errsz);
	producer_delivery_release(dv);
	return rc == 0 ? 0 : -1;
}

void
producer_prepare(struct producer *p, const char *topic)
{
	rd_kafka_topic_t *rkt;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nprepared; i++) {
		if (strcmp(rd_kafka_topic_name(p->prepared[i]), topic) == 0) {
			pthread_mutex_unlock(&p->lock);
			return;
		}
	}
	/* A new topic handle queries its leader at once (asynchronously). */
	if (p->nprepared < PRODUCER_PREPARED_MAX &&
	    (rkt = rd_kafka_topic_new(p->rk, topic, NULL)) != NULL)
		p->prepared[p->nprepared++] = rkt;
	pthread_mutex_unlock(&p->lock);
}

int
producer_flush(struct producer *p, int64_t deadline_ms, struct stopflag *stopping)
{
	int64_t deadline = deadline_ms > 0 ? deadline_ms : INT64_MAX;

	/* Slices of 100 ms: the stop flag is looked at between them. */
	for (;;) {
		int64_t left = deadline - now_ms();

		if (rd_kafka_flush(p->rk, left <= 0 ? 0 : left > 100 ? 100 :
		    (int)left) == RD_KAFKA_RESP_ERR_NO_ERROR)
			return 0;
		if (left <= 0 || stopped(stopping))
			return rd_kafka_outq_len(p->rk);
	}
}

void
producer_destroy(struct producer *p, int timeout_ms)
{
	int left;

	if (p == NULL)
		return;
	left = producer_flush(p, now_ms() + (timeout_ms > 0 ? timeout_ms : 0), NULL);
	if (left > 0) {
		log_warn("producer", "%d records not delivered at exit", left);
		/*
		 * Purged records get their reports (ERR__PURGE_*), so the
		 * delivery structs of senders that gave up are freed.
		 */
		rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(p->rk, 500);
	}
	stop_flag_set(&p->stop);
	pthread_join(p->thread, NULL);
	/* Application topic handles go before their rd_kafka_t. */
	for (size_t i = 0; i < p->nprepared; i++)
		rd_kafka_topic_destroy(p->prepared[i]);
	rd_kafka_destroy(p->rk);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
