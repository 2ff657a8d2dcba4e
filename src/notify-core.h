/*
 * notify-core.h -- the notifier's decisions for one webhook, without I/O:
 * no libcurl, no threads, no clock reads (the caller passes the time in).
 * A pure state machine: feed it embeds (ncore_add), what the workers
 * folded or overflowed (ncore_fold, ncore_overflowed) and Discord's answers
 * (ncore_answer); ask it whether a batch is due (ncore_ready) and which
 * embeds it holds (ncore_take). notify.c drives one per webhook from its
 * thread and does the I/O: the hand-over ring, libcurl, dry-run printing,
 * the metrics (from ncore_stats).
 *
 * It owns that webhook's waiting lists (failures ahead of successes), the
 * batch being sent (at most EMBED_MAX_PER_MESSAGE embeds and
 * EMBED_MAX_TOTAL characters), the digest and the overflow (digest.h), the
 * grouping of failures alike (notify-group.h), the rate-limit state
 * (X-RateLimit-Remaining and Reset-After, 429 whatever its scope: route,
 * global or shared, all wait retry_after), the 400 bisection, and the
 * 401/403 back-off and 404 stop. Every event it is
 * given ends up counted once in ncore_stats: sent (in its own embed, or
 * in a grouped one), digested (in a digest or an overflow embed) or
 * dropped.
 *
 * Threads: one struct ncore is used by one thread at a time (the notifier);
 * it takes no lock. notice_create and notice_free: any thread (workers
 * make the notices they hand over).
 */
#ifndef SIPEAT_NOTIFY_CORE_H
#define SIPEAT_NOTIFY_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"
#include "discord.h"

/* What a worker knows of one processed event, for its notification. */
struct notify_event {
	const char	*type;		/* event type, "invalid" for invalid events */
	int		 success;
	/* Failures only (NULL otherwise): grouping and the overflow use them. */
	const char	*icon;		/* as on the event's own embed */
	const char	*title;		/* handler title */
	const char	*stage;		/* the failing stage, NULL if none */
	const char	*error;		/* the reason, as in the Error field */
	const char	*event_id;
	time_t		 finished;	/* when processing finished */
};

enum notice_kind {
	NOTICE_OWN,		/* one event's own embed */
	NOTICE_DIGEST,		/* "📊 N events processed" */
	NOTICE_OVERFLOW,	/* "❗ N more failures" */
	NOTICE_GROUP,		/* "… event failed ×N" */
};

/* A failure's details, copied at submission. */
struct notice_fail {
	char		*id;
	char		*icon;
	char		*title;
	char		*stage;		/* "" when none */
	char		*error;
	time_t		 finished;
	uint64_t	 hash;		/* of type, stage and error */
};

/* One embed waiting to be sent. */
struct notice {
	struct notice		*next;
	char			*json;		/* the embed, compact JSON */
	size_t			 chars;		/* its Discord characters */
	long			 count;		/* events it stands for */
	int			 success;
	enum notice_kind	 kind;
	int64_t			 since;		/* when the core took it */
	char			 type[64];
	struct notice_fail	*fail;		/* failures' own embeds; else NULL */
};

/*
 * A notice for one event's own embed: takes json (chars: its count; it
 * is copied into the notice's own block and freed here, on the caller's
 * thread), copies what it needs of ev. Any thread.
 */
struct notice	*notice_create(char *json, size_t chars,
		    const struct notify_event *ev);
void		 notice_free(struct notice *nt);

struct ncore_opts {
	const char	*name;		/* the webhook as logged (never its URL) */
	size_t		 queue_size;	/* embeds waiting at most */
	int		 linger_ms;	/* oldest waiting embed goes after this */
	int		 print_all;	/* stdout: never fold a success */
	int		 sink;		/* 0: nowhere to send, every embed dropped */
	int		 group_failures;	/* N alike failures share an embed; 0 off */
	unsigned	 seed;		/* for the backoff's jitter */
};

/* Cumulative counts of events (and of payloads). */
struct ncore_stats {
	unsigned long	 sent;		/* in their own or a grouped embed */
	unsigned long	 digested;	/* in a digest or an overflow embed */
	unsigned long	 dropped;
	unsigned long	 grouped;	/* of sent: in a grouped embed */
	unsigned long	 unlisted;	/* overflowed without their Event ID */
	unsigned long	 payloads;	/* messages delivered */
};

struct ncore;

struct ncore	*ncore_create(const struct ncore_opts *o);
/* Frees everything, counting nothing (ncore_drop_all counts). */
void		 ncore_destroy(struct ncore *c);

/* Takes one notice from the hand-over; now is the caller's clock (ms). */
void		 ncore_add(struct ncore *c, struct notice *nt, int64_t now);
/* Adds successes folded by the workers into a digest of their own. */
void		 ncore_fold(struct ncore *c, const struct digest *d, int64_t now);
/* Takes the workers' overflow of failures; o is left empty. */
void		 ncore_overflowed(struct ncore *c, struct overflow *o,
		    int64_t now);
/*
 * Keeps the backlog within queue_size and a minute of the rate Discord
 * allowed lately (folding the oldest successes into the digest), and
 * measures that rate. Call once per turn.
 */
void		 ncore_tick(struct ncore *c, int64_t now);
/* From now on every waiting embed goes without lingering. */
void		 ncore_stop(struct ncore *c);

/* Embeds waiting in the lists (not the batch, digest or overflow). */
size_t		 ncore_waiting(const struct ncore *c);
/* 1 while anything is neither sent, digested nor dropped. */
int		 ncore_pending(const struct ncore *c);
/*
 * 1 when a request should start now: none in flight, the rate limit
 * allows it, and a batch is held (a retry) or due (full, lingered long
 * enough, or stopping).
 */
int		 ncore_ready(const struct ncore *c, int64_t now);
/* No request before this (rate limits, backoff). */
int64_t		 ncore_not_before(const struct ncore *c);
/* 1 after 401/403 (until a 2xx) or 404 (for good). */
int		 ncore_broken(const struct ncore *c);
int		 ncore_gone(const struct ncore *c);

/*
 * The batch to send now: packs one when none is held, in priority order
 * (failures, their overflow, the digest, successes). Sets embeds[] (at
 * most EMBED_MAX_PER_MESSAGE, borrowed until the answer) and *failures
 * (1 when one of them is red); returns how many, 0 when there is nothing.
 * wall is the time digests and grouped embeds are stamped with. The
 * batch is then in flight until ncore_answer() or ncore_delivered().
 */
size_t		 ncore_take(struct ncore *c, time_t wall, const char **embeds,
		    int *failures);
/* Acts on the answer to the batch in flight. */
void		 ncore_answer(struct ncore *c, const struct discord_response *r,
		    int64_t now);
/* The batch in flight was printed (a dry run): delivered. */
void		 ncore_delivered(struct ncore *c);
/* Drops everything waiting (counted); returns how many events. */
long		 ncore_drop_all(struct ncore *c);

const struct ncore_stats *ncore_stats(const struct ncore *c);

#endif
