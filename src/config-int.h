/*
 * config-int.h -- what the three parts of the configuration loader share,
 * and nothing outside them includes: config.c (the load, the problems,
 * the [kafka], [sipeatd] and [discord] keys, the whole-file checks),
 * config-read.c (the line reader inih reads through, and the section
 * headers) and config-stage.c (the [handler TYPE] and [stage NAME]
 * sections and their checks) and config-webhook.c ([webhook NAME]).
 *
 * Threads: the main thread, before any other thread starts (config.h).
 */
#ifndef SIPEAT_CONFIG_INT_H
#define SIPEAT_CONFIG_INT_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "util.h"

/* Longest value quoted back in a message, in bytes. */
#define CONFIG_QUOTE_MAX	64

/* Keys of the table-driven sections (the tables are checked against these). */
#define CONFIG_NSIPEATD_KEYS	6
#define CONFIG_NDISCORD_KEYS	6
#define CONFIG_NHANDLER_KEYS	5
#define CONFIG_NWEBHOOK_KEYS	8

enum config_section {
	SECTION_NONE,		/* before the first header */
	SECTION_IGNORE,		/* after a bad, unknown or duplicate header */
	SECTION_KAFKA,
	SECTION_SIPEATD,
	SECTION_DISCORD,
	SECTION_HANDLER,
	SECTION_STAGE,
	SECTION_WEBHOOK,
};

enum config_type {
	TYPE_INT,		/* int in [min, max] */
	TYPE_SIZE,		/* size_t in [min, max] */
	TYPE_POW2,		/* size_t, power of two in [min, max] */
	TYPE_ORDERING,
	TYPE_PATTERN,
	TYPE_STRING,		/* char *, may be empty */
	TYPE_NONEMPTY,		/* char *, must not be empty */
	TYPE_OPTIONAL,		/* char *, empty means NULL */
	TYPE_NAME,		/* char *, 1 to max UTF-16 units */
	TYPE_WEBHOOK,		/* char *, empty means NULL; a secret */
	TYPE_STAGES,		/* handler stage list */
	/* [webhook NAME] (config-webhook.c) */
	TYPE_HOOK_URL,		/* char *, a secret, required */
	TYPE_HOOK_EVENTS,	/* enum webhook_events */
	TYPE_HOOK_TYPES,	/* space-separated event types */
	TYPE_HOOK_MENTION,	/* struct webhook_mention */
	TYPE_HOOK_SILENT,	/* enum webhook_silent */
	TYPE_HOOK_THREAD,	/* char *, digits */
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	unsigned long long	 min;
	unsigned long long	 max;
	size_t			 off;	/* in struct config, handler_conf or webhook */
};

struct config_problem {
	int	 line;
	int	 warn;
	size_t	 seq;		/* keeps messages of one line in order */
	char	*msg;
};

struct config_ctx {
	const char		*path;
	FILE			*fp;
	struct config		*cfg;

	int			 lineno;
	char			*buf;		/* CONFIG_LINE_MAX + 2 bytes */
	char			*out;		/* what the reader hands inih */
	size_t			 outlen;
	size_t			 outoff;	/* delivered so far */
	int			 read_errno;

	enum config_section	 section;
	size_t			 cur;		/* current handler or stage */
	int			 sipeatd_seen[CONFIG_NSIPEATD_KEYS];
	int			 discord_seen[CONFIG_NDISCORD_KEYS];
	int			 handler_seen[CONFIG_NHANDLER_KEYS];
	int			 webhook_seen[CONFIG_NWEBHOOK_KEYS];

	struct config_problem	*probs;
	size_t			 nprobs;
};

/* config.c */
/* Records a problem at line (a warning if warn) for config_load(). */
void	 config_problem(struct config_ctx *ctx, int line, int warn,
	     const char *fmt, ...) SIPEAT_PRINTFLIKE(4, 5);
/*
 * A copy of v for a message, cut after CONFIG_QUOTE_MAX bytes on a UTF-8
 * boundary ("..." appended), with quotes if quote (config_quote: always).
 * Caller frees.
 */
char	*config_cut(const char *v, int quote);
char	*config_quote(const char *v);
/* Section, stage and handler names: [A-Za-z0-9._-]+. */
int	 config_name_valid(const char *s);
void	 config_kv_add(struct config_kv **v, size_t *n, const char *key,
	     const char *value, int line);
void	 config_kv_free(struct config_kv *v, size_t n);
/*
 * A key of a table-driven section: unknown keys are errors listing the
 * valid ones; a repeated key is a warning and the last value wins.
 */
void	 config_table_key(struct config_ctx *ctx, const char *section,
	     const struct config_key *keys, size_t nkeys, int *seen,
	     void *base, const char *name, const char *value, int line);

/* config-read.c */
/* inih's fgets-style reader (stream is the struct config_ctx). */
char	*config_reader(char *str, int num, void *stream);

/* config-stage.c */
extern const char *const config_pattern_names[3];
/* Starts [handler TYPE] or [stage NAME] at line. */
void	 config_begin_handler(struct config_ctx *ctx, const char *type,
	     int line);
void	 config_begin_stage(struct config_ctx *ctx, const char *name, int line);
/* One "name = value" line of the current handler or stage. */
void	 config_handler_key(struct config_ctx *ctx, const char *name,
	     const char *value, int line);
void	 config_stage_key(struct config_ctx *ctx, const char *name,
	     const char *value, int line);
/* Sets the stage list of a handler from "a b c". */
void	 config_set_stages(struct config_ctx *ctx, struct handler_conf *hc,
	     const char *v, int line);
/* The checks of handlers and stages that need the whole file. */
void	 config_check_stages(struct config_ctx *ctx);
/* Frees cfg's handlers and stages. */
void	 config_free_stages(struct config *cfg);

/* config-webhook.c */
/* Starts [webhook NAME] at line. */
void	 config_begin_webhook(struct config_ctx *ctx, const char *name,
	     int line);
/* One "name = value" line of the current [webhook NAME]. */
void	 config_webhook_key(struct config_ctx *ctx, const char *name,
	     const char *value, int line);
/* Sets a TYPE_HOOK_* key of the webhook at base from v, or reports why not. */
void	 config_webhook_value(struct config_ctx *ctx,
	     const struct config_key *k, void *base, const char *v, int line);
/* The checks of [webhook NAME] sections that need the whole file. */
void	 config_check_webhooks(struct config_ctx *ctx);

#endif
