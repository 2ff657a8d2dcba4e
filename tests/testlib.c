/*
 * testlib.c -- fixtures shared by the Check suites.
 */
#include <stdio.h>

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
