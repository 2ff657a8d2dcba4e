/*
 * testlib.h -- fixtures shared by the Check suites (tests/check_*.c).
 */
#ifndef SIPEAT_TESTLIB_H
#define SIPEAT_TESTLIB_H

#include <stdarg.h>

#include "diag.h"
#include "stage.h"

/*
 * The whole of a file, at most 1 MiB, NUL-terminated; NULL when it cannot
 * be opened (a file a test waits for may not exist yet). Caller frees.
 */
char	*test_slurp(const char *path);
/*
 * Compiles a stage named name, for a handler of the given pattern, from
 * key/value string pairs ending with NULL (lines 2, 3, ... of "t.conf").
 * NULL when it does not compile; problems go to d.
 */
struct stage	*test_stage_compile_v(struct diag *d, enum handler_pattern pattern,
		    const char *name, va_list ap);
/* The same for a chain handler, with the pairs as arguments. */
struct stage	*test_stage_compile(struct diag *d, const char *name, ...);
/* 1 when a message of d contains text; else prints them all and 0. */
int	 test_has_msg(const struct diag *d, const char *text);

#endif
