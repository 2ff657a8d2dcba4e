/*
 * config-stage.c -- the pipeline sections of the configuration: [handler
 * TYPE] (its keys from a table, the three SipEat types' defaults) and
 * [stage NAME] (its keys kept in file order, repeats kept, for the stage
 * compilers), and the checks that need both: every listed stage defined,
 * every stage with an action and used. What a stage's keys mean is the
 * stage compilers' (stage*.c).
 *
 * Main thread, before other threads start (config.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "util.h"

static const struct config_key handler_keys[] = {
	{ "topic", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, topic) },
	{ "pattern", TYPE_PATTERN, 0, 0,
	    offsetof(struct handler_conf, pattern) },
	{ "title", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, title) },
	{ "icon", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, icon) },
	{ "stages", TYPE_STAGES, 0, 0, offsetof(struct handler_conf, stages) },
};
#define NHANDLER_KEYS	(sizeof handler_keys / sizeof handler_keys[0])
_Static_assert(NHANDLER_KEYS == CONFIG_NHANDLER_KEYS, "config-int.h");

/* Defaults of the three SipEat event types (SPEC sections 2 to 4). */
static const struct {
	const char		*type;
	const char		*topic;
	enum handler_pattern	 pattern;
	const char		*title;
	const char		*icon;
} builtin_handlers[] = {
	{ "contact.created", "sipeat.contact.events", PATTERN_STRATEGY,
	    "New Contact Form Submission", "\xf0\x9f\x93\x9d" },	/* 📝 */
	{ "request.created", "sipeat.request.events", PATTERN_CHAIN,
	    "New Drink Request", "\xf0\x9f\xa5\xa4" },		/* 🥤 */
	{ "machine.created", "sipeat.machine.events", PATTERN_COMMAND,
	    "New Machine Registered", "\xf0\x9f\x8f\xad" },		/* 🏭 */
};
#define DEFAULT_ICON	"\xf0\x9f\x93\xa8"				/* 📨 */

const char *const config_pattern_names[3] = { "strategy", "chain", "command" };

static struct handler_conf *
config_handler(const struct config *cfg, const char *type)
{
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		if (strcmp(cfg->handlers[i].type, type) == 0)
			return &cfg->handlers[i];
	}
	return NULL;
}

/*
 * A [KIND NAME] seen before (first: the line of the first, NULL when it
 * is new): reported, and its keys ignored. Returns 1 then, else 0.
 */
static int
section_repeated(struct config_ctx *ctx, const char *kind, const char *name,
    const int *first, int line)
{
	if (first == NULL)
		return 0;
	config_problem(ctx, line, 0, "duplicate [%s %s] (first at line %d)",
	    kind, name, *first);
	ctx->section = SECTION_IGNORE;
	return 1;
}

/* Grows v, an array of n elements of size bytes, by one zeroed element. */
static void *
grow_one(void *v, size_t n, size_t size)
{
	v = xreallocarray(v, n + 1, size);
	memset((char *)v + n * size, 0, size);
	return v;
}

/* Starts [handler TYPE] at line: a new handler with the type's defaults. */
void
config_begin_handler(struct config_ctx *ctx, const char *type, int line)
{
	struct config		*cfg = ctx->cfg;
	struct handler_conf	*hc, *prev;
	size_t			 i;

	prev = config_handler(cfg, type);
	if (section_repeated(ctx, "handler", type,
	    prev != NULL ? &prev->line : NULL, line))
		return;
	cfg->handlers = grow_one(cfg->handlers, cfg->nhandlers,
	    sizeof *cfg->handlers);
	hc = &cfg->handlers[cfg->nhandlers];
	hc->type = xstrdup(type);
	hc->line = line;
	hc->pattern = PATTERN_CHAIN;
	for (i = 0; i < sizeof builtin_handlers / sizeof builtin_handlers[0];
	    i++) {
		if (strcmp(builtin_handlers[i].type, type) == 0)
			break;
	}
	if (i < sizeof builtin_handlers / sizeof builtin_handlers[0]) {
		hc->topic = xstrdup(builtin_handlers[i].topic);
		hc->pattern = builtin_handlers[i].pattern;
		hc->title = xstrdup(builtin_handlers[i].title);
		hc->icon = xstrdup(builtin_handlers[i].icon);
	} else {
		hc->title = xstrdup(type);
		hc->icon = xstrdup(DEFAULT_ICON);
	}
	ctx->cur = cfg->nhandlers++;
	ctx->section = SECTION_HANDLER;
	memset(ctx->handler_seen, 0, sizeof ctx->handler_seen);
}

/* Starts [stage NAME] at line. */
void
config_begin_stage(struct config_ctx *ctx, const char *name, int line)
{
	struct config		*cfg = ctx->cfg;
	const struct stage_conf	*prev;
	struct stage_conf	*sc;

	prev = config_stage(cfg, name);
	if (section_repeated(ctx, "stage", name,
	    prev != NULL ? &prev->line : NULL, line))
		return;
	cfg->stages = grow_one(cfg->stages, cfg->nstages, sizeof *cfg->stages);
	sc = &cfg->stages[cfg->nstages];
	sc->name = xstrdup(name);
	sc->line = line;
	ctx->cur = cfg->nstages++;
	ctx->section = SECTION_STAGE;
}

/* One key of the current [handler TYPE]. */
void
config_handler_key(struct config_ctx *ctx, const char *name,
    const char *value, int line)
{
	struct handler_conf	*hc = &ctx->cfg->handlers[ctx->cur];
	char			*label;

	label = xasprintf("handler %s", hc->type);
	config_table_key(ctx, label, handler_keys, NHANDLER_KEYS,
	    ctx->handler_seen, hc, name, value, line);
	free(label);
}

