/*
 * notify.h -- the notifier thread: takes finished embeds from the workers,
 * packs them into webhook payloads (at most 10 embeds and 6000 characters
 * each) and hands each payload to its output. In this release the output is
 * stdout (--dry-run: one JSON line per payload) or a debug log line; the
 * Discord HTTP sender is a later issue.
 *
 * Workers never wait for it: the hand-over is a non-blocking push into a
 * bounded queue; when that queue is full the event is counted into a digest
 * ("📊 N events processed") instead, so nothing is lost uncounted.
 */
#ifndef SIPEAT_NOTIFY_H
#define SIPEAT_NOTIFY_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

struct notifier_opts {
	int		 dry_run;	/* print payloads to out */
	FILE		*out;		/* stdout */
	const char	*username;	/* NULL: omitted */
	const char	*avatar_url;	/* NULL: omitted */
	int		 linger_ms;	/* oldest waiting embed is sent after this */
	size_t		 queue_size;	/* embeds waiting, rounded up to a power of two */
};

struct notifier;

struct notifier	*notifier_create(const struct notifier_opts *o);
/* Starts the thread ("sipeatd-notify"). 0 or -1. */
int		 notifier_start(struct notifier *n);
/*
 * Hands one embed over: embed_json is the embed serialized as compact JSON
 * (by the worker, in parallel; ownership passes to the notifier), chars its
 * Discord character count. Never blocks. Any thread.
 */
void		 notifier_submit(struct notifier *n, char *embed_json, size_t chars,
		     const char *type, int success);
/* 1 when every embed submitted so far has been output or digested and output. */
int		 notifier_idle(struct notifier *n);
/* Outputs what is waiting (bounded by timeout_ms) and joins the thread. */
void		 notifier_stop(struct notifier *n, int timeout_ms);
void		 notifier_destroy(struct notifier *n);

#endif
