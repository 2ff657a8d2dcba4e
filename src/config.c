/*
 * config.c -- loads the INI configuration (SPEC section 7) into one
 * struct config.
 *
 * Design. inih splits "key = value" lines, strips blanks and inline
 * comments; everything else is done here so that every problem in the
 * file is reported as FILE:LINE, not only the first one inih would return:
 *
 * - inih's handler gets no line number in this build, so inih reads
 *   through config_reader(), which reads whole lines itself, counts them,
 *   and checks their shape before inih sees them: section headers (which
 *   inih never reports to the handler), lines without '=', unterminated
 *   '[', lines longer than CONFIG_LINE_MAX, NUL bytes. A bad line is
 *   reported and replaced by an empty line, so inih never reports it
 *   again and never splits it. inih calls the handler right after the
 *   reader returned the line, so the reader's count is the handler's line.
 * - Sections are tracked by the reader, not taken from inih: a bad or
 *   unknown header makes the following keys ignored (one error, not one
 *   per key).
 * - [sipeatd], [discord], [webhook NAME] and [handler TYPE] keys are
 *   parsed from tables
 *   (name, type, range, offset), in the manner of fluent-bit's config_map.
 *   [kafka] keys pass through as strings (rd_kafka_conf_set() checks
 *   them later); [stage NAME] keys are kept in file order, repeats kept,
 *   for the stage compilers.
 * - Checks that need the whole file (topic required, stages defined,
 *   action present, unused stages, max.inflight against queue.size, the
 *   webhook file's mode) run after parsing. Problems are collected with
 *   their line and appended to the diag sorted by line.
 *
 * Syntax decisions: multi-line values are off (SipEat values are single
 * line), so an indented line is an ordinary line: "  key = v" is a key,
 * an indented line without '=' is an error. Inline comments start with
 * ';' after a blank, as in inih ("queue.size = 1024   ; comment"); '#'
 * and ';' start a comment at the start of a line. ':' is not a separator
 * (inih accepts "key: value"; we report it). CRLF line ends and a UTF-8
 * BOM are accepted. Messages never quote a [discord] webhook, a [webhook
 * NAME] url or a [kafka] value: they may hold secrets.
 *
 * The loader is three files sharing config-int.h: this one (the load, the
 * problems, [kafka], [sipeatd], [discord], the whole-file checks),
 * config-read.c (the line reader and the section headers) and
 * config-stage.c ([handler TYPE], [stage NAME] and their checks) and
 * config-webhook.c ([webhook NAME]).
 *
 * inih's options are process-wide globals in this build: config_load()
 * sets them on each call, so it runs in the main thread before any other
 * thread starts (as the whole config module does).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "config-int.h"
#include "buf.h"
#include "diag.h"
#include "utf8.h"
#include "util.h"

static const struct config_key sipeatd_keys[] = {
	{ "workers", TYPE_INT, 0, 1024, offsetof(struct config, workers) },
	{ "queue.size", TYPE_POW2, 2, 1048576,
	    offsetof(struct config, queue_size) },
	{ "max.inflight", TYPE_SIZE, 1, 10000000,
	    offsetof(struct config, max_inflight) },
	{ "ordering", TYPE_ORDERING, 0, 0, offsetof(struct config, ordering) },
	{ "dlq.topic", TYPE_STRING, 0, 0, offsetof(struct config, dlq_topic) },
	{ "shutdown.timeout.ms", TYPE_INT, 0, 3600000,
	    offsetof(struct config, shutdown_timeout_ms) },
};
#define NSIPEATD_KEYS	(sizeof sipeatd_keys / sizeof sipeatd_keys[0])
_Static_assert(NSIPEATD_KEYS == CONFIG_NSIPEATD_KEYS, "config-int.h");

static const struct config_key discord_keys[] = {
	{ "webhook", TYPE_WEBHOOK, 0, 0, offsetof(struct config, webhook) },
	{ "username", TYPE_NAME, 1, 80, offsetof(struct config, username) },
	{ "avatar_url", TYPE_OPTIONAL, 0, 0,
	    offsetof(struct config, avatar_url) },
	{ "linger.ms", TYPE_INT, 0, 60000, offsetof(struct config, linger_ms) },
	{ "queue.size", TYPE_SIZE, 1, 1000000,
	    offsetof(struct config, discord_queue_size) },
	{ "group.failures", TYPE_INT, 0, 1000000,
	    offsetof(struct config, group_failures) },
};
#define NDISCORD_KEYS	(sizeof discord_keys / sizeof discord_keys[0])
_Static_assert(NDISCORD_KEYS == CONFIG_NDISCORD_KEYS, "config-int.h");

static const char *const ordering_names[] = { "key", "partition", "none" };

void
config_problem(struct config_ctx *ctx, int line, int warn, const char *fmt,
    ...)
{
	struct config_problem	*p;
	va_list			 ap;

	ctx->probs = xreallocarray(ctx->probs, ctx->nprobs + 1,
	    sizeof *ctx->probs);
	p = &ctx->probs[ctx->nprobs];
	p->line = line;
	p->warn = warn;
	p->seq = ctx->nprobs++;
	va_start(ap, fmt);
	if (vasprintf(&p->msg, fmt, ap) < 0)
		abort();
	va_end(ap);
}

static int
config_problem_cmp(const void *a, const void *b)
{
	const struct config_problem	*pa = a, *pb = b;

	if (pa->line != pb->line)
		return pa->line < pb->line ? -1 : 1;
	if (pa->seq != pb->seq)
		return pa->seq < pb->seq ? -1 : 1;
	return 0;
}

/* Whether an error (not a warning) was already reported at line. */
static int
config_has_error(const struct config_ctx *ctx, int line)
{
	for (size_t i = 0; i < ctx->nprobs; i++) {
		if (ctx->probs[i].line == line && !ctx->probs[i].warn)
			return 1;
	}
	return 0;
}