/* One key of the current [stage NAME]: kept as it is, in file order. */
void
config_stage_key(struct config_ctx *ctx, const char *name, const char *value,
    int line)
{
	struct stage_conf	*sc = &ctx->cfg->stages[ctx->cur];

	config_kv_add(&sc->kv, &sc->nkv, name, value, line);
}

/* Sets the stage list of a handler from "a b c". */
void
config_set_stages(struct config_ctx *ctx, struct handler_conf *hc,
    const char *v, int line)
{
	const char	*p = v, *start;
	char		*name, *q;
	size_t		 i;

	for (i = 0; i < hc->nstages; i++)
		free(hc->stages[i]);
	free(hc->stages);
	hc->stages = NULL;
	hc->nstages = 0;
	hc->stages_line = line;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		name = xstrndup(start, (size_t)(p - start));
		if (!config_name_valid(name)) {
			q = config_quote(name);
			config_problem(ctx, line, 0, "stages: invalid stage "
			    "name %s", q);
			free(q);
			free(name);
			continue;
		}
		for (i = 0; i < hc->nstages; i++) {
			if (strcmp(hc->stages[i], name) == 0)
				break;
		}
		if (i < hc->nstages) {
			config_problem(ctx, line, 0, "stages: stage \"%s\" "
			    "listed twice", name);
			free(name);
			continue;
		}
		hc->stages = xreallocarray(hc->stages, hc->nstages + 1,
		    sizeof *hc->stages);
		hc->stages[hc->nstages++] = name;
	}
}

/* Whether stage name is listed by a handler or is some stage's undo. */
static int
config_stage_used(const struct config *cfg, const char *name)
{
	size_t	i, j;

	for (i = 0; i < cfg->nhandlers; i++) {
		for (j = 0; j < cfg->handlers[i].nstages; j++) {
			if (strcmp(cfg->handlers[i].stages[j], name) == 0)
				return 1;
		}
	}
	for (i = 0; i < cfg->nstages; i++) {
		for (j = 0; j < cfg->stages[i].nkv; j++) {
			if (strcmp(cfg->stages[i].kv[j].key, "undo") == 0 &&
			    strcmp(cfg->stages[i].kv[j].value, name) == 0)
				return 1;
		}
	}
	return 0;
}

/* The checks of handlers and stages that need the whole file. */
void
config_check_stages(struct config_ctx *ctx)
{
	struct config			*cfg = ctx->cfg;
	const struct handler_conf	*hc;
	const struct stage_conf		*sc;
	size_t				 i, j;

	for (i = 0; i < cfg->nhandlers; i++) {
		hc = &cfg->handlers[i];
		if (hc->topic == NULL) {
			config_problem(ctx, hc->line, 0, "handler %s: topic is "
			    "required (no default for this type)", hc->type);
		}
		for (j = 0; j < hc->nstages; j++) {
			if (config_stage(cfg, hc->stages[j]) == NULL) {
				config_problem(ctx, hc->stages_line, 0,
				    "handler %s: stage \"%s\" is not defined",
				    hc->type, hc->stages[j]);
			}
		}
	}
	for (i = 0; i < cfg->nstages; i++) {
		sc = &cfg->stages[i];
		if (stage_conf_get(sc, "action", NULL) == NULL) {
			config_problem(ctx, sc->line, 0, "stage \"%s\": action "
			    "is required", sc->name);
		}
		if (!config_stage_used(cfg, sc->name)) {
			config_problem(ctx, sc->line, 1, "stage \"%s\" is not "
			    "used by any handler", sc->name);
		}
	}
}

void
config_free_stages(struct config *cfg)
{
	size_t	i, j;

	for (i = 0; i < cfg->nhandlers; i++) {
		free(cfg->handlers[i].type);
		free(cfg->handlers[i].topic);
		free(cfg->handlers[i].title);
		free(cfg->handlers[i].icon);
		for (j = 0; j < cfg->handlers[i].nstages; j++)
			free(cfg->handlers[i].stages[j]);
		free(cfg->handlers[i].stages);
	}
	free(cfg->handlers);
	for (i = 0; i < cfg->nstages; i++) {
		free(cfg->stages[i].name);
		config_kv_free(cfg->stages[i].kv, cfg->stages[i].nkv);
	}
	free(cfg->stages);
}

/* The [stage NAME] section (borrowed from cfg), or NULL. */
const struct stage_conf *
config_stage(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nstages; i++) {
		if (strcmp(cfg->stages[i].name, name) == 0)
			return &cfg->stages[i];
	}
	return NULL;
}

/*
 * The value of the first key in sc (borrowed), or NULL; *line (if line
 * is not NULL) is set to its line, or 0 when absent.
 */
const char *
stage_conf_get(const struct stage_conf *sc, const char *key, int *line)
{
	for (size_t i = 0; i < sc->nkv; i++) {
		if (strcmp(sc->kv[i].key, key) == 0) {
			if (line != NULL)
				*line = sc->kv[i].line;
			return sc->kv[i].value;
		}
	}
	if (line != NULL)
		*line = 0;
	return NULL;
}

/* "strategy", "chain" or "command" (static). */
const char *
pattern_name(enum handler_pattern p)
{
	if ((size_t)p < sizeof config_pattern_names /
	    sizeof config_pattern_names[0])
		return config_pattern_names[p];
	return "unknown";
}
