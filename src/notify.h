/*
 * notify.h -- the notifier thread: takes finished embeds from the workers,
 * packs them into webhook payloads (at most 10 embeds and 6000 characters
 * each) and posts them to every Discord webhook that takes the event
 * (webhook.h: SPEC section 9), within Discord's rate limits and retrying
 * what can be retried; --dry-run prints each payload as one JSON line
 * instead. What to send to a webhook and when is decided by its notifier
 * core (notify-core.h), without I/O; this module is the thread, the
 * hand-over, the routing and the I/O around them.
 *
 * Workers never wait for it: the hand-over is a non-blocking push into a
 * bounded queue. When the backlog outgrows [discord] queue.size (or could
 * not drain within a minute at the rate Discord allows), success embeds
 * are folded into digests ("📊 N events processed"); failures keep their
 * own embeds, ahead of successes. Failures are never folded into a digest:
 * those that find no room (more than queue.size waiting, or a full
 * hand-over ring, whose last quarter is kept for them) are summed up in a
 * red "❗ N more failures" embed that lists the Event IDs that fit and
 * counts the rest (sipeatd_discord_failures_unlisted_total). Every event
 * ends up in a delivered embed, in a delivered digest or overflow embed,
 * or counted as dropped (M_EMBEDS_DROPPED, metrics.h).
 *
 * Threads:
 *   notifier_create, notifier_start, notifier_stop, notifier_destroy: main
 *   notifier_submit, notifier_idle: any (workers), never blocking
 */
#ifndef SIPEAT_NOTIFY_H
#define SIPEAT_NOTIFY_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "notify-core.h"	/* struct notify_event */

struct webhook;

struct notifier_opts {
	int		 dry_run;	/* print payloads to out, every one */
	/* Tests: a dry run folds and overflows as a webhook's backlog does. */
	int		 model_backlog;
	FILE		*out;		/* stdout */
	/*
	 * The webhooks (webhook.h), each with its own core, easy handle and
	 * metrics (labelled by name): an event goes to every one that
	 * matches it. One without URL (dw.url NULL) prints in a dry run and
	 * otherwise counts its embeds as dropped; none at all is one such
	 * webhook, "default", without username. Borrowed until destroy.
	 */
	const struct webhook *hooks;
	size_t		 nhooks;
	int		 linger_ms;	/* oldest waiting embed is sent after this */
	size_t		 queue_size;	/* embeds waiting at most ([discord] queue.size) */
	int		 group_failures;	/* [discord] group.failures; 0: off */
};

struct notifier;

/*
 * NULL on failure (logged). Registers the webhooks' names with the
 * metrics (metrics_webhooks_init()): one notifier per process. Main
 * thread, after curl_global_init().
 */
struct notifier	*notifier_create(const struct notifier_opts *o);
/* Starts the thread ("sipeatd-notify"). 0 or -1. */
int		 notifier_start(struct notifier *n);
/*
 * Hands one embed over: embed_json is the embed serialized as compact JSON
 * (by the worker, in parallel; ownership passes to the notifier), chars its
 * Discord character count, ev what the notifier needs to know of the event
 * (borrowed for the call: type and outcome; for a failure, what grouping
 * and the overflow show). Never blocks. Any thread.
 */
void		 notifier_submit(struct notifier *n, char *embed_json, size_t chars,
		     const struct notify_event *ev);
/*
 * 1 when every embed submitted so far was delivered, digested and
 * delivered, or dropped -- or when nothing can be delivered for minutes
 * (the webhook answered 401, 403 or 404): what waits then will be counted
 * as dropped by notifier_stop(). Any thread.
 */
int		 notifier_idle(struct notifier *n);
/*
 * Sends what is waiting, for at most timeout_ms, counts the rest as
 * dropped and joins the thread. Main thread, once no worker submits.
 */
void		 notifier_stop(struct notifier *n, int timeout_ms);
void		 notifier_destroy(struct notifier *n);

#endif
