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
 * Checks one embed as compact JSON: valid UTF-8 and valid JSON, exactly
 * what json-c writes back for it (so plain compact JSON, escaped as JSON
 * requires); at most 25 fields, each name 1..256 and value 1..1024 UTF-16
 * units; title, the description and the footer within their limits; at
 * most 6000 units in all. Aborts on a breach; returns the units counted
 * (Discord's count). tag is printed with the report.
 */
size_t	fuzz_check_discord(const char *json, size_t tag);

#endif
