/*
 * testlib.c -- fixtures shared by the Check suites.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "testlib.h"
#include "util.h"

#define SLURP_MAX	(1 << 20)

char *
test_slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = xmalloc(SLURP_MAX);
	n = fread(buf, 1, SLURP_MAX - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

struct stage *
test_stage_compile_v(struct diag *d, enum handler_pattern pattern,
    const char *name, va_list ap)
{
	struct stage_conf sc;
	struct stage *st;
	const char *key, *undo;
	size_t i;

	memset(&sc, 0, sizeof sc);
	sc.name = xstrdup(name);
	sc.line = 1;
	while ((key = va_arg(ap, const char *)) != NULL) {
		sc.kv = xreallocarray(sc.kv, sc.nkv + 1, sizeof *sc.kv);
		sc.kv[sc.nkv].key = xstrdup(key);
		sc.kv[sc.nkv].value = xstrdup(va_arg(ap, const char *));
		sc.kv[sc.nkv].line = (int)sc.nkv + 2;
		sc.nkv++;
	}
	st = stage_compile(&sc, pattern, "t.conf", d, &undo);
	for (i = 0; i < sc.nkv; i++) {
		free(sc.kv[i].key);
		free(sc.kv[i].value);
	}
	free(sc.kv);
	free(sc.name);
	return st;
}

struct stage *
test_stage_compile(struct diag *d, const char *name, ...)
{
	struct stage *st;
	va_list ap;

	va_start(ap, name);
	st = test_stage_compile_v(d, PATTERN_CHAIN, name, ap);
	va_end(ap);
	return st;
}

int
test_has_msg(const struct diag *d, const char *text)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strstr(d->msgs[i], text) != NULL)
			return 1;
	}
	for (i = 0; i < d->n; i++)
		fprintf(stderr, "have: %s\n", d->msgs[i]);
	return 0;
}
