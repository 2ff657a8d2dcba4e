/*
 * webhook-list.c -- every webhook the daemon posts to (SPEC section 9):
 * the default one, whose URL is --webhook, else DISCORD_WEBHOOK, else
 * [discord] webhook (name "default", every event, every type, [discord]'s
 * username and avatar_url), then each [webhook NAME] of the file, in file
 * order. Every URL and token is registered with log_add_secret() before
 * anything could log it.
 *
 * Main thread, before other threads start (webhook.h).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "util.h"
#include "webhook.h"

int
webhooks_resolve(struct config *cfg, const char *cli_url, struct webhook **out,
    size_t *nout, struct diag *d)
{
	const char *url = cli_url, *where;
	struct webhook *v, *def;
	char err[512];
	size_t n = 0;
	int line = 0, rc = 0;

	if (url == NULL || *url == '\0')
		url = getenv("DISCORD_WEBHOOK");
	if (url == NULL || *url == '\0')
		url = cfg->webhook;
	if (url != NULL && *url == '\0')
		url = NULL;
	v = xcalloc(cfg->nwebhooks + 1, sizeof *v);
	if (url != NULL) {
		log_add_secret(url);
		def = &v[n++];
		webhook_init(def, WEBHOOK_DEFAULT_NAME);
		if (cfg->username != NULL)
			def->username = xstrdup(cfg->username);
		if (cfg->avatar_url != NULL)
			def->avatar_url = xstrdup(cfg->avatar_url);
		if (webhook_set_url(def, url, err, sizeof err) == 0)
			log_add_secret(def->dw.token);
		else {
			webhook_clear(def);
			n--;
			if (cli_url != NULL && *cli_url != '\0')
				where = "--webhook";
			else if (url == cfg->webhook) {
				where = cfg->path;
				line = cfg->webhook_line;
			} else
				where = "DISCORD_WEBHOOK";
			diag_add(d, where, line, "%s", err);
			rc = -1;
		}
	}
	/* The sections move here: the configuration keeps none of them. */
	for (size_t i = 0; i < cfg->nwebhooks; i++) {
		v[n] = cfg->webhooks[i];
		if (v[n].url != NULL)
			log_add_secret(v[n].url);
		if (v[n].dw.token != NULL)
			log_add_secret(v[n].dw.token);
		n++;
	}
	free(cfg->webhooks);
	cfg->webhooks = NULL;
	cfg->nwebhooks = 0;
	*out = v;
	*nout = n;
	return rc;
}

void
webhooks_free(struct webhook *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		webhook_clear(&v[i]);
	free(v);
}
