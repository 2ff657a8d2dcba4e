/*
 * fuzz.h -- helpers shared by the libFuzzer targets in tests/fuzz: an
 * assertion that aborts (so libFuzzer records the input) and an
 * independent checker of Discord's embed limits, both
 * written here without the project's own code.
 */
#ifndef SIPEAT_FUZZ_H
#define SIPEAT_FUZZ_H

#include <stddef.h>

#include "textcheck.h"	/* text_utf8_strict() and the other oracles */

#define FUZZ_ASSERT(c) fuzz_assert((c) ? 1 : 0, #c, __FILE__, __LINE__)

void	fuzz_assert(int ok, const char *what, const char *file, int line);
/*
 * Checks one embed as compact JSON: valid UTF-8 and valid JSON; at most
 * 25 fields, each name 1..256 and value 1..1024 code points; title, the
 * description and the footer within their limits; at most 6000 code
 * points in all. Aborts on a breach. tag is printed with the report.
 */
void	fuzz_check_discord(const char *json, size_t tag);

#endif
