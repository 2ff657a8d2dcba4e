/*
 * testlib.h -- fixtures shared by the Check suites (tests/check_*.c).
 */
#ifndef SIPEAT_TESTLIB_H
#define SIPEAT_TESTLIB_H

/*
 * The whole of a file, at most 1 MiB, NUL-terminated; NULL when it cannot
 * be opened (a file a test waits for may not exist yet). Caller frees.
 */
char	*test_slurp(const char *path);

#endif
