/*
 * notify-core.c -- the notifier's decisions for one webhook; see
 * notify-core.h. Pure: time comes in as arguments, answers as struct
 * discord_response, and what leaves is a list of embeds to send.
 *
 * Batches are packed greedily in priority order -- failures, then the
 * overflow of failures, then the digest, then successes -- up to
 * EMBED_MAX_PER_MESSAGE embeds and EMBED_MAX_TOTAL characters, and are
 * due when full, when the next embed would not fit, or when the oldest
 * waiting one is linger_ms old (at once while stopping). One batch is in
 * flight at a time: a webhook has one bucket.
 *
 * Grouping (notify-group.h, SPEC section 9): when a failure is packed and
 * group_failures or more failures alike (type, failing stage, error text)
 * wait, they all leave the list as one red "×N" embed in its place. Each
 * event is then in exactly one embed; a grouped embed is a failure in
 * every respect (never folded, sent ahead of successes).
 *
 * Overload (digest.h): the lists hold at most queue_size embeds, and at
 * most a minute of what Discord let us send lately (the rate measured
 * while a backlog existed). Beyond that the oldest successes are folded
 * into the digest. Failures are never folded into the digest: a failure
 * arriving when queue_size failures wait goes to the overflow, one red
 * "❗ N more failures" embed listing the Event IDs that fit, sent after the
 * failures and before the digest -- or first once it had to leave an Event
 * ID out, so that a storm of failures cannot hold it back for ever.
 *
 * Answers (discord.c classifies them):
 * - 2xx: delivered. X-RateLimit-Remaining 0 means no request before
 *   X-RateLimit-Reset-After has passed, so we are never limited in the
 *   first place.
 * - 429, whatever its scope (route, global, shared -- X-RateLimit-Scope):
 *   the same batch again after retry_after (discord_wait_ms()).
 * - 400 (any other 4xx): the batch is bisected -- the first half of the
 *   range known to hold a bad embed is sent alone; when it passes, the
 *   other half is the range -- until the bad embed is alone: only it is
 *   dropped, logged and counted (about log2(10) + 1 requests).
 * - 401/403: back off for minutes (1, 2, 4 ... 15), one log line each time;
 *   the batch is kept.
 * - 404: the webhook was deleted: everything is dropped (counted), from
 *   now until restart, said once.
 * - 5xx, no answer: exponential backoff with jitter, the batch kept.
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "discord.h"
#include "embed.h"
#include "log.h"
#include "notify-core.h"
#include "notify-group.h"
#include "util.h"

#define RETRY_BASE_MS		500
#define RETRY_MAX_MS		5000
#define AUTH_BASE_MS		60000	/* 401/403: one minute, doubling */
#define AUTH_MAX_MS		900000	/* to fifteen */
#define BACKLOG_SECONDS		60	/* drain within a minute, or fold */
#define RATE_WINDOW_MS		5000	/* rate measured over such windows */
#define RESET_MARGIN_MS		5	/* after Reset-After, for clock rounding */

struct notice_list {
	struct notice	*head;
	struct notice	*tail;
	size_t		 n;
};

struct ncore {
	struct ncore_opts	 o;
	struct ncore_stats	 st;
	struct notice_list	 fails;
	struct notice_list	 succ;
	struct digest		 digest;
	int64_t			 digest_since;
	struct overflow		 ovf;
	struct groups		*groups;	/* failures alike, counted */
	struct notice		*held[EMBED_MAX_PER_MESSAGE];	/* the batch */
	size_t			 nheld;
	size_t			 lim;		/* held[0..lim) is what is sent */
	size_t			 suspect;	/* held[0..suspect) holds a bad embed */
	int			 inflight;
	int			 stopping;
	int64_t			 not_before;	/* no request before this */
	unsigned		 attempts;	/* 5xx/network in a row */
	unsigned		 auth_attempts;	/* 401/403 in a row */
	int			 broken;	/* 401/403 */
	int			 gone;		/* 404 */
	unsigned		 seed;
	double			 rate;		/* embeds/s delivered under backlog */
	int64_t			 rate_t0;
	int			 rate_started;
	unsigned long		 rate_sent;
};

