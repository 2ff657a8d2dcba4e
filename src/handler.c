/*
 * handler.c -- builds the handlers from the configuration and runs the
 * three patterns over their stages (SPEC section 3).
 *
 * A stage section may be named by several handlers, and each handler's
 * pattern decides what the section may contain (`when` for strategy, `undo`
 * for command), so every handler compiles its own copy of each stage it
 * uses. The undo targets of a command handler are compiled once per handler
 * into h->undo_stages, which owns them; stages[i]->undo only borrows. An
 * undo target need not be listed in `stages`, and its own `undo` key is
 * ignored: an undo is never undone.
 *
 * Compiling the same section twice for the same pattern would report the
 * same problems twice; the builder remembers which (section, pattern) pairs
 * it has reported and sends the diagnostics of repeats to a scratch list.
 *
 * Handlers are read-only once built: handler_run() is called by every
 * worker at once and keeps all its state on the stack.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

/* Longest reason kept from one stage before it is joined into err. */
#define HANDLER_REASON_MAX	1024

/* Which (stage section, pattern) pairs have already been reported. */
struct handler_seen {
	const char		**names;	/* borrowed from the config */
	enum handler_pattern	 *patterns;
	size_t			  n;
};

struct handler_build {
	const struct config	*cfg;
	struct diag		*d;
	struct diag		 scratch;	/* dropped: repeats' problems */
	struct handler_seen	 seen;
};

/*
 * The list a compile of (name, pattern) reports to: d the first time, the
 * scratch list afterwards.
 */
static struct diag *
handler_diag_for(struct handler_build *b, const char *name,
    enum handler_pattern pattern)
{
	struct handler_seen *s = &b->seen;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->patterns[i] == pattern && strcmp(s->names[i], name) == 0)
			return &b->scratch;
	}
	s->names = xreallocarray(s->names, s->n + 1, sizeof *s->names);
	s->patterns = xreallocarray(s->patterns, s->n + 1,
	    sizeof *s->patterns);
	s->names[s->n] = name;
	s->patterns[s->n] = pattern;
	s->n++;
	return b->d;
}

/*
 * Returns h's compiled undo stage called name, compiling it on first use.
 * NULL when it cannot be compiled (reported) or, with *undefined set, when
 * no such section exists.
 */
static struct stage *
handler_undo_stage(struct handler_build *b, struct handler *h,
    const char *name, int *undefined)
{
	const struct stage_conf *sc;
	struct stage *st;
	const char *ignored;
	size_t i;

	*undefined = 0;
	for (i = 0; i < h->nundo; i++) {
		if (strcmp(h->undo_stages[i]->name, name) == 0)
			return h->undo_stages[i];
	}
	sc = config_stage(b->cfg, name);
	if (sc == NULL) {
		*undefined = 1;
		return NULL;
	}
	/* The undo target's own undo (ignored) is not checked either. */
	st = stage_compile(sc, h->pattern, b->cfg->path,
	    handler_diag_for(b, sc->name, h->pattern), &ignored);
	if (st == NULL)
		return NULL;
	h->undo_stages = xreallocarray(h->undo_stages, h->nundo + 1,
	    sizeof *h->undo_stages);
	h->undo_stages[h->nundo++] = st;
	return st;
}

static void
handler_build_one(struct handler_build *b, struct handler *h,
    const struct handler_conf *hc)
{
	const struct stage_conf *sc;
	struct stage *st;
	struct diag *d;
	const char *undo_name;
	size_t i;
	int line, undefined;

	h->type = xstrdup(hc->type);
	h->topic = hc->topic != NULL ? xstrdup(hc->topic) : NULL;
	h->title = hc->title != NULL ? xstrdup(hc->title) : NULL;
	h->icon = hc->icon != NULL ? xstrdup(hc->icon) : NULL;
	h->pattern = hc->pattern;
	h->stages = xcalloc(hc->nstages + 1, sizeof *h->stages);

	for (i = 0; i < hc->nstages; i++) {
		/* config_load() has already reported undefined stages. */
		sc = config_stage(b->cfg, hc->stages[i]);
		if (sc == NULL)
			continue;
		d = handler_diag_for(b, sc->name, hc->pattern);
		st = stage_compile(sc, hc->pattern, b->cfg->path, d,
		    &undo_name);
		if (st == NULL)
			continue;
		h->stages[h->nstages++] = st;
		if (undo_name == NULL)
			continue;
		st->undo = handler_undo_stage(b, h, undo_name, &undefined);
		if (undefined) {
			line = sc->line;
			stage_conf_get(sc, "undo", &line);
			diag_add(d, b->cfg->path, line, "stage \"%s\": undo "
			    "stage \"%s\" is not defined", sc->name,
			    undo_name);
		}
	}
}

