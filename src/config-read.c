/*
 * config-read.c -- the line reader inih reads the configuration through
 * (config.c explains why): it reads whole lines itself, counts them,
 * judges their shape before inih sees them (section headers, lines
 * without '=', unterminated '[', over-long lines, NUL bytes) and hands a
 * reported line on as an empty one, so inih never reports it again. It
 * also keeps the current section, which rules over inih's.
 *
 * Main thread, before other threads start (config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "util.h"

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
	} else if (strncmp(name, "webhook", 7) == 0 &&
	    (name[7] == '\0' || name[7] == ' ')) {
		kind = "webhook";
		arg = name + 7;
	} else {
		shown = config_cut(name, 0);
		config_problem(ctx, line, 0, "unknown section [%s] (valid: "
		    "kafka, sipeatd, discord, webhook NAME, handler TYPE, "
		    "stage NAME)", shown);
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
	else if (*kind == 'w')
		config_begin_webhook(ctx, arg, line);
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
char *
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
