/*
 * consumer-int.h -- the consumer thread's state, shared by consumer.c (the
 * loop, flow control, rebalances), consumer-phase.c (the shutdown
 * handshake with main and the drain and close steps) and consumer-cb.c
 * (librdkafka's error and statistics callbacks, and error messages). Not
 * for other modules: they use consumer.h.
 *
 * Threads: every function here runs on the consumer thread only (librdkafka
 * calls error_cb and stats_cb from rd_kafka_consumer_poll()); stop, abort,
 * deadline, cut and request are the atomics main writes (consumer.h), phase
 * and evfd how the thread answers it (consumer-phase.c).
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

/* The shutdown's two steps, asked by main and answered by the thread. */
enum { REQ_DRAIN = 1, REQ_CLOSE = 2 };
enum { PHASE_DRAINED = 1, PHASE_CLOSED = 2 };

struct consumer {
	struct consumer_opts	 o;
	rd_kafka_t		*rk;
	rd_kafka_queue_t	*msgq;		/* every assigned partition's messages */
	pthread_t		 thread;
	int			 started;
	_Atomic int		 stop;
	_Atomic int		 abort;		/* second signal: stop at once */
	_Atomic int64_t		 deadline;	/* of the whole shutdown; 0: none yet */
	_Atomic int64_t		 cut;		/* consumer_drain(): running events end by then */
	_Atomic int		 request;	/* main's: REQ_DRAIN, then REQ_CLOSE */
	_Atomic int		 phase;		/* the thread's: PHASE_DRAINED, PHASE_CLOSED */
	int			 evfd;		/* eventfd written at each phase */
	long			 left;		/* in flight when the drain ended */
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

/* consumer.c, for consumer-phase.c: */
/* Stores the watermark of every partition whose watermark moved. */
void	consumer_store_offsets(struct consumer *c);
/*
 * Stores the watermarks and commits them synchronously, unless the
 * assignment was lost; a failure is logged as what.
 */
void	consumer_commit(struct consumer *c, const char *what);
/* Takes the workers' completions and marks them; returns how many. */
size_t	consumer_take_completions(struct consumer *c);
/* Serves the group queue (callbacks) for up to timeout ms. */
void	consumer_serve(struct consumer *c, int timeout);
/* Pauses (pause 1) or resumes the whole assignment. */
void	consumer_pause_all(struct consumer *c, int pause);

/* consumer-phase.c: the thread's shutdown, once its loop ended. */
void	consumer_shutdown(struct consumer *c);

/* librdkafka's error_cb: brokers down, fatal errors, the rest logged. */
void	consumer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque);
/* librdkafka's stats_cb: consumer lag for /metrics, a broker up again. */
int	consumer_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque);
/* A message that carries an error (end of partition, group errors...). */
void	consumer_handle_error(struct consumer *c, const rd_kafka_message_t *rkm);

#endif