/*
 * Returns a copy of v for a message, cut after CONFIG_QUOTE_MAX bytes on a
 * UTF-8 boundary ("..." appended), with quotes if quote. Caller frees.
 */
char *
config_cut(const char *v, int quote)
{
	const char	*q = quote ? "\"" : "";
	size_t		 len = strlen(v);

	if (len <= CONFIG_QUOTE_MAX)
		return xasprintf("%s%s%s", q, v, q);
	len = utf8_cut_bytes(v, len, CONFIG_QUOTE_MAX);
	return xasprintf("%s%.*s...%s", q, (int)len, v, q);
}

char *
config_quote(const char *v)
{
	return config_cut(v, 1);
}

/* Section, stage and handler names: [A-Za-z0-9._-]+. */
int
config_name_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	}
	return 1;
}

void
config_kv_add(struct config_kv **v, size_t *n, const char *key,
    const char *value, int line)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].value = xstrdup(value);
	(*v)[*n].line = line;
	(*n)++;
}

void
config_kv_free(struct config_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* Parses a plain decimal number: digits only, no sign, no blanks. */
static int
config_number(const char *v, unsigned long long *out)
{
	char	*end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static void
config_set_string(char **field, const char *v, int empty_is_null)
{
	free(*field);
	*field = (empty_is_null && *v == '\0') ? NULL : xstrdup(v);
}

/*
 * The index of v among the n keywords names, or -1 after reporting
 * "KEY: expected A, B or C, got 'v'".
 */
static int
config_keyword(struct config_ctx *ctx, const struct config_key *k,
    const char *const *names, size_t n, const char *v, int line)
{
	struct buf	 choices = BUF_INIT;
	int		 e = str_index(v, names, n);
	char		*q;

	if (e >= 0)
		return e;
	for (size_t i = 0; i < n; i++)
		buf_printf(&choices, "%s%s", i == 0 ? "" : i + 1 < n ? ", " :
		    " or ", names[i]);
	q = config_quote(v);
	config_problem(ctx, line, 0, "%s: expected %s, got %s", k->name,
	    choices.p, q);
	free(q);
	buf_free(&choices);
	return -1;
}

/*
 * Sets key k of the object at base from v, or reports why not. The value
 * is quoted back only for numbers and keywords, never for strings.
 */
static void
config_set_value(struct config_ctx *ctx, const struct config_key *k,
    void *base, const char *v, int line)
{
	char			*field = (char *)base + k->off;
	unsigned long long	 n;
	char			*q;
	int			 e;

	switch (k->type) {
	case TYPE_INT:
	case TYPE_SIZE:
		if (config_number(v, &n) != 0 || n < k->min || n > k->max) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "%s: expected an integer "
			    "between %llu and %llu, got %s", k->name, k->min,
			    k->max, q);
			free(q);
			return;
		}
		if (k->type == TYPE_INT)
			*(int *)(void *)field = (int)n;
		else
			*(size_t *)(void *)field = (size_t)n;
		return;
	case TYPE_POW2:
		if (config_number(v, &n) != 0 || n < k->min || n > k->max ||
		    (n & (n - 1)) != 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "%s: expected a power of "
			    "two between %llu and %llu, got %s", k->name,
			    k->min, k->max, q);
			free(q);
			return;
		}
		*(size_t *)(void *)field = (size_t)n;
		return;
	case TYPE_ORDERING:
		e = config_keyword(ctx, k, ordering_names, 3, v, line);
		if (e >= 0)
			*(enum ordering *)(void *)field = (enum ordering)e;
		return;
	case TYPE_PATTERN:
		e = config_keyword(ctx, k, config_pattern_names, 3, v, line);
		if (e >= 0)
			*(enum handler_pattern *)(void *)field =
			    (enum handler_pattern)e;
		return;
	case TYPE_STRING:
		config_set_string((char **)(void *)field, v, 0);
		return;
	case TYPE_NONEMPTY:
		if (*v == '\0') {
			config_problem(ctx, line, 0, "%s: empty value", k->name);
			return;
		}
		config_set_string((char **)(void *)field, v, 0);
		return;
	case TYPE_OPTIONAL:
		config_set_string((char **)(void *)field, v, 1);
		return;
	case TYPE_NAME:
		/* UTF-16 units: Discord's username limit, as discord.js counts. */
		n = utf8_len16(v, strlen(v));
		if (n < k->min || n > k->max) {
			config_problem(ctx, line, 0, "%s: expected %llu to %llu "
			    "characters, got %llu", k->name, k->min, k->max, n);
			return;
		}
		config_set_string((char **)(void *)field, v, 0);
		return;
	case TYPE_WEBHOOK:
		config_set_string((char **)(void *)field, v, 1);
		ctx->cfg->webhook_line = *v == '\0' ? 0 : line;
		return;
	case TYPE_STAGES:
		config_set_stages(ctx, base, v, line);
		return;
	case TYPE_HOOK_URL:
	case TYPE_HOOK_EVENTS:
	case TYPE_HOOK_TYPES:
	case TYPE_HOOK_MENTION:
	case TYPE_HOOK_SILENT:
	case TYPE_HOOK_THREAD:
		config_webhook_value(ctx, k, base, v, line);
		return;
	}
}