struct notice *
notice_create(char *json, size_t chars, const struct notify_event *ev)
{
	size_t len = strlen(json);
	struct notice *nt = xmalloc(sizeof *nt + len + 1);
	struct notice_fail *f;

	/*
	 * One block, the embed behind the struct: the worker frees json
	 * itself (its own allocator cache, cheap) and only this block
	 * crosses to the notifier, which frees it in one call.
	 */
	memset(nt, 0, sizeof *nt);
	nt->json = (char *)(nt + 1);
	memcpy(nt->json, json, len + 1);
	free(json);
	/* No embed is larger (embed.c); never let a bad count stall a batch. */
	nt->chars = chars <= EMBED_MAX_TOTAL ? chars : EMBED_MAX_TOTAL;
	nt->count = 1;
	nt->success = ev->success;
	nt->kind = NOTICE_OWN;
	str_copy(nt->type, ev->type != NULL ? ev->type : "", sizeof nt->type);
	if (ev->success)
		return nt;
	f = nt->fail = xcalloc(1, sizeof *f);
	f->id = xstrdup(ev->event_id != NULL ? ev->event_id : "");
	f->icon = xstrdup(ev->icon != NULL ? ev->icon : "");
	f->title = xstrdup(ev->title != NULL ? ev->title : "");
	f->stage = xstrdup(ev->stage != NULL ? ev->stage : "");
	f->error = xstrdup(ev->error != NULL ? ev->error : "");
	f->finished = ev->finished;
	f->hash = group_hash(nt->type, f->stage, f->error);
	return nt;
}

void
notice_free(struct notice *nt)
{
	if (nt == NULL)
		return;
	if (nt->fail != NULL) {
		free(nt->fail->id);
		free(nt->fail->icon);
		free(nt->fail->title);
		free(nt->fail->stage);
		free(nt->fail->error);
		free(nt->fail);
	}
	if (nt->json != (char *)(nt + 1))
		free(nt->json);	/* a digest's, an overflow's or a group's */
	free(nt);
}

static void
list_push(struct notice_list *l, struct notice *nt)
{
	nt->next = NULL;
	if (l->tail != NULL)
		l->tail->next = nt;
	else
		l->head = nt;
	l->tail = nt;
	l->n++;
}

/* Puts nt first in the next batch. */
static void
list_push_front(struct notice_list *l, struct notice *nt)
{
	nt->next = l->head;
	l->head = nt;
	if (l->tail == NULL)
		l->tail = nt;
	l->n++;
}

static struct notice *
list_pop(struct notice_list *l)
{
	struct notice *nt = l->head;

	if (nt != NULL) {
		l->head = nt->next;
		if (l->head == NULL)
			l->tail = NULL;
		l->n--;
	}
	return nt;
}

/* Grouping counts what waits in the failures: in and out through these. */
static void
fails_push(struct ncore *c, struct notice *nt)
{
	list_push(&c->fails, nt);
	groups_add(c->groups, nt);
}

static struct notice *
fails_pop(struct ncore *c)
{
	struct notice *nt = list_pop(&c->fails);

	if (nt != NULL)
		groups_del(c->groups, nt);
	return nt;
}

struct ncore *
ncore_create(const struct ncore_opts *o)
{
	struct ncore *c = xcalloc(1, sizeof *c);

	c->o = *o;
	if (c->o.queue_size < 1)
		c->o.queue_size = 1;
	if (c->o.group_failures < 0)
		c->o.group_failures = 0;
	else if (c->o.group_failures == 1)
		c->o.group_failures = 2;	/* one alone keeps its own embed */
	if (c->o.name == NULL)
		c->o.name = "(none)";
	c->seed = o->seed;
	c->groups = groups_create();
	return c;
}

static void
list_free(struct notice_list *l)
{
	struct notice *nt;

	while ((nt = list_pop(l)) != NULL)
		notice_free(nt);
}

