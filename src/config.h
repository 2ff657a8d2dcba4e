/*
 * config.h -- the INI configuration (SPEC section 7), read through inih.
 * One struct filled from the file; read-only once threads start.
 *
 * config_load() checks the sections it owns ([kafka] key syntax, [sipeatd],
 * [discord], [webhook NAME], [handler TYPE]) and that every stage a handler
 * names exists.
 * Action-specific stage keys are checked by handler_build() (handler.h),
 * which appends to the same diag. [kafka] values are only checked by
 * rd_kafka_conf_set() in the consumer, which also names file:line.
 *
 * Threads: main, before any other thread starts; the loaded struct
 * config is read-only afterwards and read by every thread.
 *   config_new, config_load, config_free, config_set_kafka: main
 *   config_kafka, config_stage, stage_conf_get, pattern_name: any (read only)
 */
#ifndef SIPEAT_CONFIG_H
#define SIPEAT_CONFIG_H

#include <stddef.h>

#include "diag.h"
#include "webhook.h"

/*
 * Longest line accepted in a config file, in bytes, without its line end.
 * A longer line is reported as "FILE:LINE: line too long" and skipped.
 */
#define CONFIG_LINE_MAX	65536

struct config_kv {
	char	*key;
	char	*value;
	int	 line;		/* 0 when set from the command line */
};

enum handler_pattern {
	PATTERN_STRATEGY,
	PATTERN_CHAIN,
	PATTERN_COMMAND,
};

enum ordering {
	ORDERING_KEY,
	ORDERING_PARTITION,
	ORDERING_NONE,
};

struct stage_conf {
	char			*name;
	int			 line;		/* line of the [stage NAME] header */
	struct config_kv	*kv;		/* every key in file order, repeats kept */
	size_t			 nkv;
};

struct handler_conf {
	char			*type;		/* "contact.created" */
	int			 line;		/* line of the [handler TYPE] header */
	char			*topic;		/* default: built-in table, else required */
	enum handler_pattern	 pattern;
	char			*title;
	char			*icon;
	char			**stages;	/* names, in order */
	size_t			 nstages;
	int			 stages_line;
};

struct config {
	char			*path;		/* file it came from ("(defaults)" if none) */

	struct config_kv	*kafka;		/* [kafka] + -b -g -X, in order */
	size_t			 nkafka;

	/* [sipeatd] */
	int			 workers;		/* 0: number of CPUs, at least 2 */
	size_t			 queue_size;		/* power of two, default 1024 */
	size_t			 max_inflight;		/* default 10000 */
	enum ordering		 ordering;		/* default key */
	char			*dlq_topic;		/* default "sipeat.dlq"; "" disables */
	int			 shutdown_timeout_ms;	/* default 10000 */

	/* [discord] */
	char			*webhook;		/* NULL when unset */
	int			 webhook_line;
	char			*username;		/* default "SipEat" */
	char			*avatar_url;		/* NULL when unset */
	int			 linger_ms;		/* default 1000 */
	size_t			 discord_queue_size;	/* default 10000 */
	int			 group_failures;	/* default 3, 0: off */

	/* [webhook NAME], in file order; urls parsed, username inherited */
	struct webhook		*webhooks;
	size_t			 nwebhooks;

	struct handler_conf	*handlers;
	size_t			 nhandlers;
	struct stage_conf	*stages;
	size_t			 nstages;
};

/* A config with every default and no handlers. */
struct config		*config_new(void);
/*
 * Reads path into a new config. Returns NULL when the file cannot be read
 * (reason in d). Otherwise returns the config; problems found are appended
 * to d (diag_errors(d) > 0 means the file is invalid).
 */
struct config		*config_load(const char *path, struct diag *d);
void			 config_free(struct config *cfg);
/* Sets (replacing) a [kafka] property, as -b, -g and -X do. */
void			 config_set_kafka(struct config *cfg, const char *key, const char *value);
/* The [kafka] value for key, or NULL. */
const char		*config_kafka(const struct config *cfg, const char *key);
const struct stage_conf	*config_stage(const struct config *cfg, const char *name);
/* The value of key in a stage section (first occurrence), or NULL; *line set if non-NULL. */
const char		*stage_conf_get(const struct stage_conf *sc, const char *key, int *line);
const char		*pattern_name(enum handler_pattern p);

#endif
