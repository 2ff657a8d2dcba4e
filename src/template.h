/*
 * template.h -- ${...} templates, filled for the place they stand in
 * (SPEC section 3).
 *
 * A template is compiled once, when the configuration is read, into
 * literal text and fields, for one mode -- where its expansion goes:
 *
 *	TPL_TEXT	plain text (a mail body, a log line): the value's text
 *	TPL_JSON	a JSON document (an http or kafka body): inside a JSON
 *			string the value's text JSON-escaped; outside quotes
 *			the value as JSON (a string quoted, a number, object,
 *			array or boolean as it is; missing or null: null)
 *	TPL_URL		the value's text percent-encoded ("/", "?", "." and
 *			".." alone included): it stays one path segment or
 *			one query value
 *	TPL_MAIL_HEADER	a mail header: a value holding CR or LF fails; one
 *			that is not plain ASCII words (or one address) goes
 *			as RFC 2047 encoded words, so are the literal text's
 *			non-ASCII words; the expansion is ASCII
 *	TPL_ARG		one exec argument: the value's text, never split
 *
 * Syntax (every mode): "${path}" is a field of the event ("id", "type",
 * "timestamp", "data.email", "data.location.address", "data.tags.0"), "$$" a
 * literal "$", any other "$" is literal. A value's "text" is a string's
 * own text (U+0000 shown as U+FFFD) or any other value as compact JSON.
 * Except outside quotes in TPL_JSON, a field that is missing or null fails
 * the expansion with "missing field PATH".
 *
 * A TPL_JSON template must be valid JSON once each ${...} outside quotes
 * is replaced by null and each inside quotes by nothing; a ${...} inside
 * an escape sequence ("\u${x}"), in an object key (it could repeat an
 * earlier key and override it) or in single quotes is refused.
 *
 * Threads: tpl_compile, tpl_free, template_validate: main (configuration);
 * every other function: any, the compiled template read only.
 */
#ifndef SIPEAT_TEMPLATE_H
#define SIPEAT_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "event.h"

enum tpl_mode {
	TPL_TEXT = 0,
	TPL_JSON,
	TPL_URL,
	TPL_MAIL_HEADER,
	TPL_ARG,
};

struct tpl;

/*
 * Compiles src for mode. NULL with err: "unclosed ${ at column 7",
 * "empty ${} at column 1", "invalid path \"a..b\" at column 3", or for
 * TPL_JSON "not valid JSON once each ${...} is null: ..." (columns count
 * code points from 1, at the "$"). Any thread.
 */
struct tpl	*tpl_compile(const char *src, enum tpl_mode mode, char *err,
		     size_t errsz);
void		 tpl_free(struct tpl *t);
/* The source text and mode the template was compiled from. */
const char	*tpl_source(const struct tpl *t);
enum tpl_mode	 tpl_mode(const struct tpl *t);
/* Number of ${...} fields in t, and the path of the i-th (from 0). */
size_t		 tpl_nfields(const struct tpl *t);
const char	*tpl_field(const struct tpl *t, size_t i);
/*
 * 1 if path starts at a member of the envelope SPEC section 2 defines
 * (id, type, timestamp, data): a field elsewhere is more likely a shell's
 * ${VAR} in an exec command than an event field.
 */
int		 tpl_path_is_envelope(const char *path);
/*
 * Appends the expansion of t for ev to out. 0, or -1 with err ("missing
 * field data.x"; for TPL_MAIL_HEADER "the value holds a line break
 * (refused: header injection)"), out then holding a partial expansion.
 * Owning thread of ev; t may be shared by threads.
 */
int		 tpl_expand_buf(const struct tpl *t, const struct event *ev,
		     struct buf *out, char *err, size_t errsz);
/* The expansion, newly allocated, or NULL with err. */
char		*tpl_expand(const struct tpl *t, const struct event *ev,
		     char *err, size_t errsz);

/*
 * The value of a mail header as RFC 2047 encoded words (=?UTF-8?B?...?=,
 * each at most 75 characters, never splitting a UTF-8 sequence, separated
 * by one space). Used by TPL_MAIL_HEADER, and by callers that must
 * encode a whole header.
 */
void		 tpl_rfc2047(struct buf *out, const char *s, size_t n);

/* One-shot TPL_TEXT: check a template, or expand it. */
int		 template_validate(const char *tmpl, char *errstr, size_t errsz);
char		*template_expand(const char *tmpl, const struct event *ev,
		     char *errstr, size_t errsz);

#endif
