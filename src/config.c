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
 * - [sipeatd], [discord] and [handler TYPE] keys are parsed from tables
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
 * BOM are accepted. Messages never quote a [discord] webhook or [kafka]
 * value: both may hold secrets.
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
#include "diag.h"
#include "utf8.h"
#include "util.h"

/* Longest value quoted back in a message, in bytes. */
#define CONFIG_QUOTE_MAX	64

enum config_section {
	SECTION_NONE,		/* before the first header */
	SECTION_IGNORE,		/* after a bad, unknown or duplicate header */
	SECTION_KAFKA,
	SECTION_SIPEATD,
	SECTION_DISCORD,
	SECTION_HANDLER,
	SECTION_STAGE,
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
};

struct config_key {
	const char		*name;
	enum config_type	 type;
	unsigned long long	 min;
	unsigned long long	 max;
	size_t			 off;	/* in struct config or struct handler_conf */
};

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

static const struct config_key discord_keys[] = {
	{ "webhook", TYPE_WEBHOOK, 0, 0, offsetof(struct config, webhook) },
	{ "username", TYPE_NAME, 1, 80, offsetof(struct config, username) },
	{ "avatar_url", TYPE_OPTIONAL, 0, 0,
	    offsetof(struct config, avatar_url) },
	{ "linger.ms", TYPE_INT, 0, 60000, offsetof(struct config, linger_ms) },
	{ "queue.size", TYPE_SIZE, 1, 1000000,
	    offsetof(struct config, discord_queue_size) },
};
#define NDISCORD_KEYS	(sizeof discord_keys / sizeof discord_keys[0])

static const struct config_key handler_keys[] = {
	{ "topic", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, topic) },
	{ "pattern", TYPE_PATTERN, 0, 0,
	    offsetof(struct handler_conf, pattern) },
	{ "title", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, title) },
	{ "icon", TYPE_NONEMPTY, 0, 0, offsetof(struct handler_conf, icon) },
	{ "stages", TYPE_STAGES, 0, 0, offsetof(struct handler_conf, stages) },
};
#define NHANDLER_KEYS	(sizeof handler_keys / sizeof handler_keys[0])

/* Defaults of the three SipEat event types (SPEC sections 2 to 4). */
static const struct {
	const char		*type;
	const char		*topic;
	enum handler_pattern	 pattern;
	const char		*title;
	const char		*icon;
} builtin_handlers[] = {
	{ "contact.created", "sipeat.contact.events", PATTERN_STRATEGY,
	    "New Contact Form Submission", "\xf0\x9f\x93\x9d" },	/* 📝 */
	{ "request.created", "sipeat.request.events", PATTERN_CHAIN,
	    "New Drink Request", "\xf0\x9f\xa5\xa4" },		/* 🥤 */
	{ "machine.created", "sipeat.machine.events", PATTERN_COMMAND,
	    "New Machine Registered", "\xf0\x9f\x8f\xad" },		/* 🏭 */
};
#define DEFAULT_ICON	"\xf0\x9f\x93\xa8"				/* 📨 */

static const char *const ordering_names[] = { "key", "partition", "none" };
static const char *const pattern_names[] = { "strategy", "chain", "command" };

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
	int			 sipeatd_seen[NSIPEATD_KEYS];
	int			 discord_seen[NDISCORD_KEYS];
	int			 handler_seen[NHANDLER_KEYS];

	struct config_problem	*probs;
	size_t			 nprobs;
};

static void	config_problem(struct config_ctx *, int, int, const char *, ...)
		    SIPEAT_PRINTFLIKE(4, 5);

static void
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
static char *
config_cut(const char *v, int quote)
{
	const char	*q = quote ? "\"" : "";
	size_t		 len = strlen(v);

	if (len <= CONFIG_QUOTE_MAX)
		return xasprintf("%s%s%s", q, v, q);
	len = utf8_cut_bytes(v, len, CONFIG_QUOTE_MAX);
	return xasprintf("%s%.*s...%s", q, (int)len, v, q);
}

static char *
config_quote(const char *v)
{
	return config_cut(v, 1);
}

/* Section, stage and handler names: [A-Za-z0-9._-]+. */
static int
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