void
ncore_destroy(struct ncore *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nheld; i++)
		notice_free(c->held[i]);
	list_free(&c->fails);
	list_free(&c->succ);
	overflow_reset(&c->ovf);
	groups_destroy(c->groups);
	free(c);
}

static void
drop(struct ncore *c, struct notice *nt)
{
	c->st.dropped += (unsigned long)nt->count;
	notice_free(nt);
}

/* Nothing can go out: what comes in is dropped. */
static int
dropping(const struct ncore *c)
{
	return c->gone || !c->o.sink;
}

/* A failure without room of its own: into the overflow. Takes nt. */
static void
overflow(struct ncore *c, struct notice *nt, int64_t now)
{
	if (c->ovf.count == 0)
		c->ovf.since = now;
	overflow_add(&c->ovf, nt->fail != NULL ? nt->fail->id : NULL);
	notice_free(nt);
}

void
ncore_add(struct ncore *c, struct notice *nt, int64_t now)
{
	nt->since = now;
	if (dropping(c))
		drop(c, nt);
	else if (nt->success)
		list_push(&c->succ, nt);
	else if (c->fails.n >= c->o.queue_size)
		overflow(c, nt, now);	/* queue.size failures wait already */
	else
		fails_push(c, nt);
}

void
ncore_fold(struct ncore *c, const struct digest *d, int64_t now)
{
	if (d->total <= 0)
		return;
	if (dropping(c)) {
		c->st.dropped += (unsigned long)d->total;
		return;
	}
	if (c->digest.total == 0)
		c->digest_since = now;
	digest_merge(&c->digest, d);
}

void
ncore_overflowed(struct ncore *c, struct overflow *o, int64_t now)
{
	(void)now;
	if (o->count == 0)
		return;
	if (dropping(c)) {
		c->st.dropped += (unsigned long)o->count;
		overflow_reset(o);
		return;
	}
	overflow_merge(&c->ovf, o);
}

/* Folds one success into the digest. */
static void
fold(struct ncore *c, struct notice *nt, int64_t now)
{
	if (c->digest.total == 0)
		c->digest_since = now;
	digest_add(&c->digest, nt->type, 1);
	notice_free(nt);
}

void
ncore_tick(struct ncore *c, int64_t now)
{
	size_t cap = c->o.queue_size;

	/* The delivery rate, over windows during which a backlog existed. */
	if (!c->rate_started || c->fails.n + c->succ.n < EMBED_MAX_PER_MESSAGE) {
		c->rate_started = 1;
		c->rate_t0 = now;
		c->rate_sent = 0;
	} else if (now - c->rate_t0 >= RATE_WINDOW_MS) {
		double r = (double)c->rate_sent * 1000.0 / (double)(now - c->rate_t0);

		c->rate = c->rate > 0 ? (c->rate + r) / 2 : r;
		c->rate_t0 = now;
		c->rate_sent = 0;
	}

	/* Not for stdout: it has no rate limit, and the caller bounds it. */
	if (c->o.print_all)
		return;
	if (c->rate > 0) {
		double r = c->rate * BACKLOG_SECONDS;

		if (r < EMBED_MAX_PER_MESSAGE)
			r = EMBED_MAX_PER_MESSAGE;
		if (r < (double)cap)
			cap = (size_t)r;
	}
	while (c->fails.n + c->succ.n > cap && c->succ.n > 0)
		fold(c, list_pop(&c->succ), now);
}

void
ncore_stop(struct ncore *c)
{
	c->stopping = 1;
}

size_t
ncore_waiting(const struct ncore *c)
{
	return c->fails.n + c->succ.n;
}

int
ncore_pending(const struct ncore *c)
{
	return c->nheld > 0 || c->fails.n + c->succ.n > 0 ||
	    c->digest.total > 0 || c->ovf.count > 0;
}

/*
 * Whether a new batch should go: it would be full, or the oldest waiting
 * embed has lingered long enough, or we are stopping.
 */
