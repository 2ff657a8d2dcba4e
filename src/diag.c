/* diag.c -- collects configuration problems with file and line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

static void
diag_vadd(struct diag *d, const char *prefix, const char *file, int line,
    const char *fmt, va_list ap)
{
	char *msg, *full;

	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	if (line > 0)
		full = xasprintf("%s:%d: %s%s", file, line, prefix, msg);
	else
		full = xasprintf("%s: %s%s", file, prefix, msg);
	free(msg);
	d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
	d->msgs[d->n++] = full;
}

void
diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, "", file, line, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, "warning: ", file, line, fmt, ap);
	va_end(ap);
	d->nwarn++;
}

size_t
diag_errors(const struct diag *d)
{
	return d->n - d->nwarn;
}

void
diag_print(const struct diag *d, FILE *fp)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(fp, "%s\n", d->msgs[i]);
}

void
diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->nwarn = 0;
}