/*
 * As inih's find_chars_or_comment(): the first character of s in stop
 * (NULL: none), or the start of an inline comment (';' after a blank), or
 * the end of s. The reader must judge a line exactly as inih will split it.
 */
static const char *
config_scan(const char *s, const char *stop)
{
	int	was_space = 0;

	while (*s != '\0' && (stop == NULL || strchr(stop, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static void
config_kv_add(struct config_kv **v, size_t *n, const char *key,
    const char *value, int line)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].key = xstrdup(key);
	(*v)[*n].value = xstrdup(value);
	(*v)[*n].line = line;
	(*n)++;
}

static void
config_kv_free(struct config_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static struct handler_conf *
config_handler(const struct config *cfg, const char *type)
{
	for (size_t i = 0; i < cfg->nhandlers; i++) {
		if (strcmp(cfg->handlers[i].type, type) == 0)
			return &cfg->handlers[i];
	}
	return NULL;
}

/* Starts [handler TYPE] at line: a new handler with the type's defaults. */
static void
config_begin_handler(struct config_ctx *ctx, const char *type, int line)
{
	struct config		*cfg = ctx->cfg;
	struct handler_conf	*hc, *prev;
	size_t			 i;

	prev = config_handler(cfg, type);
	if (prev != NULL) {
		config_problem(ctx, line, 0, "duplicate [handler %s] (first at "
		    "line %d)", type, prev->line);
		ctx->section = SECTION_IGNORE;
		return;
	}
	cfg->handlers = xreallocarray(cfg->handlers, cfg->nhandlers + 1,
	    sizeof *cfg->handlers);
	hc = &cfg->handlers[cfg->nhandlers];
	memset(hc, 0, sizeof *hc);
	hc->type = xstrdup(type);
	hc->line = line;
	hc->pattern = PATTERN_CHAIN;
	for (i = 0; i < sizeof builtin_handlers / sizeof builtin_handlers[0];
	    i++) {
		if (strcmp(builtin_handlers[i].type, type) == 0)
			break;
	}
	if (i < sizeof builtin_handlers / sizeof builtin_handlers[0]) {
		hc->topic = xstrdup(builtin_handlers[i].topic);
		hc->pattern = builtin_handlers[i].pattern;
		hc->title = xstrdup(builtin_handlers[i].title);
		hc->icon = xstrdup(builtin_handlers[i].icon);
	} else {
		hc->title = xstrdup(type);
		hc->icon = xstrdup(DEFAULT_ICON);
	}
	ctx->cur = cfg->nhandlers++;
	ctx->section = SECTION_HANDLER;
	memset(ctx->handler_seen, 0, sizeof ctx->handler_seen);
}

/* Starts [stage NAME] at line. */
static void
config_begin_stage(struct config_ctx *ctx, const char *name, int line)
{
	struct config		*cfg = ctx->cfg;
	const struct stage_conf	*prev;
	struct stage_conf	*sc;

	prev = config_stage(cfg, name);
	if (prev != NULL) {
		config_problem(ctx, line, 0, "duplicate [stage %s] (first at "
		    "line %d)", name, prev->line);
		ctx->section = SECTION_IGNORE;
		return;
	}
	cfg->stages = xreallocarray(cfg->stages, cfg->nstages + 1,
	    sizeof *cfg->stages);
	sc = &cfg->stages[cfg->nstages];
	memset(sc, 0, sizeof *sc);
	sc->name = xstrdup(name);
	sc->line = line;
	ctx->cur = cfg->nstages++;
	ctx->section = SECTION_STAGE;
}

/*
 * Judges a section header; name is the text between '[' and ']'. Sets
 * ctx->section. Returns 0, or -1 if the header was reported.
 */
static int
config_header(struct config_ctx *ctx, const char *name, int line)
{
	const char	*kind, *arg;
	char		*shown;

	if (strcmp(name, "kafka") == 0) {
		ctx->section = SECTION_KAFKA;
		return 0;
	}
	if (strcmp(name, "sipeatd") == 0) {
		ctx->section = SECTION_SIPEATD;
		return 0;
	}
	if (strcmp(name, "discord") == 0) {
		ctx->section = SECTION_DISCORD;
		return 0;
	}
	if (strncmp(name, "handler", 7) == 0 &&
	    (name[7] == '\0' || name[7] == ' ')) {
		kind = "handler";
		arg = name + 7;
	} else if (strncmp(name, "stage", 5) == 0 &&
	    (name[5] == '\0' || name[5] == ' ')) {
		kind = "stage";
		arg = name + 5;
	} else {
		shown = config_cut(name, 0);
		config_problem(ctx, line, 0, "unknown section [%s] (valid: "
		    "kafka, sipeatd, discord, handler TYPE, stage NAME)", shown);
		free(shown);
		ctx->section = SECTION_IGNORE;
		return -1;
	}
	if (*arg == '\0' || (arg[0] == ' ' && arg[1] == '\0')) {
		config_problem(ctx, line, 0, "[%s] needs a name: [%s %s]",
		    kind, kind, *kind == 'h' ? "TYPE" : "NAME");
		ctx->section = SECTION_IGNORE;
		return -1;
	}
	arg++;
	if (!config_name_valid(arg)) {
		shown = config_quote(arg);
		config_problem(ctx, line, 0, "invalid %s name %s (one space "
		    "after \"%s\", then letters, digits, '.', '_', '-')", kind,
		    shown, kind);
		free(shown);
		ctx->section = SECTION_IGNORE;
		return -1;
	}
	if (*kind == 'h')
		config_begin_handler(ctx, arg, line);
	else
		config_begin_stage(ctx, arg, line);
	return 0;
}

/*
 * Checks one line (without its line end) and sets what the reader hands
 * inih: the line itself, or an empty line if it was reported here.
 */
static void
config_judge(struct config_ctx *ctx, char *s, size_t len, int toolong,
    int nul)
{
	int		 line = ctx->lineno;
	const char	*p, *e, *k;
	char		*name;

	ctx->out = s;
	ctx->outlen = len;
	s[len] = '\0';
	p = s;
	while (isspace((unsigned char)*p))
		p++;
	if (toolong) {
		config_problem(ctx, line, 0, "line too long (limit %d bytes)",
		    CONFIG_LINE_MAX);
		goto reject;
	}
	if (nul) {
		config_problem(ctx, line, 0, "NUL byte in line");
		goto reject;
	}
	if (*p == '\0' || *p == ';' || *p == '#')
		goto accept;
	if (*p == '[') {
		e = config_scan(p + 1, "]");
		if (*e != ']') {
			config_problem(ctx, line, 0, "unterminated section "
			    "header (missing ']')");
			goto reject;
		}
		for (k = e + 1; isspace((unsigned char)*k); k++)
			;
		if (*k != '\0' && *k != ';' && *k != '#') {
			config_problem(ctx, line, 0, "unexpected text after "
			    "section header");
			goto reject;
		}
		name = xstrndup(p + 1, (size_t)(e - (p + 1)));
		if (config_header(ctx, name, line) != 0) {
			free(name);
			goto reject_quiet;
		}
		free(name);
		goto accept;
	}
	e = config_scan(p, "=:");
	if (*e != '=') {
		config_problem(ctx, line, 0, "expected KEY = VALUE");
		goto reject;
	}
	if (e == p) {
		config_problem(ctx, line, 0, "missing key before '='");
		goto reject;
	}
accept:
	s[len++] = '\n';
	s[len] = '\0';
	ctx->outlen = len;
	return;
reject:
	/* What follows a broken header must not land in the previous section. */
	if (*p == '[')
		ctx->section = SECTION_IGNORE;
reject_quiet:
	s[0] = '\n';
	s[1] = '\0';
	ctx->outlen = 1;
}

/*
 * Reads the next line into ctx->buf, keeping at most CONFIG_LINE_MAX
 * bytes (plus a CR) so that a huge line costs no memory. Returns 0, or -1
 * at end of file or on error.
 */
static int
config_read_line(struct config_ctx *ctx)
{
	size_t	len = 0;
	int	c, toolong = 0, nul = 0, any = 0;

	while ((c = getc(ctx->fp)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = 1;
		if (len < CONFIG_LINE_MAX + 1)
			ctx->buf[len++] = (char)c;
		else
			toolong = 1;
	}
	if (c == EOF && ferror(ctx->fp) && ctx->read_errno == 0)
		ctx->read_errno = errno != 0 ? errno : EIO;
	if (!any)
		return -1;
	ctx->lineno++;
	if (len > 0 && ctx->buf[len - 1] == '\r')
		len--;
	if (len > CONFIG_LINE_MAX)
		toolong = 1;
	if (ctx->lineno == 1 && len >= 3 &&
	    memcmp(ctx->buf, "\xef\xbb\xbf", 3) == 0) {
		memmove(ctx->buf, ctx->buf + 3, len - 3);
		len -= 3;
	}
	config_judge(ctx, ctx->buf, len, toolong, nul);
	return 0;
}

/*
 * inih's fgets-style reader. Hands over the current line, in pieces if
 * inih's buffer is still small (inih grows it and asks for the rest); a
 * new line is read only once the previous one was delivered whole.
 */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_ctx	*ctx = stream;
	size_t			 n;

	if (num <= 1) {
		if (num == 1)
			str[0] = '\0';
		return str;
	}
	if (ctx->outoff == ctx->outlen) {
		if (config_read_line(ctx) != 0)
			return NULL;
		ctx->outoff = 0;
	}
	n = ctx->outlen - ctx->outoff;
	if (n > (size_t)num - 1)
		n = (size_t)num - 1;
	memcpy(str, ctx->out + ctx->outoff, n);
	str[n] = '\0';
	ctx->outoff += n;
	return str;
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

static int
config_enum(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

static void
config_set_string(char **field, const char *v, int empty_is_null)
{
	free(*field);
	*field = (empty_is_null && *v == '\0') ? NULL : xstrdup(v);
}

/* Sets the stage list of a handler from "a b c". */
static void
config_set_stages(struct config_ctx *ctx, struct handler_conf *hc,
    const char *v, int line)
{
	const char	*p = v, *start;
	char		*name, *q;
	size_t		 i;

	for (i = 0; i < hc->nstages; i++)
		free(hc->stages[i]);
	free(hc->stages);
	hc->stages = NULL;
	hc->nstages = 0;
	hc->stages_line = line;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		name = xstrndup(start, (size_t)(p - start));
		if (!config_name_valid(name)) {
			q = config_quote(name);
			config_problem(ctx, line, 0, "stages: invalid stage "
			    "name %s", q);
			free(q);
			free(name);
			continue;
		}
		for (i = 0; i < hc->nstages; i++) {
			if (strcmp(hc->stages[i], name) == 0)
				break;
		}
		if (i < hc->nstages) {
			config_problem(ctx, line, 0, "stages: stage \"%s\" "
			    "listed twice", name);
			free(name);
			continue;
		}
		hc->stages = xreallocarray(hc->stages, hc->nstages + 1,
		    sizeof *hc->stages);
		hc->stages[hc->nstages++] = name;
	}
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
		e = config_enum(v, ordering_names, 3);
		if (e < 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "%s: expected key, "
			    "partition or none, got %s", k->name, q);
			free(q);
			return;
		}
		*(enum ordering *)(void *)field = (enum ordering)e;
		return;
	case TYPE_PATTERN:
		e = config_enum(v, pattern_names, 3);
		if (e < 0) {
			q = config_quote(v);
			config_problem(ctx, line, 0, "%s: expected strategy, "
			    "chain or command, got %s", k->name, q);
			free(q);
			return;
		}
		*(enum handler_pattern *)(void *)field = (enum handler_pattern)e;
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
	}
}

/*
 * A key of a table-driven section: unknown keys are errors listing the
 * valid ones; a repeated key is a warning and the last value wins.
 */
static void
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
	struct stage_conf	*sc;
	char			*label;
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
		label = xasprintf("handler %s", cfg->handlers[ctx->cur].type);
		config_table_key(ctx, label, handler_keys, NHANDLER_KEYS,
		    ctx->handler_seen, &cfg->handlers[ctx->cur], name, value,
		    line);
		free(label);
		break;
	case SECTION_STAGE:
		sc = &cfg->stages[ctx->cur];
		config_kv_add(&sc->kv, &sc->nkv, name, value, line);
		break;
	}
	return 1;
}