static int
batch_due(const struct ncore *c, int64_t now)
{
	size_t count = 0, chars = 0;
	int64_t oldest = INT64_MAX;
	const struct notice_list *lists[2] = { &c->fails, &c->succ };

	if (c->fails.n + c->succ.n == 0 && c->digest.total == 0 &&
	    c->ovf.count == 0)
		return 0;
	if (c->stopping)
		return 1;
	if (c->digest.total > 0) {
		count = 1;
		chars = 200;	/* a digest of a few types */
		oldest = c->digest_since;
	}
	if (c->ovf.count > 0) {
		count++;
		chars += 200;	/* at least */
		if (c->ovf.since < oldest)
			oldest = c->ovf.since;
	}
	for (int l = 0; l < 2; l++) {
		const struct notice *nt = lists[l]->head;

		if (nt != NULL && nt->since < oldest)
			oldest = nt->since;
		for (; nt != NULL; nt = nt->next) {
			if (count == EMBED_MAX_PER_MESSAGE ||
			    chars + nt->chars > EMBED_MAX_TOTAL)
				return 1;
			count++;
			chars += nt->chars;
		}
	}
	return count == EMBED_MAX_PER_MESSAGE || oldest + c->o.linger_ms <= now;
}

int
ncore_ready(const struct ncore *c, int64_t now)
{
	return !c->inflight && now >= c->not_before &&
	    (c->nheld > 0 || batch_due(c, now));
}

int64_t
ncore_not_before(const struct ncore *c)
{
	return c->not_before;
}

int
ncore_broken(const struct ncore *c)
{
	return c->broken || c->gone;
}

int
ncore_gone(const struct ncore *c)
{
	return c->gone;
}

const struct ncore_stats *
ncore_stats(const struct ncore *c)
{
	return &c->st;
}

/* The digest as one notice; it restarts from zero. */
static struct notice *
take_digest(struct ncore *c, time_t wall)
{
	struct notice *nt = xcalloc(1, sizeof *nt);

	nt->json = digest_embed_json(&c->digest, wall, &nt->chars);
	nt->count = c->digest.total;
	nt->kind = NOTICE_DIGEST;
	nt->success = 1;
	nt->since = c->digest_since;
	str_copy(nt->type, "digest", sizeof nt->type);
	digest_reset(&c->digest);
	return nt;
}

/*
 * The overflow as one red notice, or NULL when it is empty; it restarts
 * empty. Its events count as digested once delivered: summed up, not
 * sent one by one.
 */
static struct notice *
take_overflow(struct ncore *c, time_t wall)
{
	struct notice *nt;

	if (c->ovf.count == 0)
		return NULL;
	nt = xcalloc(1, sizeof *nt);
	nt->json = overflow_embed_json(&c->ovf, wall, &nt->chars);
	nt->count = c->ovf.count;
	nt->since = c->ovf.since;
	nt->kind = NOTICE_OVERFLOW;
	c->st.unlisted += (unsigned long)c->ovf.unlisted;
	overflow_reset(&c->ovf);
	str_copy(nt->type, "overflow", sizeof nt->type);
	return nt;
}

/*
 * Takes every failure alike head out of the failures (head first) and
 * returns one grouped embed for them all.
 */
static struct notice *
take_group(struct ncore *c, struct notice *head, long count)
{
	struct notice **m = xreallocarray(NULL, (size_t)count, sizeof m[0]);
	struct notice *nt, *prev = NULL, *next, *g;
	size_t n = 0;

	for (nt = c->fails.head; nt != NULL && n < (size_t)count; nt = next) {
		next = nt->next;
		if (nt != head && !group_alike(nt, head)) {
			prev = nt;
			continue;
		}
		if (prev != NULL)
			prev->next = next;
		else
			c->fails.head = next;
		if (c->fails.tail == nt)
			c->fails.tail = prev;
		c->fails.n--;
		m[n++] = nt;
	}
	g = group_notice(m, n);
	for (size_t i = 0; i < n; i++) {
		groups_del(c->groups, m[i]);
		notice_free(m[i]);
	}
	free(m);
	return g;
}

/*
 * The failures for the batch, in order -- each failure with group_failures
 * or more alike waiting goes as one grouped embed, where the first of them
 * stood.
 */
