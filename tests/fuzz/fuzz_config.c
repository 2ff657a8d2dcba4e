/*
 * fuzz_config.c -- libFuzzer target for config_load(): the input is
 * written to a temporary file (one per process, rewritten each time) and
 * loaded; every problem must be reported through the diag list, never a
 * crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "fuzz.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	path[64];

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag	 d;
	struct config	*cfg;
	FILE		*fp;
	int		 fd;

	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/sipeat-fuzz-config.XXXXXX");
		fd = mkstemp(path);
		FUZZ_ASSERT(fd != -1);
		close(fd);
		atexit(remove_file);
	}
	fp = fopen(path, "w");
	FUZZ_ASSERT(fp != NULL);
	FUZZ_ASSERT(fwrite(data, 1, size, fp) == size);
	FUZZ_ASSERT(fclose(fp) == 0);

	memset(&d, 0, sizeof d);
	cfg = config_load(path, &d);
	if (cfg != NULL)
		config_free(cfg);
	diag_free(&d);
	return 0;
}