/*
 * Compiles every handler of cfg. Returns the handlers (free with
 * handlers_free()), or NULL when this found any error, each appended to d
 * with file and line. Startup only.
 */
struct handlers *
handlers_build(const struct config *cfg, struct diag *d)
{
	struct handler_build b;
	struct handlers *hs;
	size_t errors = diag_errors(d), i;

	memset(&b, 0, sizeof b);
	b.cfg = cfg;
	b.d = d;

	hs = xcalloc(1, sizeof *hs);
	hs->v = xcalloc(cfg->nhandlers + 1, sizeof *hs->v);
	for (i = 0; i < cfg->nhandlers; i++)
		handler_build_one(&b, &hs->v[hs->n++], &cfg->handlers[i]);

	diag_free(&b.scratch);
	free(b.seen.names);
	free(b.seen.patterns);
	if (diag_errors(d) != errors) {
		handlers_free(hs);
		return NULL;
	}
	return hs;
}

/* Frees hs with every compiled stage. NULL is allowed. No worker may run. */
void
handlers_free(struct handlers *hs)
{
	struct handler *h;
	size_t i, j;

	if (hs == NULL)
		return;
	for (i = 0; i < hs->n; i++) {
		h = &hs->v[i];
		for (j = 0; j < h->nstages; j++)
			stage_free(h->stages[j]);
		for (j = 0; j < h->nundo; j++)
			stage_free(h->undo_stages[j]);
		free(h->stages);
		free(h->undo_stages);
		free(h->type);
		free(h->topic);
		free(h->title);
		free(h->icon);
	}
	free(hs->v);
	free(hs);
}

/* The handler for an event type, or NULL. Any thread. */
const struct handler *
handlers_find(const struct handlers *hs, const char *type)
{
	size_t i;

	if (hs == NULL || type == NULL)
		return NULL;
	for (i = 0; i < hs->n; i++) {
		if (strcmp(hs->v[i].type, type) == 0)
			return &hs->v[i];
	}
	return NULL;
}

/*
 * Non-zero when a stage (or an undo) of any handler in hs uses the action
 * a: sipeatd.c creates the producer only when something needs it. Startup.
 */
int
handlers_use_action(const struct handlers *hs, const struct stage_action *a)
{
	size_t i, j;

	for (i = 0; hs != NULL && i < hs->n; i++) {
		for (j = 0; j < hs->v[i].nstages; j++) {
			if (hs->v[i].stages[j]->action == a)
				return 1;
		}
		for (j = 0; j < hs->v[i].nundo; j++) {
			if (hs->v[i].undo_stages[j]->action == a)
				return 1;
		}
	}
	return 0;
}

/* Appends to err, truncating (never overflowing) when it is full. */
static void SIPEAT_PRINTFLIKE(3, 4)
handler_errcat(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (errsz == 0)
		return;
	len = strnlen(err, errsz);
	if (len + 1 >= errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err + len, errsz - len, fmt, ap);
	va_end(ap);
}

/*
 * Runs one stage with its retry policy, times it and logs the outcome at
 * debug. *t is the clock at the stage's start (now_ns()) and becomes the
 * clock at its end: one read per stage boundary, the end of one stage
 * being the start of the next (clock_gettime() cost as much as a
 * validate stage).
 */
