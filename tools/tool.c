/*
 * tool.c -- the options the command-line tools share (tool.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

#include "tool.h"
#include "util.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

void
tool_version(const char *prog)
{
	printf("%s %s (librdkafka %s, json-c %s)\n", prog, PACKAGE_VERSION,
	    rd_kafka_version_str(), json_c_version());
}

int
tool_prop(const char *arg, char **prop, const char **value)
{
	const char *eq;

	if (strcmp(arg, "list") == 0) {
		rd_kafka_conf_properties_show(stdout);
		exit(0);
	}
	eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		return -1;
	*prop = xstrndup(arg, (size_t)(eq - arg));
	*value = eq + 1;
	return 0;
}
