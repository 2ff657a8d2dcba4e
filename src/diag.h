/*
 * diag.h -- a list of configuration problems, each "FILE:LINE: message".
 * The config loader and the stage compilers append to one list so that
 * --check-config prints every problem in the file, not only the first.
 *
 * Threads: main (configuration time); a struct diag is never shared.
 */
#ifndef SIPEAT_DIAG_H
#define SIPEAT_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

struct diag {
	char	**msgs;		/* owned; each "FILE:LINE: message" or "FILE: message" */
	size_t	  n;
	size_t	  nwarn;	/* how many of msgs are warnings (prefixed "warning: ") */
};

/*
 * Appends a problem: an error, or with warn a warning ("warning: " after
 * the place). line <= 0 omits the line number. Called as diag_add() and
 * diag_warn().
 */
void	diag_report(struct diag *d, int warn, const char *file, int line,
	    const char *fmt, ...) SIPEAT_PRINTFLIKE(5, 6);
#define diag_add(d, file, line, ...) \
	diag_report((d), 0, (file), (line), __VA_ARGS__)
#define diag_warn(d, file, line, ...) \
	diag_report((d), 1, (file), (line), __VA_ARGS__)
/* Number of errors (warnings not counted). */
size_t	diag_errors(const struct diag *d);
void	diag_print(const struct diag *d, FILE *fp);
void	diag_free(struct diag *d);

#endif
