/*
 * webhook.h -- one configured Discord webhook (SPEC section 9): its name,
 * its parsed URL, which events it takes (outcome and type), the mention it
 * puts on messages holding a failure, silent, username and avatar.
 *
 * Pure: no I/O, no threads. The notifier asks webhook_matches() whether an
 * event goes to a webhook, and webhook_payload() builds the message for a
 * batch of serialized embeds, adding the per-message extras of the
 * webhook: "content" with the mention once (only when the batch holds a
 * failure), "allowed_mentions" allowing exactly that mention -- so event
 * data, which is in the embeds and nowhere else, never pings -- and
 * "flags": 4096 (SUPPRESS_NOTIFICATIONS) as silent says. thread_id is not
 * an extra: it goes on the URL (discord_webhook_set_thread()).
 *
 * A struct webhook is filled by the configuration loader ([webhook NAME],
 * config.c) or by main for the default webhook, then read-only.
 *
 * Threads:
 *   webhook_init, webhook_clear, webhook_set_url, webhook_add_type: main
 *     (while loading the configuration)
 *   webhooks_resolve, webhooks_free (webhook-list.c): main, before other
 *     threads start
 *   webhook_mention_parse, webhook_events_parse, webhook_silent_parse,
 *   webhook_matches, webhook_extras, webhook_payload,
 *     webhook_payload_text: any (pure; the notifier for the first three,
 *     main's --test-discord for the last)
 */
#ifndef SIPEAT_WEBHOOK_H
#define SIPEAT_WEBHOOK_H

#include <stddef.h>

#include "discord.h"

/* The name of the [discord] webhook (--webhook, DISCORD_WEBHOOK). */
#define WEBHOOK_DEFAULT_NAME	"default"
/* Longest webhook name, in bytes (a metrics label). */
#define WEBHOOK_NAME_MAX	64

enum webhook_events {
	WEBHOOK_EVENTS_ALL,
	WEBHOOK_EVENTS_FAILURES,
	WEBHOOK_EVENTS_SUCCESSES,
};

enum webhook_silent {
	WEBHOOK_SILENT_NO,
	WEBHOOK_SILENT_YES,		/* every message */
	WEBHOOK_SILENT_SUCCESSES,	/* messages with no failure in them */
};

enum webhook_mention_kind {
	WEBHOOK_MENTION_NONE,
	WEBHOOK_MENTION_ROLE,		/* <@&ID> */
	WEBHOOK_MENTION_USER,		/* <@ID> (or <@!ID>, shown as <@ID>) */
	WEBHOOK_MENTION_HERE,		/* @here */
};

struct webhook_mention {
	enum webhook_mention_kind	 kind;
	char				 id[24];	/* a snowflake, digits; "" for @here */
};

struct webhook {
	char			*name;		/* "default" or [webhook NAME] */
	int			 line;		/* of the section header; 0: none */
	struct discord_webhook	 dw;		/* url NULL until set (a secret) */
	char			*url;		/* as configured (a secret); NULL: none */
	int			 url_line;
	enum webhook_events	 events;
	char			**types;	/* NULL (ntypes 0): every type */
	size_t			 ntypes;
	struct webhook_mention	 mention;
	enum webhook_silent	 silent;
	char			*thread_id;	/* digits, NULL: none */
	char			*username;	/* NULL: omitted */
	char			*avatar_url;	/* NULL: omitted */
};

/* Every field empty: events all, every type, no mention, not silent. */
void	 webhook_init(struct webhook *wh, const char *name);
/* Frees what wh owns and empties it. */
void	 webhook_clear(struct webhook *wh);
/*
 * Parses url (a secret: never quoted in err) into wh->dw, with
 * wh->thread_id as ?thread_id= when set, and keeps a copy in wh->url.
 * 0, or -1 with err set.
 */
int	 webhook_set_url(struct webhook *wh, const char *url, char *err,
	     size_t errsz);
void	 webhook_add_type(struct webhook *wh, const char *type);

/*
 * "<@&ID>", "<@ID>", "<@!ID>" (ID: 1 to 20 digits) or "@here". 0, or -1
 * with the reason in err (which may quote s: a mention is no secret).
 */
int	 webhook_mention_parse(const char *s, struct webhook_mention *m,
	     char *err, size_t errsz);
/* "all", "failures", "successes": 0, or -1. */
int	 webhook_events_parse(const char *s, enum webhook_events *e);
/* "yes", "successes", "no": 0, or -1. */
int	 webhook_silent_parse(const char *s, enum webhook_silent *sl);

/*
 * 1 when an event of type (the handler's type, "invalid" for an invalid
 * event) and outcome success goes to wh, else 0.
 */
int	 webhook_matches(const struct webhook *wh, const char *type, int success);

/*
 * The members the webhook adds to a message, as JSON text to put inside
 * the payload object (no braces, no leading or trailing comma), in this
 * order: "content" (the mention, only when has_failure), "allowed_mentions"
 * (always: exactly the mention when there is one in content, else
 * {"parse":[]}), "flags":4096 (as silent says). Caller frees.
 */
char	*webhook_extras(const struct webhook *wh, int has_failure);
/*
 * Number of characters "content" adds to a message (0 when none), for
 * Discord's 2000-character content limit. The 6000-character limit
 * counts embeds only.
 */
size_t	 webhook_content_chars(const struct webhook *wh, int has_failure);
/*
 * The whole message for n embeds already serialized as compact JSON:
 * username and avatar_url of wh (omitted when NULL), the embeds, then
 * webhook_extras(). Caller frees.
 */
char	*webhook_payload(const struct webhook *wh, const char *const *embeds,
	     size_t n, int has_failure);
/*
 * A plain-text message: username and avatar_url of wh, "content" (cut to
 * Discord's 2000), then webhook_extras(). Caller frees.
 */
char	*webhook_payload_text(const struct webhook *wh, const char *content,
	     int has_failure);

struct config;
struct diag;

/*
 * Every webhook, in the order the notifier gets them (webhook-list.c): the
 * default one first when a URL is set (cli_url, the --webhook value, else
 * DISCORD_WEBHOOK, else [discord] webhook), named "default", taking every
 * event with [discord]'s username and avatar_url; then each [webhook
 * NAME], moved out of cfg (cfg->nwebhooks becomes 0). Registers every URL
 * and token with log_add_secret(). Returns 0, or -1 when the default URL
 * is invalid (reported in d; *out then holds the others only). *out is freed
 * with webhooks_free().
 */
int	 webhooks_resolve(struct config *cfg, const char *cli_url,
	     struct webhook **out, size_t *nout, struct diag *d);
void	 webhooks_free(struct webhook *v, size_t n);

#endif