static enum stage_status
handler_stage(const struct handler *h, const struct stage *st,
    const struct event *ev, struct stage_ctx *ctx, char *reason,
    size_t reasonsz, uint64_t *t)
{
	enum stage_status status;
	uint64_t start = *t;

	status = stage_run(st, ev, ctx, reason, reasonsz);
	*t = now_ns();
	/* sipeatd_stage_duration_seconds */
	metrics_stage_observe(st->metric, st->name, *t - start);
	if (status == STAGE_OK) {
		log_debug("handler", "%s %s: stage %s ok in %lld ms", h->type,
		    ev->id, st->name, (long long)((*t - start) / 1000000));
	} else {
		log_debug("handler", "%s %s: stage %s failed in %lld ms: %s",
		    h->type, ev->id, st->name,
		    (long long)((*t - start) / 1000000), reason);
	}
	return status;
}

static int
handler_run_strategy(const struct handler *h, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct stage *st;
	char reason[HANDLER_REASON_MAX];
	size_t i;
	uint64_t t = now_ns();
	int failed = 0;

	for (i = 0; i < h->nstages; i++) {
		st = h->stages[i];
		if (st->when != NULL && !event_truthy_path(ev, st->when)) {
			log_debug("handler", "%s %s: stage %s skipped: %s is "
			    "empty or missing", h->type, ev->id, st->name,
			    event_path_text(st->when));
			continue;
		}
		if (handler_stage(h, st, ev, ctx, reason, sizeof reason, &t) ==
		    STAGE_OK)
			continue;
		handler_errcat(err, errsz, "%s%s: %s", failed ? "; " : "",
		    st->name, reason);
		failed = 1;
	}
	return failed ? -1 : 0;
}

/*
 * Runs the undo of every stage before failed, latest first. An undo that
 * fails does not stop the others: each is independent compensation.
 */
static void
handler_undo(const struct handler *h, size_t failed, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct stage *st;
	char reason[HANDLER_REASON_MAX];
	size_t i;

	for (i = failed; i-- > 0;) {
		st = h->stages[i];
		if (st->undo == NULL)
			continue;
		if (stage_run(st->undo, ev, ctx, reason, sizeof reason) ==
		    STAGE_OK) {
			log_info("handler", "%s %s: undid %s with %s", h->type,
			    ev->id, st->name, st->undo->name);
			continue;
		}
		log_error("handler", "%s %s: undo of %s (stage %s) failed: %s",
		    h->type, ev->id, st->name, st->undo->name, reason);
		handler_errcat(err, errsz, " (undo %s failed: %s)", st->name,
		    reason);
	}
}

/*
 * chain and command: the stages in order, the first failure stops them;
 * a command then undoes what had succeeded.
 */
static int
handler_run_sequence(const struct handler *h, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	const struct stage *st;
	char reason[HANDLER_REASON_MAX];
	size_t i;
	uint64_t t = now_ns();

	for (i = 0; i < h->nstages; i++) {
		st = h->stages[i];
		if (handler_stage(h, st, ev, ctx, reason, sizeof reason, &t) ==
		    STAGE_OK)
			continue;
		handler_errcat(err, errsz, "%s: %s", st->name, reason);
		if (h->pattern == PATTERN_COMMAND)
			handler_undo(h, i, ev, ctx, err, errsz);
		return -1;
	}
	return 0;
}

/*
 * Runs h's stages for ev by h's pattern. Returns 0, or -1 with err naming
 * the failed stage(s) and any failed undo. Called by any worker at once;
 * ctx belongs to the caller.
 */
int
handler_run(const struct handler *h, const struct event *ev,
    struct stage_ctx *ctx, char *err, size_t errsz)
{
	if (errsz > 0)
		err[0] = '\0';
	switch (h->pattern) {
	case PATTERN_STRATEGY:
		return handler_run_strategy(h, ev, ctx, err, errsz);
	case PATTERN_CHAIN:
	case PATTERN_COMMAND:
		return handler_run_sequence(h, ev, ctx, err, errsz);
	}
	snprintf(err, errsz, "unknown pattern %d", (int)h->pattern);
	return -1;
}
