/*
 * webhook.c -- one configured webhook (webhook.h): filters, the mention,
 * and the per-message extras.
 *
 * Why content and allowed_mentions: a mention inside an embed never
 * notifies anybody (Discord renders it, nobody is pinged), so a role ping
 * on failure must be in "content". Discord pings what "content" mentions
 * unless "allowed_mentions" says otherwise, so every message says exactly
 * what may ping: the configured role or user by id ("parse" empty, so
 * nothing else in content could ping either), @here only through
 * "parse": ["everyone"], and nothing at all ({"parse": []}) when the
 * message carries no mention. Event data is only ever in embeds.
 *
 * The payload is embed_payload_json()'s, whose last member is
 * "allowed_mentions":{"parse":[]}: that member is replaced by the extras,
 * so both stay one envelope (username, avatar_url, embeds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "embed.h"
#include "util.h"
#include "webhook.h"

#define SUPPRESS_NOTIFICATIONS	4096	/* message flag 1 << 12 */

static const char *const events_names[] = { "all", "failures", "successes" };
static const char *const silent_names[] = { "no", "yes", "successes" };

void
webhook_init(struct webhook *wh, const char *name)
{
	memset(wh, 0, sizeof *wh);
	wh->name = xstrdup(name);
}

void
webhook_clear(struct webhook *wh)
{
	free(wh->name);
	discord_webhook_free(&wh->dw);
	free(wh->url);
	for (size_t i = 0; i < wh->ntypes; i++)
		free(wh->types[i]);
	free(wh->types);
	free(wh->thread_id);
	free(wh->username);
	free(wh->avatar_url);
	memset(wh, 0, sizeof *wh);
}

int
webhook_set_url(struct webhook *wh, const char *url, char *err, size_t errsz)
{
	struct discord_webhook dw;
	char *copy;

	if (discord_webhook_parse(url, &dw, err, errsz) != 0)
		return -1;
	if (wh->thread_id != NULL &&
	    discord_webhook_set_thread(&dw, wh->thread_id, err, errsz) != 0) {
		discord_webhook_free(&dw);
		return -1;
	}
	discord_webhook_free(&wh->dw);
	wh->dw = dw;
	copy = xstrdup(url);	/* url may be wh->url itself */
	free(wh->url);
	wh->url = copy;
	return 0;
}

void
webhook_add_type(struct webhook *wh, const char *type)
{
	for (size_t i = 0; i < wh->ntypes; i++) {
		if (strcmp(wh->types[i], type) == 0)
			return;
	}
	wh->types = xreallocarray(wh->types, wh->ntypes + 1, sizeof *wh->types);
	wh->types[wh->ntypes++] = xstrdup(type);
}

int
webhook_mention_parse(const char *s, struct webhook_mention *m, char *err,
    size_t errsz)
{
	const char *id;
	size_t n;

	memset(m, 0, sizeof *m);
	if (strcmp(s, "@here") == 0) {
		m->kind = WEBHOOK_MENTION_HERE;
		return 0;
	}
	if (strncmp(s, "<@&", 3) == 0) {
		m->kind = WEBHOOK_MENTION_ROLE;
		id = s + 3;
	} else if (strncmp(s, "<@!", 3) == 0) {
		m->kind = WEBHOOK_MENTION_USER;
		id = s + 3;
	} else if (strncmp(s, "<@", 2) == 0) {
		m->kind = WEBHOOK_MENTION_USER;
		id = s + 2;
	} else {
		snprintf(err, errsz, "expected <@&ROLE_ID>, <@USER_ID> or @here%s",
		    strcmp(s, "@everyone") == 0 ? " (@everyone is not allowed)" :
		    "");
		m->kind = WEBHOOK_MENTION_NONE;
		return -1;
	}
	n = strspn(id, "0123456789");
	/* A snowflake is a 64-bit number: at most 20 digits. */
	if (n == 0 || n > 20 || strcmp(id + n, ">") != 0) {
		snprintf(err, errsz, "expected %s followed by 1 to 20 digits "
		    "and '>'", m->kind == WEBHOOK_MENTION_ROLE ? "<@&" : "<@");
		memset(m, 0, sizeof *m);
		return -1;
	}
	memcpy(m->id, id, n);
	m->id[n] = '\0';
	return 0;
}