static void
pack_failures(struct ncore *c, size_t *chars)
{
	while (c->fails.head != NULL && c->nheld < EMBED_MAX_PER_MESSAGE) {
		struct notice *nt = c->fails.head;
		long alike;

		if (c->o.group_failures > 0 &&
		    (alike = groups_count(c->groups, nt)) >= c->o.group_failures) {
			nt = take_group(c, nt, alike);
			list_push_front(&c->fails, nt);
		}
		if (c->nheld > 0 && *chars + nt->chars > EMBED_MAX_TOTAL)
			break;
		*chars += nt->chars;
		c->held[c->nheld++] = fails_pop(c);
	}
}

/*
 * Packs held[] greedily: failures, the overflow of failures, the digest,
 * successes. An overflow that had to leave an Event ID out goes first, so
 * that a steady stream of failures cannot hold it back for ever.
 */
static void
fill_batch(struct ncore *c, time_t wall)
{
	size_t chars = 0;

	if (c->ovf.unlisted > 0 && c->nheld == 0) {
		struct notice *d = take_overflow(c, wall);

		if (d != NULL) {
			c->held[c->nheld++] = d;
			chars += d->chars;
		}
	}
	for (int pass = 0; pass < 4; pass++) {
		if (pass == 0) {
			pack_failures(c, &chars);
			if (c->fails.head != NULL)
				break;
		} else if (pass == 1 || pass == 2) {
			struct notice *d = NULL;

			if (c->nheld < EMBED_MAX_PER_MESSAGE)
				d = pass == 1 ? take_overflow(c, wall) :
				    c->digest.total > 0 ? take_digest(c, wall) : NULL;
			if (d == NULL)
				continue;
			if (c->nheld > 0 && chars + d->chars > EMBED_MAX_TOTAL) {
				list_push_front(&c->fails, d);	/* next batch */
				break;
			}
			c->held[c->nheld++] = d;
			chars += d->chars;
		} else {
			struct notice_list *l = &c->succ;

			while (l->head != NULL && c->nheld < EMBED_MAX_PER_MESSAGE &&
			    (c->nheld == 0 || chars + l->head->chars <= EMBED_MAX_TOTAL)) {
				chars += l->head->chars;
				c->held[c->nheld++] = list_pop(l);
			}
		}
	}
	c->lim = c->nheld;
}

size_t
ncore_take(struct ncore *c, time_t wall, const char **embeds, int *failures)
{
	int red = 0;

	if (c->nheld == 0)
		fill_batch(c, wall);
	if (c->lim == 0)
		return 0;
	for (size_t i = 0; i < c->lim; i++) {
		embeds[i] = c->held[i]->json;
		red |= !c->held[i]->success;
	}
	if (failures != NULL)
		*failures = red;
	c->inflight = 1;
	return c->lim;
}

/* held[0..lim) was delivered: count it and move the rest up. */
static void
delivered(struct ncore *c)
{
	size_t lim = c->lim;

	for (size_t i = 0; i < lim; i++) {
		struct notice *nt = c->held[i];

		switch (nt->kind) {
		case NOTICE_DIGEST:
		case NOTICE_OVERFLOW:
			c->st.digested += (unsigned long)nt->count;
			break;
		case NOTICE_GROUP:
			c->st.grouped += (unsigned long)nt->count;
			/* FALLTHROUGH */
		case NOTICE_OWN:
			c->st.sent += (unsigned long)nt->count;
			break;
		}
		notice_free(nt);
	}
	memmove(c->held, c->held + lim, (c->nheld - lim) * sizeof c->held[0]);
	c->nheld -= lim;
	c->lim = c->nheld;
	c->rate_sent += lim;
	c->st.payloads++;
}

void
ncore_delivered(struct ncore *c)
{
	c->inflight = 0;
	delivered(c);
}