/*
 * A key of a table-driven section: unknown keys are errors listing the
 * valid ones; a repeated key is a warning and the last value wins.
 */
void
config_table_key(struct config_ctx *ctx, const char *section,
    const struct config_key *keys, size_t nkeys, int *seen, void *base,
    const char *name, const char *value, int line)
{
	char	*valid, *tmp;
	size_t	 i;

	for (i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0)
			break;
	}
	if (i == nkeys) {
		valid = xstrdup(keys[0].name);
		for (i = 1; i < nkeys; i++) {
			tmp = xasprintf("%s, %s", valid, keys[i].name);
			free(valid);
			valid = tmp;
		}
		config_problem(ctx, line, 0, "unknown key \"%s\" in [%s] "
		    "(valid: %s)", name, section, valid);
		free(valid);
		return;
	}
	if (seen[i] != 0) {
		config_problem(ctx, line, 1, "%s set again (first at line %d); "
		    "the last value is used", name, seen[i]);
	}
	seen[i] = line;
	config_set_value(ctx, &keys[i], base, value, line);
}

static void
config_kafka_key(struct config_ctx *ctx, const char *name, const char *value,
    int line)
{
	struct config	*cfg = ctx->cfg;
	char		*q;
	size_t		 i;

	if (!config_name_valid(name)) {
		q = config_quote(name);
		config_problem(ctx, line, 0, "invalid property name %s in "
		    "[kafka]", q);
		free(q);
		return;
	}
	if (*value == '\0') {
		config_problem(ctx, line, 0, "%s: empty value (remove the line "
		    "for librdkafka's default)", name);
		return;
	}
	for (i = 0; i < cfg->nkafka; i++) {
		if (strcmp(cfg->kafka[i].key, name) == 0)
			break;
	}
	if (i < cfg->nkafka) {
		config_problem(ctx, line, 1, "%s set again (first at line %d); "
		    "the last value is used", name, cfg->kafka[i].line);
	}
	config_set_kafka(cfg, name, value);
	for (i = 0; i < cfg->nkafka; i++) {
		if (strcmp(cfg->kafka[i].key, name) == 0)
			cfg->kafka[i].line = line;
	}
}

