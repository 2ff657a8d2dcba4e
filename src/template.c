/*
 * template.c -- ${...} templates filled for the place they stand in
 * (see template.h, SPEC section 3).
 *
 * Design. tpl_compile() parses the source once into parts, literal text
 * (with "$$" already made "$") and fields (a dotted path), and decides at
 * that moment everything that depends only on the template: in TPL_JSON,
 * whether each field stands inside a JSON string literal (a small lexer
 * over the literal text: string, escape, \uXXXX) and that the whole is
 * JSON; in TPL_MAIL_HEADER, the encoded form of literal non-ASCII words.
 * Expansion then only looks values up and escapes them for the part's
 * place, so event data can never change the structure around it: a '"'
 * from a contact form inside a JSON string is \", outside quotes a string
 * is a whole quoted JSON string, a "/" in a URL is %2F, a line break in a
 * mail header fails the stage, and an exec argument stays one argument.
 */
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

#define TPL_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define TPL_MAIL_CHUNK	45	/* raw bytes per encoded word: 60 base64 chars */

struct tpl_part {
	char	*s;		/* literal bytes, or the field's path */
	size_t	 n;
	int	 field;
	int	 in_string;	/* TPL_JSON: the field stands inside "..." */
	size_t	 off;		/* byte offset of the "$" in the source */
};

struct tpl {
	char		*src;
	enum tpl_mode	 mode;
	struct tpl_part	*parts;
	size_t		 nparts;
	size_t		 nfields;
};

