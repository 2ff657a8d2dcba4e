/* metrics.c -- the one instance of the process counters. */
#include "metrics.h"

struct metrics metrics;