/* inih's handler: one "name = value" line, at the reader's line count. */
static int
config_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_ctx	*ctx = user;
	struct config		*cfg = ctx->cfg;
	int			 line = ctx->lineno;

	(void)section;		/* ctx->section, kept by the reader, rules */
	if (value == NULL)
		return 1;
	switch (ctx->section) {
	case SECTION_NONE:
		config_problem(ctx, line, 0, "key \"%s\" outside any section",
		    name);
		break;
	case SECTION_IGNORE:
		break;
	case SECTION_KAFKA:
		config_kafka_key(ctx, name, value, line);
		break;
	case SECTION_SIPEATD:
		config_table_key(ctx, "sipeatd", sipeatd_keys, NSIPEATD_KEYS,
		    ctx->sipeatd_seen, cfg, name, value, line);
		break;
	case SECTION_DISCORD:
		config_table_key(ctx, "discord", discord_keys, NDISCORD_KEYS,
		    ctx->discord_seen, cfg, name, value, line);
		break;
	case SECTION_HANDLER:
		config_handler_key(ctx, name, value, line);
		break;
	case SECTION_STAGE:
		config_stage_key(ctx, name, value, line);
		break;
	case SECTION_WEBHOOK:
		config_webhook_key(ctx, name, value, line);
		break;
	}
	return 1;
}

/* The line where a table key was last set in the file, or 0. */
static int
config_seen(const struct config_key *keys, size_t nkeys, const int *seen,
    const char *name)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, name) == 0)
			return seen[i];
	}
	return 0;
}

/* The checks that need the whole file. */
static void
config_check(struct config_ctx *ctx)
{
	struct config	*cfg = ctx->cfg;
	int		 qline, mline;
	struct stat	 sb;

	config_check_stages(ctx);
	config_check_webhooks(ctx);

	/*
	 * Below queue.size the bound on in-flight events pauses intake
	 * before the queue can fill: legal, but probably not meant.
	 */
	qline = config_seen(sipeatd_keys, NSIPEATD_KEYS, ctx->sipeatd_seen,
	    "queue.size");
	mline = config_seen(sipeatd_keys, NSIPEATD_KEYS, ctx->sipeatd_seen,
	    "max.inflight");
	if (cfg->max_inflight < cfg->queue_size && (qline != 0 || mline != 0)) {
		config_problem(ctx, mline != 0 ? mline : qline, 1,
		    "max.inflight (%zu) is smaller than queue.size (%zu): the "
		    "queue never fills", cfg->max_inflight, cfg->queue_size);
	}

	/* The webhook token is a secret: the file should be 0600. */
	if (cfg->webhook != NULL && fstat(fileno(ctx->fp), &sb) == 0 &&
	    (sb.st_mode & 044) != 0) {
		config_problem(ctx, cfg->webhook_line, 1, "webhook URL in a "
		    "file readable by others (chmod 600 %s)", ctx->path);
	}
}

/*
 * Returns a config with every default (config.h) and no handlers, stages
 * or [kafka] properties; path is "(defaults)". Caller frees with
 * config_free().
 */
struct config *
config_new(void)
{
	struct config	*cfg;

	cfg = xcalloc(1, sizeof *cfg);
	cfg->path = xstrdup("(defaults)");
	cfg->workers = 0;
	cfg->queue_size = 1024;
	cfg->max_inflight = 10000;
	cfg->ordering = ORDERING_KEY;
	cfg->dlq_topic = xstrdup("sipeat.dlq");
	cfg->shutdown_timeout_ms = 10000;
	cfg->webhook = NULL;
	cfg->webhook_line = 0;
	cfg->username = xstrdup("SipEat");
	cfg->avatar_url = NULL;
	cfg->linger_ms = 1000;
	cfg->discord_queue_size = 10000;
	cfg->group_failures = 3;
	return cfg;
}