int
webhook_events_parse(const char *s, enum webhook_events *e)
{
	int i = str_index(s, events_names, 3);

	if (i < 0)
		return -1;
	*e = (enum webhook_events)i;
	return 0;
}

int
webhook_silent_parse(const char *s, enum webhook_silent *sl)
{
	int i = str_index(s, silent_names, 3);

	if (i < 0)
		return -1;
	*sl = (enum webhook_silent)i;
	return 0;
}

int
webhook_matches(const struct webhook *wh, const char *type, int success)
{
	if (wh->events == WEBHOOK_EVENTS_FAILURES && success)
		return 0;
	if (wh->events == WEBHOOK_EVENTS_SUCCESSES && !success)
		return 0;
	if (wh->ntypes == 0)
		return 1;
	for (size_t i = 0; i < wh->ntypes; i++) {
		if (type != NULL && strcmp(wh->types[i], type) == 0)
			return 1;
	}
	return 0;
}

/* Whether a message of this kind carries the mention in content. */
static int
has_mention(const struct webhook *wh, int has_failure)
{
	return has_failure && wh->mention.kind != WEBHOOK_MENTION_NONE;
}

size_t
webhook_content_chars(const struct webhook *wh, int has_failure)
{
	if (!has_mention(wh, has_failure))
		return 0;
	switch (wh->mention.kind) {
	case WEBHOOK_MENTION_ROLE:
		return strlen(wh->mention.id) + 4;	/* <@&ID> */
	case WEBHOOK_MENTION_USER:
		return strlen(wh->mention.id) + 3;	/* <@ID> */
	default:
		return 5;				/* @here */
	}
}

/* Whether a message of this kind goes out silently (flags 4096). */
static int
is_silent(const struct webhook *wh, int has_failure)
{
	return wh->silent == WEBHOOK_SILENT_YES ||
	    (wh->silent == WEBHOOK_SILENT_SUCCESSES && !has_failure);
}

/* Appends webhook_extras()'s members to b. */
static void
extras_write(struct buf *b, const struct webhook *wh, int has_failure)
{
	const struct webhook_mention *m = &wh->mention;

	if (has_mention(wh, has_failure)) {
		switch (m->kind) {
		case WEBHOOK_MENTION_ROLE:
			buf_printf(b, "\"content\":\"<@&%s>\",\"allowed_mentions\":"
			    "{\"parse\":[],\"roles\":[\"%s\"]}", m->id, m->id);
			break;
		case WEBHOOK_MENTION_USER:
			buf_printf(b, "\"content\":\"<@%s>\",\"allowed_mentions\":"
			    "{\"parse\":[],\"users\":[\"%s\"]}", m->id, m->id);
			break;
		default:
			buf_adds(b, "\"content\":\"@here\",\"allowed_mentions\":"
			    "{\"parse\":[\"everyone\"]}");
			break;
		}
	} else
		buf_adds(b, "\"allowed_mentions\":{\"parse\":[]}");
	if (is_silent(wh, has_failure))
		buf_printf(b, ",\"flags\":%d", SUPPRESS_NOTIFICATIONS);
}

char *
webhook_extras(const struct webhook *wh, int has_failure)
{
	struct buf b = BUF_INIT;

	extras_write(&b, wh, has_failure);
	return buf_take(&b);
}

char *
webhook_payload(const struct webhook *wh, const char *const *embeds, size_t n,
    int has_failure)
{
	struct buf tail = BUF_INIT;
	char *out;

	/* The common case, no mention and no flags: embed.c's own tail. */
	if (!has_mention(wh, has_failure) && !is_silent(wh, has_failure))
		return embed_payload_json(embeds, n, wh->username,
		    wh->avatar_url);
	extras_write(&tail, wh, has_failure);
	buf_addc(&tail, '}');
	out = embed_payload_json_tail(embeds, n, wh->username, wh->avatar_url,
	    tail.p, tail.len);
	buf_free(&tail);
	return out;
}

char *
webhook_payload_text(const struct webhook *wh, const char *content,
    int has_failure)
{
	struct buf tail = BUF_INIT;
	char *out;

	extras_write(&tail, wh, has_failure);
	buf_addc(&tail, '}');
	out = embed_payload_text_tail(content, wh->username, wh->avatar_url,
	    tail.p, tail.len);
	buf_free(&tail);
	return out;
}
