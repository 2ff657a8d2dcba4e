/*
 * check_main.c -- the one main() of the Check unit suites. Each program
 * tests/check_NAME is tests/check_NAME.c, which defines Suite
 * *suite_NAME(void), and this file compiled with -DSUITE=suite_NAME
 * (Makefile.am). main() runs that suite with CK_NORMAL output; Check's
 * environment (CK_FORK, CK_DEFAULT_TIMEOUT, CK_RUN_CASE ...) applies as it
 * reads it. Set-up for the whole process (libcurl's global state, a
 * quieter log) is the suite function's, which runs first.
 *
 * Exit status: 0 when every test passed, 1 otherwise.
 */
#include <check.h>
#include <stdlib.h>

#ifndef SUITE
#error "compile with -DSUITE=suite_NAME, the suite this program runs"
#endif

Suite	*SUITE(void);

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(SUITE());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
