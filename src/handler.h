/*
 * handler.h -- the three patterns over an array of stages (SPEC section 3):
 * strategy (every stage whose `when` holds runs; any failure fails the
 * event), chain (in order, first failure stops), command (in order; on a
 * failure the undo of every completed stage runs in reverse order).
 *
 * Threads:
 *   handlers_build, handlers_free, handlers_use_action: main
 *   handlers_find, handler_run: workers (the handlers are read only then)
 */
#ifndef SIPEAT_HANDLER_H
#define SIPEAT_HANDLER_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "event.h"
#include "stage.h"

struct handler {
	char			*type;
	char			*topic;
	char			*title;
	char			*icon;
	enum handler_pattern	 pattern;
	struct stage		**stages;	/* owned */
	size_t			 nstages;
	/*
	 * Owned: the compiled targets of `undo` (command only). stages[i]->undo
	 * points into this array; one entry per distinct undo stage name.
	 */
	struct stage		**undo_stages;
	size_t			 nundo;
};

struct handlers {
	struct handler		*v;
	size_t			 n;
};

/*
 * Compiles every [handler] of cfg with its stages. Problems are appended to
 * d with file:line. Returns NULL if any error was found.
 */
struct handlers		*handlers_build(const struct config *cfg, struct diag *d);
void			 handlers_free(struct handlers *hs);
const struct handler	*handlers_find(const struct handlers *hs, const char *type);
/* Non-zero when a stage or undo of any handler uses action a. */
int			 handlers_use_action(const struct handlers *hs,
			     const struct stage_action *a);
/*
 * Runs h for ev. Returns 0 on success; -1 on failure with err naming the
 * failing stage(s): "payment: card declined" (strategy joins several with "; ").
 */
int			 handler_run(const struct handler *h, const struct event *ev,
			     struct stage_ctx *ctx, char *err, size_t errsz);

#endif