static void SIPEAT_PRINTFLIKE(3, 4)
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* 1-based column of byte offset off, in code points (UTF-8 lead bytes). */
static size_t
column(const char *s, size_t off)
{
	size_t i, col = 1;

	for (i = 0; i < off; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	return col;
}

static void
tpl_add_part(struct tpl *t, const char *s, size_t n, int field, size_t off)
{
	struct tpl_part *p;

	/* Adjacent literal text ("a$$b") makes one part. */
	if (!field && t->nparts > 0 && !t->parts[t->nparts - 1].field) {
		p = &t->parts[t->nparts - 1];
		p->s = xrealloc(p->s, p->n + n + 1);
		memcpy(p->s + p->n, s, n);
		p->n += n;
		p->s[p->n] = '\0';
		return;
	}
	t->parts = xreallocarray(t->parts, t->nparts + 1, sizeof *t->parts);
	p = &t->parts[t->nparts++];
	memset(p, 0, sizeof *p);
	p->s = xstrndup(s, n);
	p->n = n;
	p->field = field;
	p->off = off;
	if (field)
		t->nfields++;
}

/* The syntax: literal text and ${path} fields. 0 or -1 with err. */
static int
tpl_parse(struct tpl *t, const char *src, char *err, size_t errsz)
{
	size_t i = 0, j, start, k;

	while (src[i] != '\0') {
		if (src[i] != '$') {
			for (j = i; src[j] != '\0' && src[j] != '$'; j++)
				;
			tpl_add_part(t, src + i, j - i, 0, i);
			i = j;
			continue;
		}
		if (src[i + 1] != '{') {
			/* "$$" is one "$"; a lone "$" (prices, shell words) stays. */
			tpl_add_part(t, "$", 1, 0, i);
			i += src[i + 1] == '$' ? 2 : 1;
			continue;
		}
		start = i + 2;
		for (j = start; src[j] != '\0' && src[j] != '}'; j++) {
			/* "${a ${b}": the first one is the unclosed one. */
			if (src[j] == '$' && src[j + 1] == '{')
				break;
		}
		if (src[j] != '}') {
			seterr(err, errsz, "unclosed ${ at column %zu",
			    column(src, i));
			return -1;
		}
		if (j == start) {
			seterr(err, errsz, "empty ${} at column %zu",
			    column(src, i));
			return -1;
		}
		for (k = start; k < j; k++) {
			if (src[k] == '.' && (k == start || k + 1 == j ||
			    src[k + 1] == '.')) {
				seterr(err, errsz,
				    "invalid path \"%.*s\" at column %zu",
				    (int)(j - start), src + start,
				    column(src, i));
				return -1;
			}
		}
		tpl_add_part(t, src + start, j - start, 1, i);
		i = j + 1;
	}
	return 0;
}

/* Lexer states over the literal text of a JSON template. */
enum { JS_OUT, JS_STR, JS_ESC, JS_HEX1, JS_HEX2, JS_HEX3, JS_HEX4 };

/*
 * TPL_JSON: marks each field inside or outside a string literal and
 * checks that the template with every field as null (or as nothing inside
 * quotes) is one JSON value. A field in an object's key is refused: a
 * value could otherwise repeat an earlier key and override it. 0 or -1
 * with err.
 */
static int
tpl_json_check(struct tpl *t, char *err, size_t errsz)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	struct buf probe = BUF_INIT;
	size_t i, k, end;
	int state = JS_OUT, rc = -1;
	/*
	 * The containers open at this point ('{' or '['), deeper ones than
	 * the array holds only counted (json-c refuses them anyway), whether
	 * a key is expected next, and whether the open string is one.
	 */
	char stack[EVENT_DEPTH_MAX + 1];
	size_t depth = 0;
	int want_key = 0, in_key = 0;
	unsigned char c;

	for (i = 0; i < t->nparts; i++) {
		struct tpl_part *p = &t->parts[i];

		if (p->field) {
			if (state != JS_OUT && state != JS_STR) {
				seterr(err, errsz, "${%s} at column %zu is "
				    "inside an escape sequence", p->s,
				    column(t->src, p->off));
				goto out;
			}
			if (state == JS_STR && in_key) {
				seterr(err, errsz, "${%s} at column %zu is "
				    "in an object key", p->s,
				    column(t->src, p->off));
				goto out;
			}
			p->in_string = state == JS_STR;
			buf_adds(&probe, p->in_string ? "" : "null");
			continue;
		}
		for (k = 0; k < p->n; k++) {
			c = (unsigned char)p->s[k];
			switch (state) {
			case JS_OUT:
				if (c == '"') {
					state = JS_STR;
					in_key = want_key;
				} else if (c == '{' || c == '[') {
					if (depth < sizeof stack)
						stack[depth] = (char)c;
					depth++;
					want_key = c == '{';
				} else if (c == '}' || c == ']') {
					if (depth > 0)
						depth--;
					want_key = 0;
				} else if (c == ',')
					want_key = depth > 0 &&
					    depth <= sizeof stack &&
					    stack[depth - 1] == '{';
				else if (c == ':')
					want_key = 0;
				else if (c == '\'') {
					/* json-c would take 'key': JSON does not. */
					seterr(err, errsz, "not valid JSON once "
					    "each ${...} is null: single quote "
					    "at column %zu",
					    column(t->src, p->off + k));
					goto out;
				}
				break;
			case JS_STR:
				if (c == '"') {
					state = JS_OUT;
					in_key = 0;
				}
				else if (c == '\\')
					state = JS_ESC;
				break;
			case JS_ESC:
				state = c == 'u' ? JS_HEX1 : JS_STR;
				break;
			case JS_HEX4:
				state = JS_STR;
				break;
			default:
				state++;
				break;
			}
		}
		buf_add(&probe, p->s, p->n);
	}
	end = probe.len;
	while (end > 0 && strchr(" \t\r\n", probe.p[end - 1]) != NULL)
		end--;
	if (end == 0) {
		seterr(err, errsz, "not valid JSON once each ${...} is null: "
		    "empty");
		goto out;
	}
	tok = json_tokener_new_ex(EVENT_DEPTH_MAX);
	if (tok == NULL) {
		seterr(err, errsz, "out of memory");
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, probe.p, (int)end);
	jerr = json_tokener_get_error(tok);
	if (root == NULL && jerr == json_tokener_continue) {
		/* A bare number ends only at the end of the input. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	} else if (jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != end)
		jerr = json_tokener_error_parse_unexpected;
	/* A template of just ${x} parses as null: a NULL root, no error. */
	if (jerr != json_tokener_success)
		seterr(err, errsz, "not valid JSON once each ${...} is null: %s",
		    json_tokener_error_desc(jerr));
	else
		rc = 0;
	json_object_put(root);
	json_tokener_free(tok);
out:
	buf_free(&probe);
	return rc;
}

static int
mail_plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

void
tpl_rfc2047(struct buf *out, const char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, j, len;
	uint32_t v;
	char q[4];

	for (i = 0; i < n || i == 0; i += len) {
		len = n - i < TPL_MAIL_CHUNK ? n - i : TPL_MAIL_CHUNK;
		/* Back off continuation bytes so a sequence stays whole. */
		while (i + len < n && len > 0 && (p[i + len] & 0xc0) == 0x80)
			len--;
		if (len == 0)	/* not UTF-8: cut anywhere, but move on */
			len = n - i < TPL_MAIL_CHUNK ? n - i : TPL_MAIL_CHUNK;
		if (i > 0)
			buf_addc(out, ' ');
		buf_adds(out, "=?UTF-8?B?");
		for (j = i; j + 2 < i + len; j += 3) {
			v = (uint32_t)p[j] << 16 | (uint32_t)p[j + 1] << 8 |
			    p[j + 2];
			q[0] = tab[v >> 18];
			q[1] = tab[(v >> 12) & 63];
			q[2] = tab[(v >> 6) & 63];
			q[3] = tab[v & 63];
			buf_add(out, q, 4);
		}
		if (j < i + len) {
			v = (uint32_t)p[j] << 16;
			if (j + 1 < i + len)
				v |= (uint32_t)p[j + 1] << 8;
			q[0] = tab[v >> 18];
			q[1] = tab[(v >> 12) & 63];
			q[2] = j + 1 < i + len ? tab[(v >> 6) & 63] : '=';
			q[3] = '=';
			buf_add(out, q, 4);
		}
		buf_adds(out, "?=");
		if (n == 0)
			break;
	}
}

/*
 * TPL_MAIL_HEADER literal text: the span from the first to the last word
 * holding a byte that is not printable ASCII becomes encoded words (its
 * inner spaces encoded with it: a decoder drops the space between two
 * encoded words); the rest stays.
 */
static void
tpl_mail_literal(struct tpl_part *p)
{
	struct buf b = BUF_INIT;
	size_t first = p->n, last = 0, k;

	for (k = 0; k < p->n; k++) {
		if (!mail_plain_byte((unsigned char)p->s[k])) {
			if (first == p->n)
				first = k;
			last = k + 1;
		}
	}
	if (first == p->n)
		return;
	while (first > 0 && p->s[first - 1] != ' ')
		first--;
	while (last < p->n && p->s[last] != ' ')
		last++;
	buf_add(&b, p->s, first);
	tpl_rfc2047(&b, p->s + first, last - first);
	buf_add(&b, p->s + last, p->n - last);
	free(p->s);
	p->n = b.len;
	p->s = buf_take(&b);
}

struct tpl *
tpl_compile(const char *src, enum tpl_mode mode, char *err, size_t errsz)
{
	struct tpl *t;
	size_t i;

	t = xcalloc(1, sizeof *t);
	t->src = xstrdup(src);
	t->mode = mode;
	if (tpl_parse(t, src, err, errsz) != 0 ||
	    (mode == TPL_JSON && tpl_json_check(t, err, errsz) != 0)) {
		tpl_free(t);
		return NULL;
	}
	if (mode == TPL_MAIL_HEADER) {
		for (i = 0; i < t->nparts; i++) {
			if (!t->parts[i].field)
				tpl_mail_literal(&t->parts[i]);
		}
	}
	return t;
}

void
tpl_free(struct tpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].s);
	free(t->parts);
	free(t->src);
	free(t);
}

