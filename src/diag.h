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

/* line <= 0 omits the line number. */
void	diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
	    SIPEAT_PRINTFLIKE(4, 5);
void	diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
	    SIPEAT_PRINTFLIKE(4, 5);
/* Number of errors (warnings not counted). */
size_t	diag_errors(const struct diag *d);
void	diag_print(const struct diag *d, FILE *fp);
void	diag_free(struct diag *d);

#endif
