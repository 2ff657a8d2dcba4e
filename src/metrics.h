/*
 * metrics.h -- process-wide counters, plain atomics that any thread bumps
 * without a lock. The Prometheus endpoint (a later issue) reads them; for
 * now sipeatd logs a summary at exit and tests read that line.
 */
#ifndef SIPEAT_METRICS_H
#define SIPEAT_METRICS_H

#include <stdatomic.h>

struct metrics {
	_Atomic unsigned long	events_ok;
	_Atomic unsigned long	events_failed;		/* a stage failed */
	_Atomic unsigned long	events_invalid;		/* SPEC section 2 "invalid" */
	_Atomic unsigned long	dlq_produced;
	_Atomic unsigned long	dlq_errors;
	_Atomic unsigned long	embeds_sent;		/* in a payload handed to output */
	_Atomic unsigned long	embeds_digested;	/* folded into a digest */
	_Atomic unsigned long	payloads;		/* webhook messages built */
	_Atomic long		inflight;		/* received, not yet completed */
	_Atomic long		queue_depth;
};

extern struct metrics metrics;

#define METRIC_INC(name)	atomic_fetch_add_explicit(&metrics.name, 1, memory_order_relaxed)
#define METRIC_ADD(name, n)	atomic_fetch_add_explicit(&metrics.name, (n), memory_order_relaxed)
#define METRIC_SET(name, v)	atomic_store_explicit(&metrics.name, (v), memory_order_relaxed)
#define METRIC_GET(name)	atomic_load_explicit(&metrics.name, memory_order_relaxed)

#endif