/*
 * Reads path into a new config (caller frees with config_free()). Returns
 * NULL, with "FILE: cannot open: REASON" in d, when the file cannot be
 * opened; otherwise the config, with every problem found appended to d
 * in line order as "FILE:LINE: message" (warnings prefixed "warning: ").
 * Sets inih's global options: main thread, before other threads start.
 */
struct config *
config_load(const char *path, struct diag *d)
{
	static char		 inline_prefixes[] = ";";
	static char		 start_prefixes[] = ";#";
	struct config_ctx	 ctx;
	struct config_problem	*p;
	struct stat		 sb;
	int			 rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.path = path;
	ctx.fp = fopen(path, "r");
	if (ctx.fp == NULL) {
		diag_add(d, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(ctx.fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		diag_add(d, path, 0, "cannot open: %s", strerror(EISDIR));
		fclose(ctx.fp);
		return NULL;
	}
	ctx.cfg = config_new();
	free(ctx.cfg->path);
	ctx.cfg->path = xstrdup(path);
	ctx.buf = xmalloc(CONFIG_LINE_MAX + 3);

	/*
	 * A heap buffer that inih grows up to ini_max_line: the reader never
	 * hands it a line longer than CONFIG_LINE_MAX plus '\n', so inih
	 * never splits a line in two.
	 */
	ini_allow_multiline = false;
	ini_allow_bom = true;
	ini_start_comment_prefixes = start_prefixes;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = inline_prefixes;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_LINE_MAX + 3;
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;

	rc = ini_parse_stream(config_reader, &ctx, config_ini_handler, &ctx);
	if (rc == -2)
		config_problem(&ctx, 0, 0, "out of memory while parsing");
	else if (rc > 0 && !config_has_error(&ctx, rc))
		config_problem(&ctx, rc, 0, "syntax error");
	if (ctx.read_errno != 0) {
		config_problem(&ctx, 0, 0, "read error: %s",
		    strerror(ctx.read_errno));
	}
	config_check(&ctx);

	if (ctx.nprobs > 1) {
		qsort(ctx.probs, ctx.nprobs, sizeof *ctx.probs,
		    config_problem_cmp);
	}
	for (size_t i = 0; i < ctx.nprobs; i++) {
		p = &ctx.probs[i];
		if (p->warn)
			diag_warn(d, path, p->line, "%s", p->msg);
		else
			diag_add(d, path, p->line, "%s", p->msg);
		free(p->msg);
	}
	free(ctx.probs);
	free(ctx.buf);
	fclose(ctx.fp);
	return ctx.cfg;
}

/* Frees cfg and everything it owns; NULL is accepted. */
void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	config_kv_free(cfg->kafka, cfg->nkafka);
	free(cfg->dlq_topic);
	free(cfg->webhook);
	free(cfg->username);
	free(cfg->avatar_url);
	config_free_stages(cfg);
	for (size_t i = 0; i < cfg->nwebhooks; i++)
		webhook_clear(&cfg->webhooks[i]);
	free(cfg->webhooks);
	free(cfg);
}

/*
 * Sets key to a copy of value in [kafka], replacing an existing value in
 * place (its position kept) or appending; the line becomes 0 (command
 * line). Main thread, before other threads start.
 */
void
config_set_kafka(struct config *cfg, const char *key, const char *value)
{
	for (size_t i = 0; i < cfg->nkafka; i++) {
		if (strcmp(cfg->kafka[i].key, key) == 0) {
			free(cfg->kafka[i].value);
			cfg->kafka[i].value = xstrdup(value);
			cfg->kafka[i].line = 0;
			return;
		}
	}
	config_kv_add(&cfg->kafka, &cfg->nkafka, key, value, 0);
}

/* The [kafka] value for key (borrowed from cfg), or NULL. */
const char *
config_kafka(const struct config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->nkafka; i++) {
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return cfg->kafka[i].value;
	}
	return NULL;
}
