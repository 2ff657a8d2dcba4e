/* diag.c -- collects configuration problems with file and line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"

void
diag_report(struct diag *d, int warn, const char *file, int line,
    const char *fmt, ...)
{
	const char *prefix = warn ? "warning: " : "";
	char *msg, *full;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		abort();
	if (line > 0)
		full = xasprintf("%s:%d: %s%s", file, line, prefix, msg);
	else
		full = xasprintf("%s: %s%s", file, prefix, msg);
	free(msg);
	d->msgs = xreallocarray(d->msgs, d->n + 1, sizeof *d->msgs);
	d->msgs[d->n++] = full;
	if (warn)
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
