/*
 * config-webhook.c -- the [webhook NAME] sections of the configuration
 * (SPEC section 9): url (a secret, never quoted), events, types, mention,
 * silent, thread_id, username, avatar_url, parsed from a table into one
 * struct webhook each (webhook.h).
 *
 * The url is parsed once the whole file is read (config_check_webhooks),
 * since thread_id, which goes on its query string, may come after it.
 * Then a webhook without url is an error, a mention on a webhook that
 * takes only successes is a warning (it would never be used), a type no
 * handler has is a warning, and username and avatar_url default to
 * [discord]'s.
 *
 * Main thread, before other threads start (config.h).
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "util.h"
#include "webhook.h"

static const struct config_key webhook_keys[] = {
	{ "url", TYPE_HOOK_URL, 0, 0, offsetof(struct webhook, url) },
	{ "events", TYPE_HOOK_EVENTS, 0, 0, offsetof(struct webhook, events) },
	{ "types", TYPE_HOOK_TYPES, 0, 0, offsetof(struct webhook, types) },
	{ "mention", TYPE_HOOK_MENTION, 0, 0,
	    offsetof(struct webhook, mention) },
	{ "silent", TYPE_HOOK_SILENT, 0, 0, offsetof(struct webhook, silent) },
	{ "thread_id", TYPE_HOOK_THREAD, 0, 0,
	    offsetof(struct webhook, thread_id) },
	{ "username", TYPE_NAME, 1, 80, offsetof(struct webhook, username) },
	{ "avatar_url", TYPE_OPTIONAL, 0, 0,
	    offsetof(struct webhook, avatar_url) },
};
#define NWEBHOOK_KEYS	(sizeof webhook_keys / sizeof webhook_keys[0])
_Static_assert(NWEBHOOK_KEYS == CONFIG_NWEBHOOK_KEYS, "config-int.h");

/* Starts [webhook NAME] at line: events all, every type, no mention. */
void
config_begin_webhook(struct config_ctx *ctx, const char *name, int line)
{
	struct config	*cfg = ctx->cfg;

	if (strcmp(name, WEBHOOK_DEFAULT_NAME) == 0) {
		config_problem(ctx, line, 0, "[webhook %s]: the name is the "
		    "[discord] webhook's; choose another", name);
		ctx->section = SECTION_IGNORE;
		return;
	}
	if (strlen(name) > WEBHOOK_NAME_MAX) {
		config_problem(ctx, line, 0, "[webhook NAME]: name longer than "
		    "%d characters", WEBHOOK_NAME_MAX);
		ctx->section = SECTION_IGNORE;
		return;
	}
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		if (strcmp(cfg->webhooks[i].name, name) == 0) {
			config_problem(ctx, line, 0, "duplicate [webhook %s] "
			    "(first at line %d)", name, cfg->webhooks[i].line);
			ctx->section = SECTION_IGNORE;
			return;
		}
	}
	cfg->webhooks = xreallocarray(cfg->webhooks, cfg->nwebhooks + 1,
	    sizeof *cfg->webhooks);
	webhook_init(&cfg->webhooks[cfg->nwebhooks], name);
	cfg->webhooks[cfg->nwebhooks].line = line;
	ctx->cur = cfg->nwebhooks++;
	ctx->section = SECTION_WEBHOOK;
	memset(ctx->webhook_seen, 0, sizeof ctx->webhook_seen);
}

void
config_webhook_key(struct config_ctx *ctx, const char *name,
    const char *value, int line)
{
	config_table_key(ctx, "webhook", webhook_keys, NWEBHOOK_KEYS,
	    ctx->webhook_seen, &ctx->cfg->webhooks[ctx->cur], name, value,
	    line);
}