/* Whether stage name is listed by a handler or is some stage's undo. */
static int
config_stage_used(const struct config *cfg, const char *name)
{
	size_t	i, j;

	for (i = 0; i < cfg->nhandlers; i++) {
		for (j = 0; j < cfg->handlers[i].nstages; j++) {
			if (strcmp(cfg->handlers[i].stages[j], name) == 0)
				return 1;
		}
	}
	for (i = 0; i < cfg->nstages; i++) {
		for (j = 0; j < cfg->stages[i].nkv; j++) {
			if (strcmp(cfg->stages[i].kv[j].key, "undo") == 0 &&
			    strcmp(cfg->stages[i].kv[j].value, name) == 0)
				return 1;
		}
	}
	return 0;
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
	struct config			*cfg = ctx->cfg;
	const struct handler_conf	*hc;
	const struct stage_conf		*sc;
	int				 qline, mline;
	size_t				 i, j;
	struct stat			 sb;

	for (i = 0; i < cfg->nhandlers; i++) {
		hc = &cfg->handlers[i];
		if (hc->topic == NULL) {
			config_problem(ctx, hc->line, 0, "handler %s: topic is "
			    "required (no default for this type)", hc->type);
		}
		for (j = 0; j < hc->nstages; j++) {
			if (config_stage(cfg, hc->stages[j]) == NULL) {
				config_problem(ctx, hc->stages_line, 0,
				    "handler %s: stage \"%s\" is not defined",
				    hc->type, hc->stages[j]);
			}
		}
	}
	for (i = 0; i < cfg->nstages; i++) {
		sc = &cfg->stages[i];
		if (stage_conf_get(sc, "action", NULL) == NULL) {
			config_problem(ctx, sc->line, 0, "stage \"%s\": action "
			    "is required", sc->name);
		}
		if (!config_stage_used(cfg, sc->name)) {
			config_problem(ctx, sc->line, 1, "stage \"%s\" is not "
			    "used by any handler", sc->name);
		}
	}

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
	size_t	i, j;

	if (cfg == NULL)
		return;
	free(cfg->path);
	config_kv_free(cfg->kafka, cfg->nkafka);
	free(cfg->dlq_topic);
	free(cfg->webhook);
	free(cfg->username);
	free(cfg->avatar_url);
	for (i = 0; i < cfg->nhandlers; i++) {
		free(cfg->handlers[i].type);
		free(cfg->handlers[i].topic);
		free(cfg->handlers[i].title);
		free(cfg->handlers[i].icon);
		for (j = 0; j < cfg->handlers[i].nstages; j++)
			free(cfg->handlers[i].stages[j]);
		free(cfg->handlers[i].stages);
	}
	free(cfg->handlers);
	for (i = 0; i < cfg->nstages; i++) {
		free(cfg->stages[i].name);
		config_kv_free(cfg->stages[i].kv, cfg->stages[i].nkv);
	}
	free(cfg->stages);
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

/* The [stage NAME] section (borrowed from cfg), or NULL. */
const struct stage_conf *
config_stage(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nstages; i++) {
		if (strcmp(cfg->stages[i].name, name) == 0)
			return &cfg->stages[i];
	}
	return NULL;
}

/*
 * The value of the first key in sc (borrowed), or NULL; *line (if line
 * is not NULL) is set to its line, or 0 when absent.
 */
const char *
stage_conf_get(const struct stage_conf *sc, const char *key, int *line)
{
	for (size_t i = 0; i < sc->nkv; i++) {
		if (strcmp(sc->kv[i].key, key) == 0) {
			if (line != NULL)
				*line = sc->kv[i].line;
			return sc->kv[i].value;
		}
	}
	if (line != NULL)
		*line = 0;
	return NULL;
}

/* "strategy", "chain" or "command" (static). */
const char *
pattern_name(enum handler_pattern p)
{
	if ((size_t)p < sizeof pattern_names / sizeof pattern_names[0])
		return pattern_names[p];
	return "unknown";
}
