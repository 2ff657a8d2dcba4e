/*
 * consumer-int.h -- the consumer thread's state, shared by consumer.c (the
 * loop, flow control, rebalances, shutdown) and consumer-cb.c (librdkafka's
 * error and statistics callbacks, and error messages). Not for other
 * modules: they use consumer.h.
 *
 * Threads: every function here runs on the consumer thread only (librdkafka
 * calls error_cb and stats_cb from rd_kafka_consumer_poll()); stop, abort
 * and deadline are the atomics other threads write (consumer.h).
 */
#ifndef SIPEAT_CONSUMER_INT_H
#define SIPEAT_CONSUMER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "consumer.h"
#include "ledger.h"
#include "pending.h"

struct consumer {
	struct consumer_opts	 o;
	rd_kafka_t		*rk;
	rd_kafka_queue_t	*msgq;		/* every assigned partition's messages */
	pthread_t		 thread;
	int			 started;
	_Atomic int		 stop;
	_Atomic int		 abort;		/* second signal: stop at once */
	_Atomic int64_t		 deadline;	/* of the whole shutdown; 0: none yet */
	int			 result;	/* exit status of the thread */

	struct ledger		 ledger;	/* partitions, generations, in flight */
	struct pending		 pending;	/* admitted, waiting for queue room */
	size_t			 max_inflight;
	int			 paused;
	unsigned long		 pauses;	/* hot key at max.inflight, reported at exit */
	int			 stopping;	/* draining: no new messages */
	int			 ever_assigned;
	int64_t			 brokers_down_since;	/* 0: not down */
	int64_t			 started_ms;
	int64_t			 stored_ms;
	enum ordering		 ordering;
};

/* librdkafka's error_cb: brokers down, fatal errors, the rest logged. */
void	consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque);
/* librdkafka's stats_cb: consumer lag for /metrics, a broker up again. */
int	consumer_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque);
/* A message that carries an error (end of partition, group errors...). */
void	consumer_handle_error(struct consumer *c, const rd_kafka_message_t *rkm);

#endif