const char *
tpl_source(const struct tpl *t)
{
	return t->src;
}

enum tpl_mode
tpl_mode(const struct tpl *t)
{
	return t->mode;
}

size_t
tpl_nfields(const struct tpl *t)
{
	return t->nfields;
}

const char *
tpl_field(const struct tpl *t, size_t i)
{
	size_t k;

	for (k = 0; k < t->nparts; k++) {
		if (t->parts[k].field && i-- == 0)
			return t->parts[k].s;
	}
	return NULL;
}

int
tpl_path_is_envelope(const char *path)
{
	static const char *const roots[] = {
		"id", "type", "timestamp", "data", NULL
	};
	size_t i, n = strcspn(path, ".");

	for (i = 0; roots[i] != NULL; i++) {
		if (strlen(roots[i]) == n && strncmp(path, roots[i], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The text of a value: a string's bytes (with their length: U+0000 does
 * not end it), anything else as compact JSON.
 */
static const char *
value_text(json_object *v, size_t *len)
{
	const char *s;

	if (json_object_is_type(v, json_type_string)) {
		*len = (size_t)json_object_get_string_len(v);
		return json_object_get_string(v);
	}
	s = json_object_to_json_string_ext(v, TPL_JSON_FLAGS);
	*len = strlen(s);
	return s;
}

/* Text with each NUL byte shown as U+FFFD (an argument or a log line). */
static void
add_text(struct buf *out, const char *s, size_t n)
{
	const char *nul;

	while ((nul = memchr(s, '\0', n)) != NULL) {
		buf_add(out, s, (size_t)(nul - s));
		buf_adds(out, "\xef\xbf\xbd");
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	buf_add(out, s, n);
}

/* A value as JSON outside quotes: null when missing, never NaN. */
static void
add_json_value(struct buf *out, json_object *v)
{
	const char *s;

	if (v == NULL || json_object_is_type(v, json_type_null) ||
	    (json_object_is_type(v, json_type_double) &&
	    !isfinite(json_object_get_double(v)))) {
		buf_adds(out, "null");
		return;
	}
	if (json_object_is_type(v, json_type_string)) {
		buf_addc(out, '"');
		buf_add_json(out, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		buf_addc(out, '"');
		return;
	}
	s = json_object_to_json_string_ext(v, TPL_JSON_FLAGS);
	buf_adds(out, s);
}

/*
 * A mail header value that may stand as it is: printable ASCII words of
 * RFC 5322 atext, '.', '@' and single spaces (a name, one address),
 * nothing a decoder would read as an encoded word.
 */
static int
mail_plain_value(const char *s, size_t n)
{
	size_t i;

	if (n > 200)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!mail_plain_byte(c) || strchr("()<>[]:;\\,\"", c) != NULL)
			return 0;
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

static int
tpl_expand_field(const struct tpl *t, const struct tpl_part *p,
    const struct event *ev, struct buf *out, char *err, size_t errsz)
{
	json_object *v;
	const char *s;
	size_t n;

	v = event_lookup(ev, p->s);
	if (t->mode == TPL_JSON && !p->in_string) {
		add_json_value(out, v);
		return 0;
	}
	if (v == NULL || json_object_is_type(v, json_type_null)) {
		seterr(err, errsz, "missing field %s", p->s);
		return -1;
	}
	s = value_text(v, &n);
	switch (t->mode) {
	case TPL_JSON:
		buf_add_json(out, s, n);
		break;
	case TPL_URL:
		buf_add_pct(out, s, n);
		break;
	case TPL_MAIL_HEADER:
		if (memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL) {
			seterr(err, errsz, "the value holds a line break "
			    "(refused: header injection)");
			return -1;
		}
		if (mail_plain_value(s, n))
			buf_add(out, s, n);
		else
			tpl_rfc2047(out, s, n);
		break;
	case TPL_TEXT:
	case TPL_ARG:
	default:
		add_text(out, s, n);
		break;
	}
	return 0;
}

int
tpl_expand_buf(const struct tpl *t, const struct event *ev, struct buf *out,
    char *err, size_t errsz)
{
	size_t i;

	buf_add(out, "", 0);
	for (i = 0; i < t->nparts; i++) {
		const struct tpl_part *p = &t->parts[i];

		if (!p->field)
			buf_add(out, p->s, p->n);
		else if (tpl_expand_field(t, p, ev, out, err, errsz) != 0)
			return -1;
	}
	return 0;
}

char *
tpl_expand(const struct tpl *t, const struct event *ev, char *err,
    size_t errsz)
{
	struct buf b = BUF_INIT;

	if (tpl_expand_buf(t, ev, &b, err, errsz) != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

int
template_validate(const char *tmpl, char *errstr, size_t errsz)
{
	struct tpl *t = tpl_compile(tmpl, TPL_TEXT, errstr, errsz);

	if (t == NULL)
		return -1;
	tpl_free(t);
	return 0;
}

char *
template_expand(const char *tmpl, const struct event *ev, char *errstr,
    size_t errsz)
{
	struct tpl *t = tpl_compile(tmpl, TPL_TEXT, errstr, errsz);
	char *s;

	if (t == NULL)
		return NULL;
	s = tpl_expand(t, ev, errstr, errsz);
	tpl_free(t);
	return s;
}
