/*
 * tool.h -- what the command-line tools (sipeat-publish, sipeat-replay)
 * share: the -V version line and the -X prop=value option.
 *
 * Threads: the tools are single-threaded; their main thread calls these.
 */
#ifndef SIPEAT_TOOL_H
#define SIPEAT_TOOL_H

/* Prints "PROG VERSION (librdkafka X, json-c Y)" on stdout. */
void	tool_version(const char *prog);
/*
 * -X ARG: "list" prints librdkafka's properties and exits 0; otherwise
 * splits "prop=value" into *prop (new, the caller frees it) and *value
 * (pointing into arg). Returns 0, or -1 when arg is not prop=value.
 */
int	tool_prop(const char *arg, char **prop, const char **value);

#endif
