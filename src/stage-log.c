/*
 * stage-log.c -- the `log` action: writes one line at info level.
 *
 *	message = request ${id}: ${data.drinkName} for ${data.customerName}
 *
 * The template is checked when the configuration is read; at run time a
 * field the template names but the event lacks fails the stage (permanent),
 * since the line would otherwise say something untrue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stage.h"
#include "util.h"

#define LOG_DEFAULT_MESSAGE	"${type} ${id}"

static const char *const log_keys[] = { "message", NULL };

static void
log_stage_free(struct stage *st)
{
	free(st->priv);
	st->priv = NULL;
}

static int
log_stage_compile(struct stage *st, const struct stage_conf *sc,
    const char *file, struct diag *d)
{
	const char *message;
	char errbuf[256];
	int line = sc->line;

	message = stage_conf_get(sc, "message", &line);
	if (message == NULL)
		message = LOG_DEFAULT_MESSAGE;
	if (template_validate(message, errbuf, sizeof errbuf) != 0) {
		diag_add(d, file, line, "stage \"%s\": message: %s", st->name,
		    errbuf);
		return -1;
	}
	st->priv = xstrdup(message);
	return 0;
}

static enum stage_status
log_stage_run(const struct stage *st, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	char *text;

	(void)ctx;
	text = template_expand(st->priv, ev, err, errsz);
	if (text == NULL)
		return STAGE_FAIL;
	log_info("stage", "%s: %s", st->name, text);
	free(text);
	return STAGE_OK;
}

const struct stage_action stage_log_action = {
	.name = "log",
	.compile = log_stage_compile,
	.run = log_stage_run,
	.free = log_stage_free,
	.keys = log_keys,
};