long
ncore_drop_all(struct ncore *c)
{
	unsigned long before = c->st.dropped;
	struct notice *nt;

	for (size_t i = 0; i < c->nheld; i++)
		drop(c, c->held[i]);
	c->nheld = c->lim = c->suspect = 0;
	c->inflight = 0;
	while ((nt = fails_pop(c)) != NULL)
		drop(c, nt);
	while ((nt = list_pop(&c->succ)) != NULL)
		drop(c, nt);
	c->st.dropped += (unsigned long)c->digest.total;
	digest_reset(&c->digest);
	c->st.dropped += (unsigned long)c->ovf.count;
	overflow_reset(&c->ovf);
	return (long)(c->st.dropped - before);
}

/* 400: halve the range, or drop the bad embed once it is alone. */
static void
rejected(struct ncore *c, const struct discord_response *r)
{
	if (c->lim > 1) {
		c->suspect = c->lim;
		c->lim /= 2;	/* bisect: the first half alone */
		log_debug("notify", "Discord rejected a batch (%ld): trying %zu "
		    "of its %zu embeds", r->status, c->lim, c->nheld);
		return;
	}
	log_warn("notify", "Discord rejected one %s embed (%ld %s): dropped",
	    c->held[0]->type, r->status,
	    r->message[0] != '\0' ? r->message : "Bad Request");
	drop(c, c->held[0]);
	memmove(c->held, c->held + 1, (c->nheld - 1) * sizeof c->held[0]);
	c->nheld--;
	c->lim = c->nheld;
	c->suspect = 0;
}

void
ncore_answer(struct ncore *c, const struct discord_response *r, int64_t now)
{
	int64_t wait = discord_wait_ms(r), ms;

	c->inflight = 0;
	if (wait > 0)
		c->not_before = now + wait + RESET_MARGIN_MS;
	switch (discord_classify(r)) {
	case DISCORD_OK:
		if (c->attempts > 0 || c->auth_attempts > 0)
			log_info("notify", "webhook %s accepts messages again",
			    c->o.name);
		c->attempts = 0;
		c->auth_attempts = 0;
		c->broken = 0;
		if (c->suspect > c->lim) {
			/* Bisecting: the bad embed is in what is left of the range. */
			c->suspect -= c->lim;
			delivered(c);
			c->lim = c->suspect > 1 ? c->suspect / 2 : 1;
		} else {
			c->suspect = 0;
			delivered(c);
		}
		break;
	case DISCORD_RATE_LIMITED:
		log_warn("notify", "rate limited by Discord%s: waiting %lld ms",
		    r->global ? " (global)" : "", (long long)wait);
		break;
	case DISCORD_REJECTED:
		rejected(c, r);
		break;
	case DISCORD_UNAUTHORIZED:
		ms = AUTH_BASE_MS;
		for (unsigned i = 0; i < c->auth_attempts && ms < AUTH_MAX_MS; i++)
			ms *= 2;
		if (ms > AUTH_MAX_MS)
			ms = AUTH_MAX_MS;
		c->auth_attempts++;
		c->not_before = now + ms;
		c->broken = 1;
		log_error("notify", "webhook %s refused (%ld%s%s): wrong token? "
		    "not sending for %lld s", c->o.name, r->status,
		    r->message[0] != '\0' ? " " : "", r->message,
		    (long long)(ms / 1000));
		break;
	case DISCORD_GONE:
		c->gone = 1;
		log_error("notify", "webhook %s was deleted (404%s%s): no more "
		    "notifications until the configuration changes and sipeatd "
		    "restarts", c->o.name, r->message[0] != '\0' ? " " : "",
		    r->message);
		ncore_drop_all(c);
		break;
	case DISCORD_RETRY:
		c->attempts++;
		ms = discord_backoff_ms(c->attempts, RETRY_BASE_MS, RETRY_MAX_MS,
		    &c->seed);
		if (wait < ms)
			c->not_before = now + ms;
		if (c->attempts == 1 || c->attempts % 10 == 0) {
			if (r->status == 0)
				log_warn("notify", "webhook %s unreachable: %s; "
				    "retrying (attempt %u)", c->o.name, r->message,
				    c->attempts);
			else
				log_warn("notify", "Discord answered %ld; retrying "
				    "(attempt %u)", r->status, c->attempts);
		}
		break;
	}
}