void
config_webhook_value(struct config_ctx *ctx, const struct config_key *k,
    void *base, const char *v, int line)
{
	struct webhook	*wh = base;
	char		 err[256], *q, *copy, *tok, *save;
	size_t		 n;

	switch (k->type) {
	case TYPE_HOOK_URL:
		/* A secret: never quoted back. Parsed by config_check_webhooks. */
		if (*v == '\0') {
			config_problem(ctx, line, 0, "url: empty value");
			wh->url_line = line;	/* reported: not "no url" too */
			return;
		}
		free(wh->url);
		wh->url = xstrdup(v);
		wh->url_line = line;
		return;
	case TYPE_HOOK_EVENTS:
		if (webhook_events_parse(v, &wh->events) != 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "events: expected all, "
			    "failures or successes, got %s", q);
			free(q);
		}
		return;
	case TYPE_HOOK_SILENT:
		if (webhook_silent_parse(v, &wh->silent) != 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "silent: expected yes, "
			    "successes or no, got %s", q);
			free(q);
		}
		return;
	case TYPE_HOOK_MENTION:
		if (*v == '\0') {
			memset(&wh->mention, 0, sizeof wh->mention);
			return;
		}
		if (webhook_mention_parse(v, &wh->mention, err, sizeof err) != 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "mention: %s, got %s", err, q);
			free(q);
		}
		return;
	case TYPE_HOOK_THREAD:
		n = strspn(v, "0123456789");
		if (*v != '\0' && (n == 0 || n > 20 || v[n] != '\0')) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "thread_id: expected a "
			    "thread's id (1 to 20 digits), got %s", q);
			free(q);
			return;
		}
		free(wh->thread_id);
		wh->thread_id = *v == '\0' ? NULL : xstrdup(v);
		return;
	case TYPE_HOOK_TYPES:
		for (size_t i = 0; i < wh->ntypes; i++)
			free(wh->types[i]);
		free(wh->types);
		wh->types = NULL;
		wh->ntypes = 0;
		copy = xstrdup(v);
		for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t,", &save)) {
			if (!config_name_valid(tok)) {
				q = config_quote(tok);
				config_problem(ctx, line, 0, "types: invalid "
				    "type %s", q);
				free(q);
				continue;
			}
			webhook_add_type(wh, tok);
		}
		free(copy);
		if (wh->ntypes == 0)
			config_problem(ctx, line, 0, "types: no type given "
			    "(remove the line for every type)");
		return;
	default:
		abort();	/* config.c sends only the TYPE_HOOK_* here */
	}
}

/* Whether an event of type can reach a webhook: a handler's or "invalid". */
static int
type_known(const struct config *cfg, const char *type)
{
	if (strcmp(type, "invalid") == 0)
		return 1;
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		if (strcmp(cfg->handlers[i].type, type) == 0)
			return 1;
	}
	return 0;
}

void
config_check_webhooks(struct config_ctx *ctx)
{
	struct config	*cfg = ctx->cfg;
	struct webhook	*wh;
	struct stat	 sb;
	char		 err[256];
	int		 readable;

	readable = fstat(fileno(ctx->fp), &sb) == 0 && (sb.st_mode & 044) != 0;
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		wh = &cfg->webhooks[i];
		if (wh->url == NULL) {
			if (wh->url_line == 0)
				config_problem(ctx, wh->line, 0,
				    "[webhook %s] has no url", wh->name);
		} else if (webhook_set_url(wh, wh->url, err, sizeof err) != 0) {
			config_problem(ctx, wh->url_line, 0, "url: %s", err);
		} else if (readable) {
			config_problem(ctx, wh->url_line, 1, "webhook URL in a "
			    "file readable by others (chmod 600 %s)", ctx->path);
		}
		if (wh->mention.kind != WEBHOOK_MENTION_NONE &&
		    wh->events == WEBHOOK_EVENTS_SUCCESSES) {
			config_problem(ctx, wh->line, 1, "[webhook %s]: mention "
			    "is only put on failures, and this webhook takes "
			    "successes only", wh->name);
		}
		for (size_t j = 0; j < wh->ntypes; j++) {
			if (!type_known(cfg, wh->types[j]))
				config_problem(ctx, wh->line, 1, "[webhook %s]: "
				    "no handler for type %s", wh->name,
				    wh->types[j]);
		}
		if (wh->username == NULL && cfg->username != NULL)
			wh->username = xstrdup(cfg->username);
		if (wh->avatar_url == NULL && cfg->avatar_url != NULL)
			wh->avatar_url = xstrdup(cfg->avatar_url);
	}
}
